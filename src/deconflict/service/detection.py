"""Keep the stored conflicts of one operation in step with the engine's answer, in the write
transaction: open new ones, update changed regions, resolve vanished overlaps, tell both sides."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from deconflict.engine import Conflict, Kind, Operation, State, conflicts_between, disclosure
from deconflict.engine.disclosure import EventType
from deconflict.engine.ranges import query_ranges
from deconflict.geometry import Bounds, Volume, parse_volumes
from deconflict.service.context import Service
from deconflict.service.records import deliver
from deconflict.service.views import disclosed_region, stored
from deconflict.store import Tx
from deconflict.store import conflicts as store
from deconflict.store.operations import candidates, load_volumes, prepare_ranges
from deconflict.store.parties import party_names

# Stored volumes were checked on the way in; reloading them must not fail on tighter bounds.
# (Nor on a duration: a permanent volume lasts until OPEN_END.)
LOOSE = Bounds(
    max_vertices=100_000,
    max_area_m2=1e15,
    max_volumes=100_000,
    max_duration=timedelta.max,
    max_radius_m=2_000_000.0,
)


def to_operation(
    row: Any, volumes: list[dict[str, Any]] | None = None, parsed: tuple[Volume, ...] = ()
) -> Operation:
    """An operation from its stored row and volumes (as stored, or already parsed)."""
    vols = parse_volumes(volumes, "volumes", LOOSE) if volumes is not None else parsed
    return Operation(
        row.id, row.party_id, Kind(row.kind), vols, State(row.state), row.version, row.label
    )


def stored_operations(tx: Tx, svc: Service, rows: list[Any]) -> dict[str, Operation]:
    """The operations of `rows`, their volumes read and parsed only if not seen before."""
    known = {r.id: svc.parsed.get((r.id, r.version)) for r in rows}
    vols = load_volumes(tx, [i for i, p in known.items() if p is None])
    out = {}
    for row in rows:
        parsed = known[row.id]
        if parsed is None:
            parsed = parse_volumes(vols[row.id], "volumes", LOOSE)
            tx.after_commit.append(partial(svc.parsed.put, (row.id, row.version), parsed))
        out[row.id] = to_operation(row, parsed=parsed)
    return out


def search_ahead(svc: Service, vols: Sequence[Volume]) -> Callable[[Tx], None]:
    """Work out the candidate search's key ranges for `vols` now, before the write turn (they
    depend only on the volumes and the index levels, last seen by this process); the function
    returned hands them to the write's transaction, which checks the levels."""
    margin, seen = svc.config.rules.max_horizontal_m, svc.db.levels_seen
    if seen is None or not vols:
        return lambda tx: None
    ranges = query_ranges(vols, margin, seen)
    return lambda tx: prepare_ranges(tx, vols, margin, seen, ranges)


def find(tx: Tx, svc: Service, op: Operation) -> list[Conflict]:
    """The engine's conflicts of `op` with stored operations (candidates by key, exact test)."""
    if not op.state.live:
        return []
    rules = svc.config.rules
    kinds = [k.value for k in rules.partners(op.kind)]
    rows = candidates(tx, op.volumes, rules.max_horizontal_m, op.party, kinds)
    others = stored_operations(tx, svc, [r for r in rows if r.id != op.id])
    found = []
    for op_id in sorted(others):
        other = others[op_id]
        # Compute in a fixed order so the region does not depend on which side was written.
        a, b = (op, other) if op.id < other.id else (other, op)
        c = conflicts_between(a, b, rules)
        if c is not None:
            found.append(c)
    return found


def _other(c: Conflict, op_id: str) -> str:
    return c.b_operation if c.a_operation == op_id else c.a_operation


def escalate_at(svc: Service, c: Conflict, now: float) -> float:
    """Escalate an unacknowledged side after the deadline, and always before the overlap starts."""
    start = min(r.time_start.timestamp() for r in c.regions)
    cfg = svc.config
    return min(now + cfg.escalation_deadline_s, start - cfg.escalation_lead_s)


def _pair_values(c: Conflict) -> dict[str, Any]:
    a_first = c.a_operation < c.b_operation
    a = (c.a_operation, c.a_party, c.a_kind.value)
    b = (c.b_operation, c.b_party, c.b_kind.value)
    (oa, pa, ka), (ob, pb, kb) = (a, b) if a_first else (b, a)
    return dict(op_a=oa, op_b=ob, party_a=pa, party_b=pb, kind_a=ka, kind_b=kb)


def _reset(svc: Service, c: Conflict, now: float) -> dict[str, Any]:
    return dict(
        status="open",
        status_a="open",
        status_b="open",
        region=disclosed_region(c.regions, svc.config.h3_resolution),
        updated_at=now,
        resolved_at=None,
        escalate_at=escalate_at(svc, c, now),
        escalated_at=None,
    )


def tell_both(tx: Tx, conflict_id: str, type_: EventType, now: float) -> dict[str, dict[str, Any]]:
    """Send the conflict's current view to each side as event `type_`; return the views."""
    row = store.get_conflict(tx, conflict_id)
    assert row is not None
    names = party_names(tx, (row.party_a, row.party_b))
    told = disclosure.tell_both(stored(row), type_, names)
    deliver(tx, told, now)
    return {d.party: dict(d.data) for d in told}


def sync(tx: Tx, svc: Service, op: Operation, now: float, new: bool = False) -> list[Any]:
    """Bring the stored conflicts of `op` in line with detection; return its unresolved rows.
    A `new` operation has no stored conflicts yet, so none are read."""
    found = {_other(c, op.id): c for c in find(tx, svc, op)}
    existing = (
        {}
        if new
        else {(r.op_b if r.op_a == op.id else r.op_a): r for r in store.of_operation(tx, op.id)}
    )
    if not found and not existing:
        return []
    for other, c in found.items():
        row = existing.get(other)
        if row is None:
            cid = str(uuid.uuid4())
            store.insert_conflict(
                tx, id=cid, opened_at=now, **_pair_values(c), **_reset(svc, c, now)
            )
            tell_both(tx, cid, EventType.CONFLICT_OPENED, now)
        elif row.status == "resolved":
            store.update_conflict(tx, row.id, opened_at=now, **_reset(svc, c, now))
            tell_both(tx, row.id, EventType.CONFLICT_OPENED, now)
        elif row.region != disclosed_region(c.regions, svc.config.h3_resolution):
            store.update_conflict(tx, row.id, **_reset(svc, c, now))
            tell_both(tx, row.id, EventType.CONFLICT_UPDATED, now)
    for other, row in existing.items():
        if other not in found and row.status != "resolved":
            store.update_conflict(tx, row.id, status="resolved", resolved_at=now, updated_at=now)
            tell_both(tx, row.id, EventType.CONFLICT_RESOLVED, now)
    return [r for r in store.of_operation(tx, op.id) if r.status != "resolved"]
