"""No false negative on the path the service runs: operations stored in SQLite or PostgreSQL,
found by the store's candidate search (key ranges in SQL, worked out ahead of the transaction
or inside it) and the exact test, against every pair tested by brute force. Any size, window (to
years and open-ended), separation (to 100 km), the antimeridian and 80°+."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import examples, far_scenarios

from deconflict.engine import Operation, Rules, conflicts_between
from deconflict.geometry import volume_to_json
from deconflict.service import Service
from deconflict.service.detection import find, search_ahead
from deconflict.store import Tx
from deconflict.store import operations as store
from deconflict.store.parties import insert_party
from deconflict.store.schema import index_levels, operations, volumes

PARTIES = ("north", "south", "aid", "relief")


@pytest.fixture
def stocked(svc: Service) -> Iterator[Service]:
    """The service with one row per party (their ids are their names)."""

    def unit(tx: Tx) -> None:
        for name in PARTIES:
            insert_party(tx, name, name, f"hash-{name}", 0.0)

    svc.write(unit)
    yield svc


def _replace_all(svc: Service, ops: list[Operation]) -> None:
    """Store exactly `ops` (and their index levels), as a create stores them."""

    def unit(tx: Tx) -> None:
        for table in (volumes, operations, index_levels):
            tx.execute(table.delete())
        for op in ops:
            values: dict[str, Any] = {
                "id": op.id,
                "party_id": op.party,
                "kind": op.kind.value,
                "state": op.state.value,
                "version": 1,
                "label": "",
                "created_at": 0.0,
                "updated_at": 0.0,
            }
            store.insert_operation(tx, **values)
            store.insert_volumes(tx, op.id, [(volume_to_json(v), v) for v in op.volumes])

    svc.write(unit)


@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=far_scenarios())
def test_the_store_finds_every_conflict(
    stocked: Service, scenario: tuple[list[Operation], list[Operation], Rules]
) -> None:
    stored, queries, rules = scenario
    svc = Service(stocked.config.with_(rules=rules), stocked.db)
    # Worked out at the levels of the previous example (or none): the levels found inside
    # the transaction that were not seen ahead are searched there.
    stale = [search_ahead(svc, op.volumes) for op in queries]
    _replace_all(svc, stored)
    for op, early in zip(queries, stale, strict=True):
        want = [o.id for o in stored if conflicts_between(op, o, rules) is not None]
        inside = svc.read(lambda tx, op=op: find(tx, svc, op))
        ahead = search_ahead(svc, op.volumes)  # (the levels are seen by now)
        for got in (
            inside,
            svc.read(lambda tx, op=op, ahead=ahead: (ahead(tx), find(tx, svc, op))[1]),
            svc.read(lambda tx, op=op, early=early: (early(tx), find(tx, svc, op))[1]),
        ):
            assert sorted(c.b_operation for c in got) == want
