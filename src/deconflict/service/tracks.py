"""Live tracks: a party posts batches of its aircraft's states; each batch, in one transaction,
stores the latest state per aircraft, judges conformance to the aircraft's operation, runs
tactical detection over every party's fresh tracks and tells those involved (DESIGN.md)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from attrs import asdict, frozen

from deconflict.engine import Kind, Operation
from deconflict.engine.disclosure import EventType
from deconflict.errors import DomainError, NotFound
from deconflict.geometry.geodesy import GEOD
from deconflict.service.alerts import alert
from deconflict.service.conformance import Verdict, judge
from deconflict.service.context import Principal, Service
from deconflict.service.detection import to_operation
from deconflict.service.paging import check_limit, page, unseal
from deconflict.service.records import audit
from deconflict.service.views import rfc3339
from deconflict.store import Tx
from deconflict.store import operations as op_store
from deconflict.store import tracks as store
from deconflict.store.turns import TRACKS
from deconflict.tactical.settings import TrackSettings

MAX_ID = 64
# Physical sanity bounds: beyond them a state is a unit or sign error, not an aircraft.
LIMITS = {
    "lat": (-90.0, 90.0),
    "lng": (-180.0, 180.0),
    "alt_m": (-1_000.0, 100_000.0),
    "gs_mps": (0.0, 1_500.0),  # and at most `max_speed_mps` (configured)
    "trk_deg": (0.0, 360.0),
    "vs_mps": (-500.0, 500.0),
}


class InvalidTrack(DomainError):
    """A state vector or batch that breaks the format or the configured limits (422)."""


@frozen
class TrackState:
    """One aircraft's state as its party reports it: degrees, metres W84, m/s, epoch seconds."""

    id: str
    lat: float
    lng: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float
    time: float
    operation_id: str | None = None


def _check_values(states: Sequence[TrackState], max_batch: int) -> None:
    if not 1 <= len(states) <= max_batch:
        raise InvalidTrack("count", f"needs 1 to {max_batch} states", "tracks")
    for i, s in enumerate(states):
        if not 1 <= len(s.id) <= MAX_ID or not s.id.isprintable():
            raise InvalidTrack(
                "invalid_id", f"must be 1..{MAX_ID} printable characters", f"tracks[{i}].id"
            )
        for name, (lo, hi) in LIMITS.items():
            value = getattr(s, name)
            if not math.isfinite(value) or not lo <= value <= hi:
                raise InvalidTrack(
                    "out_of_range",
                    f"must be a number within [{lo:g}, {hi:g}]",
                    f"tracks[{i}].{name}",
                )
        if not math.isfinite(s.time):
            raise InvalidTrack("invalid_time", "must be a finite time", f"tracks[{i}].time")


def _check_speeds(states: Sequence[TrackState], stored: dict[str, Any], cfg: TrackSettings) -> None:
    """Refuse what no aircraft can do: a ground speed above the maximum, or a jump between
    two states of one aircraft (in the batch, or from the stored one) that implies it."""
    for i, s in enumerate(states):
        if s.gs_mps > cfg.max_speed_mps:
            raise InvalidTrack(
                "impossible_speed",
                f"is above the {cfg.max_speed_mps:g} m/s no aircraft exceeds",
                f"tracks[{i}].gs_mps",
            )
    # Each state after the one before it (same aircraft, by time; the stored state first).
    last: dict[str, tuple[float, float, float]] = {
        a: (r.lat, r.lng, r.time) for a, r in stored.items()
    }
    pairs: list[tuple[int, tuple[float, float, float]]] = []
    for i in sorted(range(len(states)), key=lambda i: states[i].time):
        s = states[i]
        prev = last.get(s.id)
        if prev is not None and s.time < prev[2]:
            continue  # older than what is known: ignored anyway
        if prev is not None:
            pairs.append((i, prev))
        last[s.id] = (s.lat, s.lng, s.time)
    if not pairs:
        return
    now = [states[i] for i, _ in pairs]
    _, _, moved = GEOD.inv(
        [p[1] for _, p in pairs],
        [p[0] for _, p in pairs],
        [s.lng for s in now],
        [s.lat for s in now],
    )
    for (i, prev), s, d in zip(pairs, now, moved, strict=True):
        if d > cfg.max_speed_mps * (s.time - prev[2]) + cfg.jump_slack_m:
            raise InvalidTrack(
                "impossible_jump",
                f"is {d:.0f} m from the previous state of {s.id!r} {s.time - prev[2]:g} s "
                f"before: faster than {cfg.max_speed_mps:g} m/s",
                f"tracks[{i}].time",
            )


def _check_times(states: Sequence[TrackState], now: float, max_future_s: float) -> None:
    for i, s in enumerate(states):
        if s.time > now + max_future_s:
            raise InvalidTrack(
                "in_future",
                f"is more than {max_future_s:g} s ahead of the server's clock",
                f"tracks[{i}].time",
            )


def _operations(tx: Tx, party: str, states: Sequence[TrackState]) -> dict[str, Operation]:
    """The party's flight operations the states name; another's id is as one that does not exist."""
    ids = {s.operation_id for s in states if s.operation_id is not None}
    found: dict[str, Operation] = {}
    if ids:
        vols = op_store.load_volumes(tx, ids)
        for op_id in ids:
            row = op_store.get_operation(tx, op_id)
            if row is not None and row.party_id == party:
                found[op_id] = to_operation(row, vols.get(op_id, []))
    for i, s in enumerate(states):
        if s.operation_id is None:
            continue
        op = found.get(s.operation_id)
        if op is None:
            raise NotFound("not_found", "no such operation", f"tracks[{i}].operation_id")
        if op.kind is not Kind.FLIGHT:
            raise InvalidTrack(
                "not_a_flight", "must be a flight operation", f"tracks[{i}].operation_id"
            )
    return found


def _newest(states: Sequence[TrackState]) -> dict[str, TrackState]:
    """The newest state of each aircraft in the batch (the first of equal times)."""
    out: dict[str, TrackState] = {}
    for s in states:
        if s.id not in out or s.time > out[s.id].time:
            out[s.id] = s
    return out


def _row(party: str, s: TrackState, verdict: Verdict, now: float) -> dict[str, Any]:
    values = asdict(s)
    values["aircraft_id"] = values.pop("id")
    return {
        "party_id": party,
        **values,
        "received_at": now,
        "nonconforming": verdict.nonconforming,
        "rechecked_at": verdict.rechecked_at,
        "episode": verdict.episode,
        "hits_told": verdict.hits_told,
    }


def post(svc: Service, who: Principal, states: Sequence[TrackState]) -> dict[str, Any]:
    """Take a batch of the caller's aircraft states; answer with what the caller was told."""
    party, cfg = who.party(), svc.config.tracks
    _check_values(states, cfg.max_batch)

    def unit(tx: Tx) -> dict[str, Any]:
        now = svc.now()
        _check_times(states, now, cfg.max_future_s)
        ops = _operations(tx, party, states)
        newest = _newest(states)
        stored = store.of_party(tx, party, newest)
        _check_speeds(states, stored, cfg)
        accepted = [
            s
            for s in newest.values()
            if s.time >= now - cfg.stale_s and (s.id not in stored or s.time > stored[s.id].time)
        ]
        verdicts = {s.id: judge(tx, svc, party, s, ops, stored.get(s.id), now) for s in accepted}
        store.upsert(tx, [_row(party, s, verdicts[s.id], now) for s in accepted])
        raised = {(party, a) for a, v in verdicts.items() if v.started}
        told = alert(tx, svc, {(party, s.id) for s in accepted}, raised, now)
        nonconformance = [v.notice for v in verdicts.values() if v.notice is not None]
        audit(
            tx,
            party,
            "tracks.posted",
            "",
            {"accepted": len(accepted), "ignored": len(states) - len(accepted)},
            now,
        )
        return {
            "accepted": len(accepted),
            "ignored": len(states) - len(accepted),
            "alerts": told.get(party, {}).get(EventType.TACTICAL_ALERT, []),
            "cleared": told.get(party, {}).get(EventType.TACTICAL_CLEARED, []),
            "nonconformance": nonconformance,
        }

    return svc.write(unit, TRACKS)


def track_view(row: Any) -> dict[str, Any]:
    """An own track as stored (the state as reported, not extrapolated)."""
    return {
        "id": row.aircraft_id,
        "lat": row.lat,
        "lng": row.lng,
        "alt_m": row.alt_m,
        "gs_mps": row.gs_mps,
        "trk_deg": row.trk_deg,
        "vs_mps": row.vs_mps,
        "time": rfc3339(row.time),
        "operation_id": row.operation_id,
        "nonconforming": row.nonconforming,
        "received_at": rfc3339(row.received_at),
    }


def list_(svc: Service, who: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """The caller's fresh tracks (stale ones are not listed), by aircraft id."""
    party = who.party()
    after = unseal(svc, party, "tracks", cursor)
    check_limit(limit)
    since = svc.now() - svc.config.tracks.stale_s

    def unit(tx: Tx) -> dict[str, Any]:
        rows = list(store.page(tx, party, since, after, limit))
        items = [track_view(r) for r in rows]
        return page(svc, party, "tracks", items, rows, limit, lambda r: r.aircraft_id)

    return svc.read(unit)
