"""The dry-run check: stores nothing but the notice to each party it hit (no silent probing)."""

from __future__ import annotations

import uuid
from typing import Any

from attrs import evolve

from deconflict.engine import Conflict, Kind, Operation, State, disclosure
from deconflict.engine.disclosure import Hit
from deconflict.service import budget, costs
from deconflict.service.context import Principal, Service
from deconflict.service.detection import find, search_ahead
from deconflict.service.paging import idempotent
from deconflict.service.records import deliver, file
from deconflict.service.views import disclosed_region
from deconflict.store import Tx
from deconflict.store.parties import party_by, party_names


def check(
    svc: Service,
    who: Principal,
    kind: Kind,
    volumes: tuple[Any, ...],
    idem: str | None = None,
    print_: str = "",
) -> dict[str, Any]:
    """What conflicts an operation would have; each party hit gets a `probe` event."""
    party = who.party()
    op = Operation(f"check-{uuid.uuid4()}", party, kind, volumes, State.PLANNED)
    cost = costs.within_request(svc, op.volumes)
    ahead = search_ahead(svc, op.volumes)

    def unit(tx: Tx) -> dict[str, Any]:
        costs.charge(tx, svc, party, cost)
        ahead(tx)
        return probe_in(tx, svc, op)

    return idempotent(svc, who, idem, print_, unit, svc.turn_of(volumes))


def probe_in(tx: Tx, svc: Service, op: Operation) -> dict[str, Any]:
    """Tell each party `op` hits (`probe` event), audit it under that party, and answer what
    the caller sees (as the disclosure gate decides)."""
    now = svc.now()
    budget.admit(tx, svc, op.party, now)
    hits = [_hit(svc, c, op) for c in find(tx, svc, op)]
    names = party_names(tx, {h.party for h in hits})
    outcome = disclosure.check(op.party, op.kind.value, hits, names, now, str(uuid.uuid4()))
    deliver(tx, outcome.deliveries, now)
    file(tx, outcome.notes, now, actor=op.party)
    if outcome.answer:
        budget.spend(tx, op.party, now)
    return {"conflicts": [h.json() for h in outcome.answer]}


def _hit(svc: Service, c: Conflict, op: Operation) -> Hit:
    """The other side of `c` (a conflict of `op`) as a hit, with its region as disclosed."""
    theirs_a = c.a_party != op.party
    return Hit(
        party=c.a_party if theirs_a else c.b_party,
        operation=c.a_operation if theirs_a else c.b_operation,
        kind=(c.a_kind if theirs_a else c.b_kind).value,
        region=disclosed_region(c.regions, svc.config.h3_resolution),
    )


def against_store(svc: Service, file_ops: list[Operation]) -> list[Conflict]:
    """Offline (`deconflict check FILE --db`): the conflicts of operations read from a file with
    the live operations stored, found as a write would find them. Reads only: no event, no audit
    entry (an operator with the database in hand sees everything anyway). Parties are named on
    both sides; a file party named as a stored one is that party (no conflict with itself)."""

    def unit(tx: Tx) -> list[Conflict]:
        ids: dict[str, str] = {}
        for name in {op.party for op in file_ops}:
            row = party_by(tx, name=name)
            ids[name] = row.id if row is not None else f"file:{name}"
        found = [
            _file_side_first(c, op.id)
            for op in file_ops
            for c in find(tx, svc, evolve(op, party=ids[op.party]))
        ]
        names = {**party_names(tx, {p for c in found for p in c.parties()}), **_file_names(ids)}
        return [evolve(c, a_party=names[c.a_party], b_party=names[c.b_party]) for c in found]

    return svc.read(unit)


def _file_side_first(c: Conflict, op_id: str) -> Conflict:
    if c.a_operation == op_id:
        return c
    return Conflict(
        c.b_operation, c.b_party, c.b_kind, c.a_operation, c.a_party, c.a_kind, c.regions
    )


def _file_names(ids: dict[str, str]) -> dict[str, str]:
    return {pid: name for name, pid in ids.items() if pid.startswith("file:")}
