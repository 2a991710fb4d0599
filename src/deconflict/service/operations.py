"""Operation use cases: create, read, list, change (versioned), cancel — each one transaction."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from attrs import frozen

from deconflict.engine import Kind, Operation, State
from deconflict.engine.index import sorted_query_keys
from deconflict.errors import Conflicting, NotFound, StaleVersion
from deconflict.geometry import Volume, parse_volumes, volume_to_json
from deconflict.service import gate
from deconflict.service.context import Principal, Service
from deconflict.service.detection import LOOSE, sync
from deconflict.service.paging import check_limit, decode_cursor, idempotent, page
from deconflict.service.records import audit
from deconflict.service.views import conflict_view, operation_view
from deconflict.store import Tx
from deconflict.store import operations as store
from deconflict.store.parties import party_names
from deconflict.store.turns import Turn

# Allowed state changes; staying in the same state is always allowed.
TRANSITIONS = {
    State.PLANNED: {State.ACTIVE, State.CANCELLED},
    State.ACTIVE: {State.ENDED, State.CANCELLED},
    State.ENDED: set(),
    State.CANCELLED: set(),
}


@frozen
class Draft:
    """A new operation as asked for."""

    kind: Kind
    volumes: tuple[Volume, ...]
    state: State = State.PLANNED
    label: str = ""
    override: tuple[str, ...] = ()


@frozen
class Change:
    """A change to an operation; None leaves a field as it is."""

    volumes: tuple[Volume, ...] | None = None
    state: State | None = None
    label: str | None = None
    override: tuple[str, ...] = ()


def _own(tx: Tx, party_id: str, op_id: str) -> Any:
    row = store.get_operation(tx, op_id)
    if row is None or row.party_id != party_id:
        raise NotFound("not_found", "no such operation", "id")  # others' ids look nonexistent
    return row


def _result(
    tx: Tx, party_id: str, op_id: str, conflict_rows: list[Any], written: Any = None
) -> dict[str, Any]:
    """The answer to a write; `written` is `(row, volumes)` when the caller holds them already."""
    if written is None:
        written = (store.get_operation(tx, op_id), store.load_volumes(tx, [op_id]).get(op_id, []))
    names = (
        party_names(tx, {p for r in conflict_rows for p in (r.party_a, r.party_b)})
        if conflict_rows
        else {}
    )
    return {
        "operation": operation_view(*written),
        "conflicts": [conflict_view(r, party_id, names) for r in conflict_rows],
    }


def _write(
    tx: Tx,
    svc: Service,
    op: Operation,
    before: State | None,
    override: tuple[str, ...],
    new: bool = False,
) -> list[Any]:
    """Detect, gate activation, and return the operation's unresolved conflicts."""
    now = svc.now()
    rows = sync(tx, svc, op, now, new)
    if op.state is State.ACTIVE and before is not State.ACTIVE:
        gate.check_activation(tx, svc, op, rows, override, now)
    return rows


def create(
    svc: Service, who: Principal, draft: Draft, idem: str | None = None, print_: str = ""
) -> dict[str, Any]:
    party = who.party()
    if draft.state not in (State.PLANNED, State.ACTIVE):
        raise Conflicting("invalid_transition", "a new operation is planned or active", "state")

    # The candidate search's index keys depend only on the volumes and the index levels: work
    # them out here, outside the write lock, at the levels last seen (checked inside).
    margin, seen = svc.config.rules.max_horizontal_m, svc.db.levels_seen
    keys = None if seen is None else sorted_query_keys(draft.volumes, margin, seen)

    def unit(tx: Tx) -> dict[str, Any]:
        if seen is not None and keys is not None:
            store.prepare_keys(tx, draft.volumes, margin, seen, keys)
        now, op_id = svc.now(), str(uuid.uuid4())
        values = {
            "id": op_id,
            "party_id": party,
            "kind": draft.kind.value,
            "state": draft.state.value,
            "version": 1,
            "label": draft.label,
            "created_at": now,
            "updated_at": now,
        }
        store.insert_operation(tx, **values)
        stored = [volume_to_json(v) for v in draft.volumes]
        store.insert_volumes(tx, op_id, list(zip(stored, draft.volumes, strict=True)))
        op = Operation(op_id, party, draft.kind, draft.volumes, draft.state, 1, draft.label)
        rows = _write(tx, svc, op, None, draft.override, new=True)
        audit(
            tx,
            party,
            "operation.created",
            op_id,
            {"kind": op.kind.value, "state": op.state.value, "version": 1},
            now,
        )
        # What was just written is answered as written, not read back.
        return _result(tx, party, op_id, rows, (SimpleNamespace(**values), stored))

    turn = svc.turn_of(draft.volumes)
    return gate.probing_on_block(svc, lambda: idempotent(svc, who, idem, print_, unit, turn))


def get(svc: Service, who: Principal, op_id: str) -> dict[str, Any]:
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = _own(tx, party, op_id)
        return operation_view(row, store.load_volumes(tx, [op_id]).get(op_id, []))

    return svc.read(unit)


def list_(svc: Service, who: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    party, after = who.party(), decode_cursor(cursor)
    check_limit(limit)

    def unit(tx: Tx) -> dict[str, Any]:
        rows = list(store.list_operations(tx, party, tuple(after) if after else None, limit))
        vols = store.load_volumes(tx, [r.id for r in rows])
        items = [operation_view(r, vols.get(r.id, [])) for r in rows]
        return page(items, rows, limit, lambda r: [r.created_at, r.id])

    return svc.read(unit)


class _Moved(Exception):
    """The operation changed between reading its volumes for the turn and the transaction."""


def _turn_of_change(svc: Service, party: str, op_id: str, ch: Change) -> tuple[Turn, int]:
    """The turn a change takes: the regions of the volumes it has and of those it gets, read
    before the transaction at the version returned (the transaction checks it is still so)."""

    def read(tx: Tx) -> tuple[int, list[dict[str, Any]]]:
        return _own(tx, party, op_id).version, store.load_volumes(tx, [op_id]).get(op_id, [])

    version, stored = svc.read(read)
    had = parse_volumes(stored, "volumes", LOOSE) if stored else ()
    return svc.turn_of((*had, *(ch.volumes or ()))), version


def change(
    svc: Service, who: Principal, op_id: str, ch: Change, if_match: int | None
) -> dict[str, Any]:
    """Apply a change at `if_match` (stale → 412); re-detect conflicts in the same transaction."""
    party = who.party()
    while True:
        turn, version = _turn_of_change(svc, party, op_id, ch)
        try:
            return _change(svc, party, op_id, ch, if_match, turn, version)
        except _Moved:
            continue  # changed meanwhile by another write: its turn is read again


def _change(
    svc: Service,
    party: str,
    op_id: str,
    ch: Change,
    if_match: int | None,
    turn: Turn,
    version_read: int,
) -> dict[str, Any]:
    def unit(tx: Tx) -> dict[str, Any]:
        row = _own(tx, party, op_id)
        if row.version != version_read and (if_match is None or if_match == row.version):
            raise _Moved  # (a stale If-Match is answered below as ever)
        if if_match is not None and if_match != row.version:
            raise StaleVersion(
                "stale_version", f"operation is at version {row.version}", "If-Match"
            )
        before, now = State(row.state), svc.now()
        state = ch.state or before
        if state is not before and state not in TRANSITIONS[before]:
            raise Conflicting("invalid_transition", f"cannot go from {before} to {state}", "state")
        if not before.live and (ch.volumes is not None or ch.label is not None):
            raise Conflicting("operation_closed", f"operation is {before}", "state")
        version = row.version + 1
        store.update_operation(
            tx,
            op_id,
            state=state.value,
            version=version,
            label=row.label if ch.label is None else ch.label,
            updated_at=now,
        )
        if ch.volumes is not None:
            store.replace_volumes(tx, op_id, [(volume_to_json(v), v) for v in ch.volumes])
        vols = store.load_volumes(tx, [op_id])[op_id]
        from deconflict.service.detection import to_operation

        op = to_operation(store.get_operation(tx, op_id), vols)
        rows = _write(tx, svc, op, before, ch.override)
        audit(
            tx,
            party,
            "operation.changed",
            op_id,
            {"state": state.value, "version": version, "volumes": ch.volumes is not None},
            now,
        )
        return _result(tx, party, op_id, rows)

    return gate.probing_on_block(svc, lambda: svc.write(unit, turn))


def cancel(svc: Service, who: Principal, op_id: str, if_match: int | None) -> dict[str, Any]:
    return change(svc, who, op_id, Change(state=State.CANCELLED), if_match)
