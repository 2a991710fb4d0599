"""Operation use cases: create, read, list, change (versioned), cancel — each one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

from attrs import frozen

from deconflict.engine import Kind, Operation, State
from deconflict.errors import Conflicting, DomainError, InvalidVolume, NotFound, StaleVersion
from deconflict.formats.operation import parse_operation
from deconflict.geometry import Volume, parse_volumes, volume_to_json
from deconflict.service import costs, gate
from deconflict.service.context import Principal, Service
from deconflict.service.detection import LOOSE, search_ahead, sync
from deconflict.service.paging import check_limit, idempotent, page, unseal
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
    activating = op.state is State.ACTIVE and before is not State.ACTIVE
    told = gate.told_before(tx, op.id) if activating and not new else {}
    rows = sync(tx, svc, op, now, new)
    if activating:
        gate.check_activation(tx, op, rows, override, told, now)
    return rows


def _creation(svc: Service, party: str, draft: Draft) -> Callable[[Tx], dict[str, Any]]:
    """The write that stores `draft` as a new operation of `party` and finds its conflicts."""
    if draft.state not in (State.PLANNED, State.ACTIVE):
        raise Conflicting("invalid_transition", "a new operation is planned or active", "state")

    cost = costs.within_request(svc, draft.volumes)
    ahead = search_ahead(svc, draft.volumes)

    def unit(tx: Tx) -> dict[str, Any]:
        costs.charge(tx, svc, party, cost)
        ahead(tx)
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

    return unit


def create(
    svc: Service, who: Principal, draft: Draft, idem: str | None = None, print_: str = ""
) -> dict[str, Any]:
    unit = _creation(svc, who.party(), draft)
    turn = svc.turn_of(draft.volumes)
    return gate.probing_on_block(svc, lambda: idempotent(svc, who, idem, print_, unit, turn))


def create_many(svc: Service, who: Principal, drafts: list[Draft]) -> list[dict[str, Any]]:
    """Each draft created as its own write, all queued at once so that they share commits (a
    day's plan, a file): each answer is `{operation, conflicts}` or `{error}` for its draft.
    Only planned operations: activation goes one by one (PATCH), where a refusal is handled."""
    party = who.party()
    out: list[dict[str, Any]] = [{} for _ in drafts]
    units, turns, where = [], [], []
    for i, d in enumerate(drafts):
        if d.state is not State.PLANNED:
            out[i] = error_answer(
                Conflicting("invalid_state", "a batch creates planned operations", "state")
            )
            continue
        try:
            units.append(_creation(svc, party, d))
        except DomainError as e:  # over the request budget: this draft alone is refused
            out[i] = error_answer(e)
            continue
        turns.append(svc.turn_of(d.volumes))
        where.append(i)
    for i, (ok, value) in zip(where, svc.write_all(units, turns), strict=True):
        if ok:
            out[i] = cast(dict[str, Any], value)
        elif isinstance(value, DomainError):
            out[i] = error_answer(value)
        else:
            raise cast(BaseException, value)  # not a refusal: the store failed, as `create` would
    return out


def create_batch(svc: Service, who: Principal, raw: Any) -> list[dict[str, Any]]:
    """`POST /v1/operations/batch`: each raw `{kind, volumes, label?}` through the strict
    parser (a bad one is its own `{error}`), the rest created by `create_many`."""
    if not isinstance(raw, list):
        raise InvalidVolume("invalid_type", "must be an array of operations", "operations")
    if not 1 <= len(raw) <= svc.config.max_batch:
        raise InvalidVolume("count", f"needs 1 to {svc.config.max_batch} operations", "operations")
    out: list[dict[str, Any]] = []
    drafts, where = [], []
    for i, item in enumerate(raw):
        try:
            p = parse_operation(item, f"operations[{i}]", svc.config.bounds)
        except DomainError as e:
            out.append(error_answer(e))
            continue
        out.append({})
        drafts.append(Draft(p.kind, p.volumes, label=p.label))
        where.append(i)
    for i, answer in zip(where, create_many(svc, who, drafts), strict=True):
        out[i] = answer
    return out


def error_answer(e: DomainError) -> dict[str, Any]:
    return {"error": {"code": e.code, "message": e.message, "field": e.field}}


def get(svc: Service, who: Principal, op_id: str) -> dict[str, Any]:
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = _own(tx, party, op_id)
        return operation_view(row, store.load_volumes(tx, [op_id]).get(op_id, []))

    return svc.read(unit)


def list_(svc: Service, who: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    party = who.party()
    after = unseal(svc, party, "operations", cursor)
    check_limit(limit)

    def unit(tx: Tx) -> dict[str, Any]:
        rows = list(store.list_operations(tx, party, tuple(after) if after else None, limit))
        vols = store.load_volumes(tx, [r.id for r in rows])
        items = [operation_view(r, vols.get(r.id, [])) for r in rows]
        return page(svc, party, "operations", items, rows, limit, lambda r: [r.created_at, r.id])

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
    cost = costs.within_request(svc, ch.volumes) if ch.volumes is not None else 0.0
    ahead = search_ahead(svc, ch.volumes) if ch.volumes is not None else (lambda tx: None)

    def unit(tx: Tx) -> dict[str, Any]:
        ahead(tx)
        row = _own(tx, party, op_id)
        if row.version != version_read and (if_match is None or if_match == row.version):
            raise _Moved  # (a stale If-Match is answered below as ever)
        costs.charge(tx, svc, party, cost)
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
        from deconflict.service.detection import to_operation

        row = store.get_operation(tx, op_id)
        if ch.volumes is None:
            op = to_operation(row, store.load_volumes(tx, [op_id])[op_id])
        else:  # (as given: the search worked out ahead applies to these very volumes)
            op = to_operation(row, parsed=ch.volumes)
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
