"""Operations, their volumes and the candidate search on the persisted spatial-temporal index."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from deconflict.engine import key_levels, query_keys, volume_key
from deconflict.geometry import Volume
from deconflict.store.db import Tx
from deconflict.store.schema import index_levels, operations, volumes

LIVE = ("planned", "active")


def insert_operation(tx: Tx, **values: Any) -> None:
    tx.execute(operations.insert().values(**values))


def update_operation(tx: Tx, op_id: str, **values: Any) -> None:
    tx.execute(operations.update().where(operations.c.id == op_id).values(**values))


def get_operation(tx: Tx, op_id: str) -> sa.Row[Any] | None:
    return tx.execute(sa.select(operations).where(operations.c.id == op_id)).first()


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
    """Store the operation's volumes (Volume4D JSON beside its index key and filter columns)."""
    tx.execute(volumes.delete().where(volumes.c.operation_id == op_id))
    rows = [
        {
            "operation_id": op_id,
            "idx": i,
            "json": raw,
            "t0": v.t0,
            "t1": v.t1,
            "alt_lower": v.alt_lower_m,
            "alt_upper": v.alt_upper_m,
            "cell_key": volume_key(v),
        }
        for i, (raw, v) in enumerate(vols)
    ]
    tx.execute(volumes.insert(), rows)
    _add_levels(tx, {key_levels(volume_key(v)) for _, v in vols})


def _add_levels(tx: Tx, wanted: set[tuple[int, int]]) -> None:
    missing = wanted - set(levels(tx))
    if missing:  # insert-only and rare: a new level pair appears a few times in a lifetime
        tx.execute(index_levels.insert(), [{"ls": ls, "lt": lt} for ls, lt in sorted(missing)])


def levels(tx: Tx) -> list[tuple[int, int]]:
    return [(r.ls, r.lt) for r in tx.execute(sa.select(index_levels))]


def load_volumes(tx: Tx, op_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Stored Volume4D JSON of each operation, in order."""
    q = (
        sa.select(volumes.c.operation_id, volumes.c.json)
        .where(volumes.c.operation_id.in_(set(op_ids)))
        .order_by(volumes.c.operation_id, volumes.c.idx)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for r in tx.execute(q):
        out.setdefault(r.operation_id, []).append(r.json)
    return out


def _keys_match(tx: Tx, keys: list[int]) -> sa.ColumnElement[bool]:
    """`cell_key` in the keys, sent as one array parameter whatever their number."""
    if tx.postgres:
        return volumes.c.cell_key == sa.any_(sa.bindparam("keys", keys, type_=ARRAY(sa.BigInteger)))
    each = sa.func.json_each(sa.bindparam("keys", json.dumps(keys))).table_valued("value")
    return volumes.c.cell_key.in_(sa.select(each.c.value))


def candidates(
    tx: Tx, vols: Sequence[Volume], margin_m: float, party_id: str, kinds: Iterable[str]
) -> list[sa.Row[Any]]:
    """Live operations of other parties, of the given kinds, whose volumes may reach `vols`.

    A superset: the caller runs the exact test. Read inside the write transaction so that
    concurrent conflicting writes see each other (serializable on PostgreSQL).
    """
    lv = levels(tx)
    keys = sorted({k for v in vols for k in query_keys(v, margin_m, lv)})
    if not keys:
        return []
    ids = (
        sa.select(volumes.c.operation_id)
        .where(
            _keys_match(tx, keys),
            volumes.c.t0 < max(v.t1 for v in vols),
            volumes.c.t1 > min(v.t0 for v in vols),
        )
        .distinct()
    )
    q = sa.select(operations).where(
        operations.c.id.in_(ids),
        operations.c.party_id != party_id,
        operations.c.state.in_(LIVE),
        operations.c.kind.in_(list(kinds)),
    )
    return list(tx.execute(q).all())
