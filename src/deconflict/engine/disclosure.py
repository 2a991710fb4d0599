"""The disclosure gate: given what happened, who learns what — as data (DESIGN.md, disclosure).

Every view of another party's data and every notice is built here and nowhere else: the view
types take a private stamp that only this module holds, so a view made elsewhere fails at once.
The rule the builders keep: whatever reveals to X another party's geometry, or that an operation
of it exists, is notified to that party and audited under it — or is not revealed. Delivery
(storing events and audit entries) is the service's; this module only says what to deliver.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from attrs import field, frozen

_GATE = object()  # the stamp: only this module can pass it


def _stamped(_: object, __: object, value: object) -> None:
    if value is not _GATE:
        raise TypeError("views of other parties' data are built by engine.disclosure only")


def _stamp() -> Any:
    return field(default=None, validator=_stamped, repr=False, eq=False, kw_only=True)


class EventType(StrEnum):
    """Every event a party can be told."""

    CONFLICT_OPENED = "conflict.opened"
    CONFLICT_UPDATED = "conflict.updated"
    CONFLICT_RESOLVED = "conflict.resolved"
    CONFLICT_ACKNOWLEDGED = "conflict.acknowledged"
    CONFLICT_ESCALATED = "conflict.escalated"
    CONFLICT_MESSAGE = "conflict.message"
    OPERATION_OVERRIDDEN = "operation.overridden"
    PROBE = "probe"
    TACTICAL_ALERT = "tactical.alert"
    TACTICAL_CLEARED = "tactical.cleared"
    TACTICAL_SHOWN = "tactical.shown"
    NONCONFORMANCE = "nonconformance"
    PRIVATE_CONFLICT_OPENED = "private.conflict.opened"
    PRIVATE_CONFLICT_RESOLVED = "private.conflict.resolved"


def rfc3339(t: float | None) -> str | None:
    """Epoch seconds as RFC 3339 UTC (`...Z`), or None."""
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


# ---- facts the gate is given (plain records, built by anyone) ----


@frozen
class StoredConflict:
    """A stored conflict, both sides: what the gate decides each side may see of it."""

    id: str
    status: str
    region: Mapping[str, Any]  # {"parts": [...], "geojson": {...}}, as disclosed to both
    op_a: str
    op_b: str
    party_a: str
    party_b: str
    kind_a: str
    kind_b: str
    status_a: str
    status_b: str
    opened_at: float
    updated_at: float
    resolved_at: float | None = None
    escalated: bool = False

    def side(self, party: str) -> str:
        """'a' or 'b'; a party that is neither side may not see the conflict at all."""
        if party == self.party_a:
            return "a"
        if party == self.party_b:
            return "b"
        raise ValueError("party is not a side of this conflict")

    def other_party(self, party: str) -> str:
        return self.party_b if self.side(party) == "a" else self.party_a


@frozen
class Hit:
    """One operation of another party that a volume of `prober`'s touches, and where."""

    party: str  # the owner of the operation hit
    operation: str
    kind: str
    region: Mapping[str, Any]


# ---- what the gate builds ----


@frozen
class AuditNote:
    """An audit entry that concerns another party's data, filed under whom it may be shown."""

    party: str | None  # None: the operator's alone
    action: str
    subject: str
    data: Mapping[str, Any]
    stamp: object = _stamp()


@frozen
class Delivery:
    """An event for `party`, audited under it as a disclosure of `subject`."""

    party: str
    type: EventType
    data: Mapping[str, Any]
    subject: str = ""
    stamp: object = _stamp()


@frozen
class ConflictView:
    """A conflict as one side may see it: never the other side's operation id or volumes."""

    data: Mapping[str, Any]
    stamp: object = _stamp()

    def json(self) -> dict[str, Any]:
        return dict(self.data)


@frozen
class CheckHitView:
    """What a check (or a straying aircraft's re-check) tells its maker of one hit."""

    other_party: str
    other_kind: str
    region: Mapping[str, Any]
    stamp: object = _stamp()

    def json(self) -> dict[str, Any]:
        return {
            "other_party": self.other_party,
            "other_kind": self.other_kind,
            "region": self.region["parts"],
            "region_geojson": self.region["geojson"],
        }


@frozen
class CheckOutcome:
    """A check: the maker's answer, the notices to each party hit, the audit entries."""

    answer: tuple[CheckHitView, ...]
    deliveries: tuple[Delivery, ...]
    notes: tuple[AuditNote, ...]
    stamp: object = _stamp()


@frozen
class RefusalDetail:
    """The 409 of a refused activation, and what the owners of what it reveals are told."""

    conflicts: tuple[ConflictView, ...]
    deliveries: tuple[Delivery, ...]
    notes: tuple[AuditNote, ...]
    stamp: object = _stamp()

    def json(self) -> dict[str, Any]:
        return {"conflicts": [c.json() for c in self.conflicts]}


@frozen
class PairSide:
    """One aircraft of a pair: its owner, its id, its alias to the other side, its state."""

    party: str
    aircraft: str
    alias: str
    state: Mapping[str, float]
    qualified: bool  # tied to its owner's active flight operation and conforming to it


def _note(party: str | None, action: str, subject: str, data: Mapping[str, Any]) -> AuditNote:
    return AuditNote(party, action, subject, data, stamp=_GATE)


@frozen
class Encounter:
    """What both sides of a tactical conflict are told of it (the pair's geometry, not ids)."""

    reason: str
    los: bool
    tcpa_s: float
    dcpa_m: float
    t_in_s: float
    time: float
    cpa_lat: float
    cpa_lng: float

    def json(self) -> dict[str, Any]:
        return {
            "reason": self.reason,
            "los": self.los,
            "tcpa_s": round(self.tcpa_s, 3),
            "dcpa_m": round(self.dcpa_m, 3),
            "t_in_s": round(self.t_in_s, 3),
            "time": rfc3339(self.time),
            "cpa": {"lat": self.cpa_lat, "lng": self.cpa_lng},
        }


# ---- conflicts ----


def conflict_view(c: StoredConflict, viewer: str, names: Mapping[str, str]) -> ConflictView:
    """The conflict as `viewer` (one of its sides) may see it."""
    me = c.side(viewer)
    other = "b" if me == "a" else "a"
    return ConflictView(
        {
            "id": c.id,
            "status": c.status,
            "region": c.region["parts"],
            "region_geojson": c.region["geojson"],
            "my_operation_id": getattr(c, f"op_{me}"),
            "my_kind": getattr(c, f"kind_{me}"),
            "other_party": names.get(getattr(c, f"party_{other}"), ""),
            "other_kind": getattr(c, f"kind_{other}"),
            "my_status": getattr(c, f"status_{me}"),
            "other_status": getattr(c, f"status_{other}"),
            "opened_at": rfc3339(c.opened_at),
            "updated_at": rfc3339(c.updated_at),
            "resolved_at": rfc3339(c.resolved_at),
            "escalated": c.escalated,
        },
        stamp=_GATE,
    )


def tell_both(c: StoredConflict, type_: EventType, names: Mapping[str, str]) -> list[Delivery]:
    """Both sides told of the conflict, each its own view (a conflict is always told to both)."""
    return [
        Delivery(party, type_, conflict_view(c, party, names).json(), c.id, stamp=_GATE)
        for party in (c.party_a, c.party_b)
    ]


def message(
    c: StoredConflict, sender: str, body: Mapping[str, Any], names: Mapping[str, str]
) -> list[Delivery]:
    """A message on a conflict's thread, told to both sides (both already know the conflict)."""
    c.side(sender)
    data = {**body, "conflict_id": c.id, "from_party": names[sender]}
    return [
        Delivery(p, EventType.CONFLICT_MESSAGE, data, c.id, stamp=_GATE)
        for p in (c.party_a, c.party_b)
    ]


def private_conflict(
    type_: EventType, conflict_id: str, notices: Mapping[str, Mapping[str, Any]]
) -> list[Delivery]:
    """A private conflict opened or resolved, told to its two sides: its id and statuses only
    (the region is sealed to the two parties; the service cannot read it)."""
    if type_ not in (EventType.PRIVATE_CONFLICT_OPENED, EventType.PRIVATE_CONFLICT_RESOLVED):
        raise ValueError(type_)
    keys = ("id", "status", "other_party", "opened_at", "resolved_at")
    return [
        Delivery(p, type_, {k: n[k] for k in keys}, conflict_id, stamp=_GATE)
        for p, n in notices.items()
    ]


def private_conflict_view(
    row: Mapping[str, Any], viewer: str, names: Mapping[str, str]
) -> dict[str, Any]:
    """A private conflict as one of its two sides sees it: statuses, the counterpart (both
    matched each other's cells, so each knows the other), and the region sealed to the two."""
    me, other = ("a", "b") if row["party_a"] == viewer else ("b", "a")
    if row[f"party_{me}"] != viewer:
        raise ValueError("not a side of this private conflict")
    return {
        "id": row["id"],
        "ref": row["ref"],
        "status": row["status"],
        "other_party": names.get(row[f"party_{other}"], ""),
        "other_party_id": row[f"party_{other}"],
        "my_status": row[f"status_{me}"],
        "other_status": row[f"status_{other}"],
        "sealed": bytes(row["sealed"]),
        "opened_at": rfc3339(row["opened_at"]),
        "updated_at": rfc3339(row["updated_at"]),
        "resolved_at": rfc3339(row["resolved_at"]),
    }


def conflict_export_properties(view: Mapping[str, Any]) -> dict[str, Any]:
    """A conflict view (as the gate built it for its reader) as a file's feature properties."""
    return {
        "conflict": view["id"],
        "my_operation_id": view["my_operation_id"],
        "my_kind": view["my_kind"],
        "other_party": view["other_party"],
        "other_kind": view["other_kind"],
        "label": f"conflict with {view['other_party']}",
    }


def message_view(
    c: StoredConflict, viewer: str, body: Mapping[str, Any], sender: str, names: Mapping[str, str]
) -> dict[str, Any]:
    """A message of the thread as a side reads it back."""
    c.side(viewer)
    return {**body, "conflict_id": c.id, "from_party": names[sender]}


# ---- checks and refused activations: what reveals, notifies ----


def check(
    prober: str, kind: str, hits: Iterable[Hit], names: Mapping[str, str], now: float, ref: str
) -> CheckOutcome:
    """A check by `prober`: each hit is told to its owner (`probe`) and audited under the owner;
    the prober's own entry counts the hits and names nobody. `ref` ties them for the operator."""
    hits = list(hits)
    answer = tuple(CheckHitView(names[h.party], h.kind, h.region, stamp=_GATE) for h in hits)
    deliveries = tuple(_probe(h, now, ref) for h in hits)
    notes = (
        AuditNote(
            prober, "check", "", {"kind": kind, "hits": len(hits), "check": ref}, stamp=_GATE
        ),
        *(AuditNote(h.party, "probe", h.operation, {"check": ref}, stamp=_GATE) for h in hits),
    )
    return CheckOutcome(answer, deliveries, notes, stamp=_GATE)


def _probe(h: Hit, now: float, ref: str) -> Delivery:
    notice = {
        "region": h.region["parts"],
        "region_geojson": h.region["geojson"],
        "my_operation_id": h.operation,
        "checked_at": rfc3339(now),
    }
    return Delivery(h.party, EventType.PROBE, notice, h.operation, stamp=_GATE)


def refusal(
    owner: str,
    blocking: Iterable[StoredConflict],
    told: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str],
    now: float,
    ref: str,
) -> RefusalDetail:
    """A refused activation lists every conflict in the way; it counts as a check: a conflict
    the other side has not been told exactly so (`told`: id → region both were told) is told to
    that side as a `probe` and audited under it, and its id is withheld (it is rolled back)."""
    views, hits = [], []
    for c in blocking:
        view = conflict_view(c, owner, names)
        if told.get(c.id) != c.region:
            other = c.other_party(owner)
            hits.append(Hit(other, getattr(c, f"op_{c.side(other)}"), "", c.region))
            if c.id not in told:
                view = ConflictView({**view.data, "id": None}, stamp=_GATE)
        views.append(view)
    notes = (
        AuditNote(
            owner, "check", "", {"kind": "activation", "hits": len(hits), "check": ref}, stamp=_GATE
        ),
        *(AuditNote(h.party, "probe", h.operation, {"check": ref}, stamp=_GATE) for h in hits),
    )
    deliveries = tuple(_probe(h, now, ref) for h in hits)
    return RefusalDetail(tuple(views), deliveries, notes, stamp=_GATE)


# ---- live tracks ----


def pair_alert(
    pair: str, a: PairSide, b: PairSide, encounter: Encounter, names: Mapping[str, str]
) -> list[Delivery]:
    """Both sides of a tactical conflict: a side whose aircraft is qualified sees the other's
    aircraft (alias and state); one that is not sees nothing of it and is told its own aircraft
    was shown (`tactical.shown`), so whoever is shown is always told."""
    out, base = [], encounter.json()
    for mine, other in ((a, b), (b, a)):
        if mine.qualified:
            data = {
                "id": pair,
                "other_party": names[other.party],
                **base,
                "mine": {"id": mine.aircraft, **mine.state},
                "other": {"id": other.alias, **other.state},
            }
            out.append(Delivery(mine.party, EventType.TACTICAL_ALERT, data, pair, stamp=_GATE))
        if other.qualified and not mine.qualified:
            shown = {
                "id": pair,
                "other_party": names[other.party],
                "mine": {"id": mine.aircraft},
                "reason": "not_qualified",
                "time": base["time"],
            }
            out.append(Delivery(mine.party, EventType.TACTICAL_SHOWN, shown, pair, stamp=_GATE))
    return out


def pair_cleared(
    pair: str, a: PairSide, b: PairSide, names: Mapping[str, str], now: float, told: set[str]
) -> list[Delivery]:
    """The clearing notice, to each side that was told of the pair (`told`), in its terms."""
    return [
        Delivery(
            mine.party,
            EventType.TACTICAL_CLEARED,
            {
                "id": pair,
                "cleared": True,
                "other_party": names.get(other.party, ""),
                "mine": {"id": mine.aircraft},
                "other": {"id": other.alias},
                "time": rfc3339(now),
            },
            pair,
            stamp=_GATE,
        )
        for mine, other in ((a, b), (b, a))
        if mine.party in told
    ]


def recheck_hit(
    owner: str,
    aircraft: Mapping[str, Any],
    alias: str,
    hit: Hit,
    names: Mapping[str, str],
    now: float,
) -> tuple[Delivery, CheckHitView, AuditNote]:
    """A straying aircraft's actual volume hits another party's operation: that party sees the
    aircraft (under `alias`) and the region; the owner sees the region, the other's name and
    kind — the same region each way, so each is told what the other learns."""
    notice = {
        "reason": "nonconformance",
        "other_party": names[owner],
        "my_operation_id": hit.operation,
        "other": {"id": alias, **aircraft},
        "region": hit.region["parts"],
        "region_geojson": hit.region["geojson"],
        "time": rfc3339(now),
    }
    delivery = Delivery(hit.party, EventType.TACTICAL_ALERT, notice, hit.operation, stamp=_GATE)
    view = CheckHitView(names[hit.party], hit.kind, hit.region, stamp=_GATE)
    note = AuditNote(
        None,
        "tactical.recheck",
        hit.operation,
        {"party": owner, "hit_party": hit.party},
        stamp=_GATE,
    )
    return delivery, view, note


def nonconformance(
    owner: str, state: Mapping[str, Any], hits: Iterable[CheckHitView], subject: str
) -> Delivery:
    """The owner of a straying aircraft told (its own data, and the hits it was given)."""
    data = {**state, "hits": [h.json() for h in hits]}
    return Delivery(owner, EventType.NONCONFORMANCE, data, subject, stamp=_GATE)


def alerts_read(
    viewer: str, told: Iterable[Mapping[str, Any]]
) -> list[tuple[dict[str, Any], AuditNote]]:
    """`GET /v1/tracks/alerts`: what `viewer` was last told of each alert in force, exactly
    (nothing more), each read audited under the viewer as a disclosure."""
    out = []
    for item in told:
        subject = str(item.get("id") or item["other"]["id"])
        note = _note(viewer, "disclosed", subject, {"read": "tracks.alerts"})
        out.append((dict(item), note))
    return out
