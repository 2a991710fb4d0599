"""Operations, their volumes and the candidate search on the persisted spatial-temporal index."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa

from deconflict.engine import key_levels, volume_key
from deconflict.engine.ranges import MAX_RANGES, bounded, merged, query_ranges
from deconflict.geometry import Volume
from deconflict.store.db import Tx
from deconflict.store.schema import index_levels, operations, volumes

LIVE = ("planned", "active")
SELECT_LEVELS = sa.select(index_levels.c.ls, index_levels.c.lt)


# Statements of the write path, built once: building one per call (`.values(**kw)`, `col ==
# value`) costs more CPU than SQLite takes to run it.
_INSERT_OPERATION = operations.insert()
_INSERT_VOLUMES = volumes.insert()
_GET_OPERATION = sa.select(operations).where(operations.c.id == sa.bindparam("op_id"))
_VOLUMES_OF = (
    sa.select(volumes.c.operation_id, volumes.c.json)
    .where(volumes.c.operation_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(volumes.c.operation_id, volumes.c.idx)
)


def insert_operation(tx: Tx, **values: Any) -> None:
    tx.execute(_INSERT_OPERATION, values)


def update_operation(tx: Tx, op_id: str, **values: Any) -> None:
    tx.execute(operations.update().where(operations.c.id == op_id).values(**values))


def get_operation(tx: Tx, op_id: str) -> sa.Row[Any] | None:
    return tx.execute(_GET_OPERATION, {"op_id": op_id}).first()


def list_operations(
    tx: Tx, party_id: str, after: tuple[float, str] | None, limit: int
) -> Sequence[sa.Row[Any]]:
    """A page of the party's operations in creation order, after the cursor position."""
    q = sa.select(operations).where(operations.c.party_id == party_id)
    if after:
        q = q.where(sa.tuple_(operations.c.created_at, operations.c.id) > sa.tuple_(*after))
    q = q.order_by(operations.c.created_at, operations.c.id).limit(limit)
    return tx.execute(q).all()


def replace_volumes(tx: Tx, op_id: str, vols: Sequence[tuple[dict[str, Any], Volume]]) -> None:
    """Store the operation's volumes in place of those it had."""
    tx.execute(volumes.delete().where(volumes.c.operation_id == op_id))
    insert_volumes(tx, op_id, vols)


def insert_volumes(tx: Tx, op_id: str, vols: Sequence[tuple[dict[str, Any], Volume]]) -> None:
    """Store a new operation's volumes (Volume4D JSON beside its index key and filter columns)."""
    keys = [volume_key(v) for _, v in vols]
    rows = [
        {
            "operation_id": op_id,
            "idx": i,
            "json": raw,
            "t0": v.t0,
            "t1": v.t1,
            "alt_lower": v.alt_lower_m,
            "alt_upper": v.alt_upper_m,
            "cell_key": key,
        }
        for i, ((raw, v), key) in enumerate(zip(vols, keys, strict=True))
    ]
    tx.execute(_INSERT_VOLUMES, rows)
    _add_levels(tx, {key_levels(k) for k in keys})


def _add_levels(tx: Tx, wanted: set[tuple[int, int]]) -> None:
    known = levels(tx)
    missing = wanted - set(known)
    if missing:  # insert-only and rare: a new level pair appears a few times in a lifetime
        tx.execute(index_levels.insert(), [{"ls": ls, "lt": lt} for ls, lt in sorted(missing)])
        known.extend(sorted(missing))


def levels(tx: Tx) -> list[tuple[int, int]]:
    """The occupied index levels, read once per transaction (it must see every committed one:
    a candidate search that skipped a level could miss a conflict)."""
    cached: list[tuple[int, int]] | None = tx.shared.get("levels")
    if cached is None:
        cached = tx.shared["levels"] = [(r.ls, r.lt) for r in tx.execute(SELECT_LEVELS)]
        tx.db.levels_seen = tuple(cached)
    return cached


Ranges = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]


def prepare_ranges(
    tx: Tx, vols: Sequence[Volume], margin_m: float, lv: Sequence[tuple[int, int]], ranges: Ranges
) -> None:
    """Hand the transaction key ranges worked out beforehand (outside the write turn) at the
    levels last seen; `candidates` uses them only if the levels it reads are still those."""
    tx.cache["prepared_ranges"] = (tuple(vols), margin_m, list(lv), ranges)


def load_volumes(tx: Tx, op_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored Volume4D JSON of each operation, in order."""
    ids = sorted(set(op_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    for r in tx.execute(_VOLUMES_OF, {"ids": ids}):
        out.setdefault(r.operation_id, []).append(r.json)
    return out


# The candidate search's statements, built once: (1) operations owning a volume whose index key
# lies in one of the key ranges and whose window overlaps the time span, (2) those operations,
# by primary key. The ranges come as one parameter whatever their number (SQLite caps bound
# variables; PostgreSQL plans a constant list once per call): each is one index range scan.
# Two queries, not one with a sub-select: on PostgreSQL the planner may scan `operations` for
# the joined form, and a scan takes a relation-wide serializable read lock that every
# concurrent insert then collides with (each write would abort the others and retry).
# (LATERAL and OFFSET 0, which keeps the planner from flattening it: each range is its own
# index scan; a plain join is planned as a scan of all
# volumes, which costs the whole table and takes a relation-wide serializable read lock.)
_HITS_PG = sa.text(
    "SELECT DISTINCT v.operation_id"
    " FROM unnest(CAST(:los AS bigint[]), CAST(:his AS bigint[])) AS r(lo, hi)"
    " CROSS JOIN LATERAL (SELECT operation_id FROM volumes"
    " WHERE cell_key BETWEEN r.lo AND r.hi AND t0 < :t1 AND t1 > :t0 OFFSET 0) AS v"
)
_HITS_SQLITE = sa.text(
    "SELECT DISTINCT v.operation_id FROM json_each(:ranges) AS r"
    " CROSS JOIN volumes v"  # (CROSS JOIN: SQLite keeps the ranges as the outer loop)
    " WHERE v.cell_key BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]')"
    " AND v.t0 < :t1 AND v.t1 > :t0"
)
_LIVE_OTHERS = sa.select(operations).where(
    operations.c.id.in_(sa.bindparam("ids", expanding=True)),
    operations.c.party_id != sa.bindparam("party"),
    operations.c.state.in_(LIVE),
    operations.c.kind.in_(sa.bindparam("kinds", expanding=True)),
)


def _pg_array(values: npt.NDArray[np.int64]) -> str:
    return "{" + ",".join(map(str, values.tolist())) + "}"


def candidate_ids(tx: Tx, vols: Sequence[Volume], margin_m: float) -> list[str]:
    """Operations owning a volume that may reach `vols` within `margin_m` (any party, kind or
    state): the index's superset, read inside the transaction."""
    lv = levels(tx)
    prepared = tx.cache.get("prepared_ranges")
    if prepared is not None and prepared[0] == tuple(vols) and prepared[1] == margin_m:
        # Worked out before the transaction; levels only grow, so only those that appeared
        # since are searched here (ranges of distinct levels are disjoint: their union holds).
        los, his = prepared[3]
        missing = set(lv) - set(prepared[2])
        if missing:
            more = query_ranges(vols, margin_m, missing)
            los, his = bounded(
                *merged(np.concatenate([los, more[0]]), np.concatenate([his, more[1]])), MAX_RANGES
            )
    else:
        los, his = query_ranges(vols, margin_m, lv)
    if len(los) == 0:
        return []
    span = {"t0": min(v.t0 for v in vols), "t1": max(v.t1 for v in vols)}
    if tx.postgres:
        hits = tx.execute(_HITS_PG, {"los": _pg_array(los), "his": _pg_array(his), **span})
    else:
        pairs = json.dumps(np.column_stack([los, his]).tolist())
        hits = tx.execute(_HITS_SQLITE, {"ranges": pairs, **span})
    return [r.operation_id for r in hits]


def candidates(
    tx: Tx, vols: Sequence[Volume], margin_m: float, party_id: str, kinds: Iterable[str]
) -> list[sa.Row[Any]]:
    """Live operations of other parties, of the given kinds, whose volumes may reach `vols`.

    A superset: the caller runs the exact test. Read inside the write transaction so that
    concurrent conflicting writes see each other (serializable on PostgreSQL).
    """
    ids = candidate_ids(tx, vols, margin_m)
    if not ids:
        return []
    params = {"ids": ids, "party": party_id, "kinds": list(kinds)}
    return list(tx.execute(_LIVE_OTHERS, params).all())
