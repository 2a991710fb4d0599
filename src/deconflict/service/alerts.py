"""Tactical alerts: detection over every party's fresh tracks, brought to one instant, and the
memory of active tactical conflicts that keeps both sides told without flooding them.

A pair of aircraft of different parties is judged when at least one of them is in the batch
being posted. Each side whose aircraft is qualified — tied to its party's own active flight
operation and conforming to it — gets a `tactical.alert` when the pair's conflict is new, when
loss of separation begins or ends, when one of the two has just become nonconforming, or again
after `realert_s`; and a `tactical.cleared` when it stops conflicting (or a track goes stale). A
side that is not qualified sees nothing of the other aircraft (fabricated tracks cannot sweep
the sky), and is told `tactical.shown` when its own aircraft was shown to the other side (whose
safety does not depend on the poster's honesty). Who sees what is the disclosure gate's. Each
side sees its own aircraft by its id and the other's only by an opaque alias that is random per
pair (stable while the pair is remembered, so a console can move one marker): never the other
party's aircraft registry id, operation ids or any other of its aircraft. States are shown as
extrapolated to the detection instant (`time`), the instant `tcpa_s` counts from.

What each side was last told of a pair is kept on the pair, so a party that signs in mid-conflict
can ask for its current alerts (:func:`current`) and be shown exactly that again, no more.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from attrs import frozen

from deconflict.engine import disclosure
from deconflict.engine.disclosure import Delivery, Encounter, EventType, PairSide, rfc3339
from deconflict.service.context import Principal, Service
from deconflict.service.records import audit, deliver, file
from deconflict.store import Tx
from deconflict.store import operations as op_store
from deconflict.store import tracks as store
from deconflict.store.parties import party_names
from deconflict.store.tracks import TrackKey
from deconflict.tactical.pairs import PairHit, hits, reason

Told = dict[str, dict[str, list[dict[str, Any]]]]  # party -> event type -> event data


@frozen
class _Pair:
    id: str
    alias_a: str
    alias_b: str


def _pair(row: Any) -> _Pair:
    """The remembered pair's id and aliases, or new ones."""
    if row is None:
        alias_a, alias_b = (f"trk-{secrets.token_hex(8)}" for _ in "ab")
        return _Pair(str(uuid.uuid4()), alias_a, alias_b)
    return _Pair(row.id, row.alias_a, row.alias_b)


def _remember(
    tx: Tx, row: Any, pair: _Pair, hit: PairHit, told: dict[str, dict[str, Any]], now: float
) -> None:
    """Store the pair as active and alerted now, with what each side (a, b) was told."""
    values = {
        "active": True,
        "los": hit.los,
        "alerted_at": now,
        "told_a": told.get(hit.a[0]),
        "told_b": told.get(hit.b[0]),
    }
    if row is None:
        store.insert_pair(
            tx,
            id=pair.id,
            party_a=hit.a[0],
            aircraft_a=hit.a[1],
            party_b=hit.b[0],
            aircraft_b=hit.b[1],
            alias_a=pair.alias_a,
            alias_b=pair.alias_b,
            opened_at=now,
            cleared_at=None,
            **values,
        )
        return
    opened = {} if row.active else {"opened_at": now, "cleared_at": None}
    store.update_pair(tx, row.id, **values, **opened)


def qualified(tx: Tx, rows: Iterable[Any]) -> set[TrackKey]:
    """The tracks that may see others' aircraft: tied to their party's own active flight
    operation and conforming to it (DESIGN.md: a live track reveals another party's aircraft
    only then)."""
    out = set()
    states: dict[str, str | None] = {}
    for r in rows:
        if r.operation_id is None or r.nonconforming:
            continue
        if r.operation_id not in states:
            op = op_store.get_operation(tx, r.operation_id)
            ok = op is not None and op.party_id == r.party_id and op.kind == "flight"
            states[r.operation_id] = op.state if ok and op is not None else None
        if states[r.operation_id] == "active":
            out.add((r.party_id, r.aircraft_id))
    return out


def _tell(tx: Tx, told: Told, deliveries: list[Delivery], now: float) -> None:
    deliver(tx, deliveries, now)
    for d in deliveries:
        told.setdefault(d.party, {}).setdefault(d.type.value, []).append(dict(d.data))


def _side(hit: PairHit, key: TrackKey, alias: str, ok: set[TrackKey]) -> PairSide:
    return PairSide(key[0], key[1], alias, hit.states[key], key in ok)


def alert(tx: Tx, svc: Service, batch: set[TrackKey], raised: set[TrackKey], now: float) -> Told:
    """Detect over every fresh track, alert and clear pairs touching `batch`, forget stale
    tracks; `raised` tracks (just became nonconforming) have their conflicts told at once.
    Who sees what of a pair is the disclosure gate's (`pair_alert`)."""
    cfg = svc.config.tracks
    rows = store.every(tx)
    fresh = [r for r in rows if r.time >= now - cfg.stale_s]
    stale = {(r.party_id, r.aircraft_id) for r in rows} - {
        (r.party_id, r.aircraft_id) for r in fresh
    }
    found = {h.key: h for h in hits(fresh, now, cfg) if h.a in batch or h.b in batch}
    remembered = store.pairs(tx, found)
    names = party_names(tx, {r.party_id for r in rows})
    involved = {k for h in found.values() for k in (h.a, h.b)}
    ok = qualified(tx, [r for r in fresh if (r.party_id, r.aircraft_id) in involved])
    told: Told = {}
    for key, hit in found.items():
        row = remembered.get(key)
        why = reason(row, hit, raised, now, cfg.realert_s)
        if why is None:
            continue
        pair = _pair(row)
        base = Encounter(
            why, hit.los, hit.tcpa_s, hit.dcpa_m, hit.t_in_s, now, hit.cpa.lat, hit.cpa.lng
        )
        a, b = _side(hit, hit.a, pair.alias_a, ok), _side(hit, hit.b, pair.alias_b, ok)
        deliveries = disclosure.pair_alert(pair.id, a, b, base, names)
        alerted = {d.party: dict(d.data) for d in deliveries if d.type is EventType.TACTICAL_ALERT}
        _remember(tx, row, pair, hit, alerted, now)
        _tell(tx, told, deliveries, now)
        audit(tx, None, "tactical.alert", pair.id, {"reason": why, "los": hit.los}, now)
    for key, row in remembered.items():
        a_key, b_key = key[:2], key[2:]
        if (
            row.active
            and key not in found
            and (a_key in batch or b_key in batch or a_key in stale or b_key in stale)
        ):
            store.update_pair(tx, row.id, active=False, cleared_at=now)
            a = PairSide(row.party_a, row.aircraft_a, row.alias_a, {}, False)
            b = PairSide(row.party_b, row.aircraft_b, row.alias_b, {}, False)
            was_told = {p for p, t in ((row.party_a, row.told_a), (row.party_b, row.told_b)) if t}
            _tell(tx, told, disclosure.pair_cleared(row.id, a, b, names, now, was_told), now)
    store.delete(tx, stale)
    return told


def current(svc: Service, who: Principal) -> dict[str, Any]:
    """The caller's current tactical alerts, each exactly as it was last told (its latest
    `tactical.alert` payload): every active pair with one of its aircraft whose two tracks are
    fresh, then every fresh straying aircraft whose latest re-check hit one of its operations.
    Cleared pairs and stale tracks are left out. Showing them again is a disclosure: each is
    written in the audit log as events are. With the server's stale time, re-alert interval
    and clock, so a console can age what it shows without hard-coding them."""
    party, cfg = who.party(), svc.config.tracks

    def unit(tx: Tx) -> dict[str, Any]:
        now = svc.now()
        since = now - cfg.stale_s
        told: list[dict[str, Any]] = []
        for row in store.active_pairs_of(tx, party, since):
            mine = row.told_a if row.party_a == party else row.told_b
            if mine:  # None: this side was not shown the other aircraft
                told.append(mine)
        for row in store.straying(tx, since):
            told.extend((row.hits_told or {}).get(party, []))
        shown = disclosure.alerts_read(party, told)
        file(tx, [note for _, note in shown], now)
        return {
            "items": [item for item, _ in shown],
            "stale_s": cfg.stale_s,
            "realert_s": cfg.realert_s,
            "time": rfc3339(now),
        }

    return svc.write(unit)
