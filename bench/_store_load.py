"""Fill a service's store with operations fast (bulk inserts, no detection): the stored volumes
a bench then checks against through the service's own path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deconflict.engine import Operation
from deconflict.geometry import volume_to_json
from deconflict.service import Service
from deconflict.store import Tx
from deconflict.store import operations as store
from deconflict.store.parties import insert_party

CHUNK = 2_000


def load(svc: Service, ops: Sequence[Operation], now: float = 0.0) -> dict[str, str]:
    """Store `ops` as live operations of their parties (created as needed): {name: party id}."""
    names = sorted({op.party for op in ops})
    ids = {name: f"p-{name}" for name in names}

    def parties(tx: Tx) -> None:
        for name in names:
            insert_party(tx, ids[name], name, f"hash-{name}", now)

    svc.db.write(parties)
    for i in range(0, len(ops), CHUNK):
        chunk = ops[i : i + CHUNK]

        def unit(tx: Tx, chunk: Sequence[Operation] = chunk) -> None:
            for op in chunk:
                values: dict[str, Any] = {
                    "id": op.id,
                    "party_id": ids[op.party],
                    "kind": op.kind.value,
                    "state": op.state.value,
                    "version": 1,
                    "label": "",
                    "created_at": now,
                    "updated_at": now,
                }
                store.insert_operation(tx, **values)
                store.insert_volumes(tx, op.id, [(volume_to_json(v), v) for v in op.volumes])

        svc.db.write(unit)
    if svc.db.postgres:
        with svc.db.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return ids
