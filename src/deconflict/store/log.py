"""Append-only records: per-party events, the audit log and stored idempotent responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.db import BEFORE_INSERT, Tx
from deconflict.store.parties import advance_event_seq
from deconflict.store.schema import audit, events, idempotency

_INSERT_EVENT = events.insert()
_INSERT_AUDIT = audit.insert()


_DISCLOSURE = "_disclosure"  # an event row's audit entry, until the event has its number


def insert_event(tx: Tx, party_id: str, type_: str, data: Any, now: float, subject: str) -> None:
    """Store an event for the party and audit it as a disclosure of `subject`. The event gets
    its number in the party's sequence when the transaction commits (`_number_events`)."""
    disclosure = {
        "party_id": party_id,
        "action": "disclosed",
        "subject": subject,
        "data": {"event": type_, "seq": None},
        "created_at": now,
    }
    event = {"party_id": party_id, "seq": None, "type": type_, "data": data, "created_at": now}
    tx.defer(_INSERT_EVENT, {**event, _DISCLOSURE: disclosure})
    tx.defer(_INSERT_AUDIT, disclosure)


def _number_events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give a batch's events the next numbers of their parties' sequences, in order, with one
    UPDATE per party (in id order, so concurrent batches cannot deadlock) at the very end of
    the transaction: a party's counter row is held only from then to the commit, which orders
    its events as they commit (a stream never skips a number that commits later)."""
    by_party: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_party.setdefault(row["party_id"], []).append(row)
    for party in sorted(by_party):
        todo = by_party[party]
        last = advance_event_seq(conn, party, len(todo))
        for seq, row in enumerate(todo, start=last - len(todo) + 1):
            row["seq"] = seq
            row.pop(_DISCLOSURE)["data"]["seq"] = seq


BEFORE_INSERT[_INSERT_EVENT] = _number_events


def events_after(tx: Tx, party_id: str, seq: int, limit: int) -> Sequence[sa.Row[Any]]:
    q = (
        sa.select(events)
        .where(events.c.party_id == party_id, events.c.seq > seq)
        .order_by(events.c.seq)
        .limit(limit)
    )
    return tx.execute(q).all()


def count_events(tx: Tx) -> int:
    return int(tx.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


def insert_audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: Any, now: float
) -> None:
    row = {
        "party_id": party_id,
        "action": action,
        "subject": subject,
        "data": data,
        "created_at": now,
    }
    tx.defer(_INSERT_AUDIT, row)


def unsequenced(tx: Tx, limit: int) -> Sequence[sa.Row[Any]]:
    q = sa.select(audit).where(audit.c.position.is_(None)).order_by(audit.c.id).limit(limit)
    return tx.execute(q).all()


def chain_head(tx: Tx) -> sa.Row[Any] | None:
    q = sa.select(audit).where(audit.c.position.is_not(None))
    return tx.execute(q.order_by(audit.c.position.desc()).limit(1)).first()


def set_position(tx: Tx, entry_id: int, position: int, prev_hash: str, hash_: str) -> None:
    set_positions(tx, [(entry_id, position, prev_hash, hash_)])


_SET_POSITION = (
    audit.update()
    .where(audit.c.id == sa.bindparam("entry_id"))
    .values(position=sa.bindparam("p"), prev_hash=sa.bindparam("prev"), hash=sa.bindparam("h"))
)


def set_positions(tx: Tx, links: Sequence[tuple[int, int, str, str]]) -> None:
    """Chain many entries in one statement (executemany): (id, position, prev hash, hash)."""
    if links:
        rows = [{"entry_id": i, "p": p, "prev": prev, "h": h} for i, p, prev, h in links]
        tx.execute(_SET_POSITION, rows)


def chain_page(tx: Tx, after_position: int, limit: int) -> Sequence[sa.Row[Any]]:
    q = sa.select(audit).where(audit.c.position > after_position)
    return tx.execute(q.order_by(audit.c.position).limit(limit)).all()


def audit_page(
    tx: Tx, party_id: str | None, after: int | None, limit: int
) -> Sequence[sa.Row[Any]]:
    """Entries in insertion order; `party_id` None lists everyone's (admin)."""
    q = sa.select(audit)
    if party_id is not None:
        q = q.where(audit.c.party_id == party_id)
    if after is not None:
        q = q.where(audit.c.id > after)
    return tx.execute(q.order_by(audit.c.id).limit(limit)).all()


def stored_response(tx: Tx, party_id: str, key: str) -> sa.Row[Any] | None:
    q = sa.select(idempotency).where(idempotency.c.party_id == party_id, idempotency.c.key == key)
    return tx.execute(q).first()


def store_response(
    tx: Tx, party_id: str, key: str, fingerprint: str, status: int, body: Any, now: float
) -> None:
    tx.execute(
        idempotency.insert().values(
            party_id=party_id,
            key=key,
            fingerprint=fingerprint,
            status=status,
            body=body,
            created_at=now,
        )
    )
