"""The dry-run check: stores nothing but the notice to each party it hit (no silent probing)."""

from __future__ import annotations

import uuid
from typing import Any

from attrs import evolve

from deconflict.engine import Conflict, Kind, Operation, State
from deconflict.service.context import Principal, Service
from deconflict.service.detection import find
from deconflict.service.paging import idempotent
from deconflict.service.records import audit, emit
from deconflict.service.views import disclosed_region, rfc3339
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
    turn = svc.turn_of(volumes)
    return idempotent(svc, who, idem, print_, lambda tx: probe_in(tx, svc, op), turn)


def probe(svc: Service, op: Operation, only: set[str] | None = None) -> dict[str, Any]:
    return svc.write(lambda tx: probe_in(tx, svc, op, only), svc.turn_of(op.volumes))


def probe_in(tx: Tx, svc: Service, op: Operation, only: set[str] | None = None) -> dict[str, Any]:
    """Tell each party `op` hits (`probe` event), audit it, and answer what the caller sees."""
    now = svc.now()
    found = [c for c in find(tx, svc, op) if only is None or _other(c, op) in only]
    names = party_names(tx, {_other(c, op) for c in found})
    out = []
    for c in found:
        region = disclosed_region(c.regions, svc.config.h3_resolution)
        other = _other(c, op)
        mine = c.a_operation if c.a_party == other else c.b_operation
        notice = {
            "region": region["parts"],
            "region_geojson": region["geojson"],
            "my_operation_id": mine,
            "checked_at": rfc3339(now),
        }
        emit(tx, other, "probe", notice, now)
        audit(tx, op.party, "probe", mine, {"hit_party": other}, now)
        out.append(
            {
                "other_party": names[other],
                "other_kind": (c.b_kind if c.b_party == other else c.a_kind).value,
                "region": region["parts"],
                "region_geojson": region["geojson"],
            }
        )
    audit(tx, op.party, "check", "", {"kind": op.kind.value, "hits": len(out)}, now)
    return {"conflicts": out}


def _other(c: Any, op: Operation) -> str:
    return str(c.b_party if c.a_party == op.party else c.a_party)


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
