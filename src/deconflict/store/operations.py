"""Operations, their volumes and the candidate search on the persisted spatial-temporal index."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from deconflict.engine import key_levels, volume_key
from deconflict.engine.index import sorted_query_keys
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


def prepare_keys(
    tx: Tx, vols: Sequence[Volume], margin_m: float, lv: Sequence[tuple[int, int]], keys: list[int]
) -> None:
    """Hand the transaction query keys worked out beforehand (outside the write lock) at the
    levels last seen; `candidates` uses them only if the levels it reads are still those."""
    tx.cache["prepared_keys"] = (vols, margin_m, list(lv), keys)


def load_volumes(tx: Tx, op_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored Volume4D JSON of each operation, in order."""
    ids = sorted(set(op_ids))
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    for r in tx.execute(_VOLUMES_OF, {"ids": ids}):
        out.setdefault(r.operation_id, []).append(r.json)
    return out


# The candidate search's statements, built once: (1) operations owning a volume in one of the
# index keys and overlapping the time span, (2) those operations, by primary key. Two queries,
# not one with a sub-select: on PostgreSQL the planner may scan `operations` for the joined
# form, and a scan takes a relation-wide serializable read lock that every concurrent insert
# then collides with (each write would abort the others and retry).
_TIME_SPAN = (volumes.c.t0 < sa.bindparam("t1"), volumes.c.t1 > sa.bindparam("t0"))
_HITS_PG = (
    sa.select(volumes.c.operation_id)
    .where(volumes.c.cell_key == sa.any_(sa.bindparam("keys", type_=ARRAY(sa.BigInteger))))
    .where(*_TIME_SPAN)
    .distinct()
)
_EACH_KEY = sa.func.json_each(sa.bindparam("keys")).table_valued("value")
_HITS_SQLITE = (
    sa.select(volumes.c.operation_id)
    .where(volumes.c.cell_key.in_(sa.select(_EACH_KEY.c.value)))
    .where(*_TIME_SPAN)
    .distinct()
)
_LIVE_OTHERS = sa.select(operations).where(
    operations.c.id.in_(sa.bindparam("ids", expanding=True)),
    operations.c.party_id != sa.bindparam("party"),
    operations.c.state.in_(LIVE),
    operations.c.kind.in_(sa.bindparam("kinds", expanding=True)),
)


def candidates(
    tx: Tx, vols: Sequence[Volume], margin_m: float, party_id: str, kinds: Iterable[str]
) -> list[sa.Row[Any]]:
    """Live operations of other parties, of the given kinds, whose volumes may reach `vols`.

    A superset: the caller runs the exact test. Read inside the write transaction so that
    concurrent conflicting writes see each other (serializable on PostgreSQL).
    """
    lv = levels(tx)
    prepared = tx.cache.get("prepared_keys")
    if (
        prepared is not None
        and prepared[0] is vols
        and prepared[1] == margin_m
        and sorted(prepared[2]) == sorted(lv)
    ):
        keys = prepared[3]  # worked out before the transaction, for these very levels
    else:
        keys = sorted_query_keys(vols, margin_m, lv)
    if not keys:
        return []
    span = {"t0": min(v.t0 for v in vols), "t1": max(v.t1 for v in vols)}
    if tx.postgres:
        hits = tx.execute(_HITS_PG, {"keys": keys, **span})
    else:  # one JSON parameter whatever the number of keys (SQLite caps bound variables)
        hits = tx.execute(_HITS_SQLITE, {"keys": json.dumps(keys), **span})
    ids = [r.operation_id for r in hits]
    if not ids:
        return []
    params = {"ids": ids, "party": party_id, "kinds": list(kinds)}
    return list(tx.execute(_LIVE_OTHERS, params).all())
