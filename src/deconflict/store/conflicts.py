"""Conflicts (one row per unordered pair of operations) and their message threads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from deconflict.store.db import Tx
from deconflict.store.schema import conflicts, messages

_OF_OPERATION = sa.select(conflicts).where(
    sa.or_(conflicts.c.op_a == sa.bindparam("op"), conflicts.c.op_b == sa.bindparam("op"))
)
_GET = sa.select(conflicts).where(conflicts.c.id == sa.bindparam("cid"))
_INSERT = conflicts.insert()


def of_operation(tx: Tx, op_id: str) -> list[sa.Row[Any]]:
    return list(tx.execute(_OF_OPERATION, {"op": op_id}).all())


def get_conflict(tx: Tx, conflict_id: str) -> sa.Row[Any] | None:
    return tx.execute(_GET, {"cid": conflict_id}).first()


def insert_conflict(tx: Tx, **values: Any) -> None:
    tx.execute(_INSERT, values)


def update_conflict(tx: Tx, conflict_id: str, **values: Any) -> None:
    tx.execute(conflicts.update().where(conflicts.c.id == conflict_id).values(**values))


def list_for_party(
    tx: Tx, party_id: str, after: tuple[float, str] | None, limit: int, status: str | None
) -> Sequence[sa.Row[Any]]:
    """A page of the conflicts the party is a side of, in opening order."""
    q = sa.select(conflicts).where(
        sa.or_(conflicts.c.party_a == party_id, conflicts.c.party_b == party_id)
    )
    if status:
        q = q.where(conflicts.c.status == status)
    if after:
        q = q.where(sa.tuple_(conflicts.c.opened_at, conflicts.c.id) > sa.tuple_(*after))
    return tx.execute(q.order_by(conflicts.c.opened_at, conflicts.c.id).limit(limit)).all()


def claim_escalations(tx: Tx, now: float) -> list[sa.Row[Any]]:
    """Mark due, unacknowledged open conflicts escalated; the guard makes it once across workers."""
    stmt = (
        conflicts.update()
        .where(
            conflicts.c.status == "open",
            conflicts.c.escalated_at.is_(None),
            conflicts.c.escalate_at <= now,
            sa.or_(conflicts.c.status_a == "open", conflicts.c.status_b == "open"),
        )
        .values(escalated_at=now)
        .returning(*conflicts.c)
    )
    return list(tx.execute(stmt).all())


def count_open(tx: Tx) -> int:
    q = sa.select(sa.func.count()).select_from(conflicts).where(conflicts.c.status == "open")
    return int(tx.execute(q).scalar_one())


def insert_message(tx: Tx, conflict_id: str, party_id: str, body: str, now: float) -> int:
    """Add a message to the conflict's thread; answers its number in the thread (1, 2, ...)."""
    stmt = (
        messages.insert()
        .values(conflict_id=conflict_id, party_id=party_id, body=body, created_at=now)
        .returning(messages.c.id)
    )
    row_id = int(tx.execute(stmt).scalar_one())
    count = sa.select(sa.func.count()).where(
        messages.c.conflict_id == conflict_id, messages.c.id <= row_id
    )
    return int(tx.execute(count).scalar_one())


def list_messages(tx: Tx, conflict_id: str, skip: int, limit: int) -> Sequence[sa.Row[Any]]:
    """The thread's messages after its first `skip` (threads only grow: a stable position)."""
    q = sa.select(messages).where(messages.c.conflict_id == conflict_id)
    return tx.execute(q.order_by(messages.c.id).offset(skip).limit(limit)).all()
