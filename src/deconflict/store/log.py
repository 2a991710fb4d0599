"""Append-only records: per-party events, the audit log and stored idempotent responses."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.db import BEFORE_INSERT, Tx
from deconflict.store.parties import advance_event_seq
from deconflict.store.schema import audit, audit_head, events, idempotency

_INSERT_EVENT = events.insert()
_INSERT_AUDIT = audit.insert()


_DISCLOSURE = "_disclosure"  # an event row's audit entry, until the event has its number
# An audit row's receipts: the dicts (a write's answer, an event's data) to stamp with the
# entry's leaf index (`audit_index`) once the transaction has it, at its end.
_RECEIPTS = "_receipts"
INDEX_LOCK = 0x61756478  # "audx": held from taking indices to the commit (PostgreSQL)
# One round trip: the lock (in FROM, so taken before the select list runs), then the numbers.
_TAKE_FROM_SEQUENCE = sa.text(
    "SELECT setval('audit_index', nextval('audit_index') + :n - 1)"
    f" FROM (SELECT pg_advisory_xact_lock({INDEX_LOCK})) AS turn"
)
_TAKE_INDICES = (
    audit_head.update()
    .where(audit_head.c.id == 1)
    .values(size=audit_head.c.size + sa.bindparam("n"))
    .returning(audit_head.c.size)
)


def insert_event(tx: Tx, party_id: str, type_: str, data: Any, now: float, subject: str) -> None:
    """Store an event for the party and audit it as a disclosure of `subject`. The event gets
    its number in the party's sequence when the transaction commits (`_number_events`)."""
    data = {**data}  # its own copy: it is stamped with its entry's `audit_index`
    disclosure = _entry(party_id, "disclosed", subject, {"event": type_, "seq": None}, now)
    disclosure[_RECEIPTS] = [data]
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


def _entry(
    party_id: str | None, action: str, subject: str, data: Any, now: float
) -> dict[str, Any]:
    return {
        "party_id": party_id,
        "action": action,
        "subject": subject,
        "data": data,
        "created_at": now,
        # Random, so that a leaf hash (which another party's proof may show) cannot be used to
        # confirm a guess of the entry.
        "nonce": secrets.token_hex(16),
    }


def insert_audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: Any, now: float
) -> dict[str, Any]:
    """Write an entry at the transaction's end; the row is returned so that what it is a
    receipt for can be stamped with its index (`stamp_at_commit`)."""
    row = _entry(party_id, action, subject, data, now)
    tx.defer(_INSERT_AUDIT, row)
    return row


def stamp_at_commit(entry: dict[str, Any], receipt: dict[str, Any]) -> None:
    """Set `receipt["audit_index"]` to the entry's leaf index when the transaction takes it."""
    receipts = entry.setdefault(_RECEIPTS, [])
    if all(r is not receipt for r in receipts):
        receipts.append(receipt)


def take_indices(conn: Connection, n: int) -> int:
    """Take the next `n` leaf indices; answers the first. Called at the very end of a write
    transaction, and held until its commit, so indices follow the order of commits.

    SQLite (one writer): a counter row, rolled back with the transaction. PostgreSQL: writers
    may run side by side, and a counter row would make every two of them abort each other
    (SERIALIZABLE); so an advisory lock held to the commit orders them, and a sequence hands
    out the numbers. A transaction that fails after this (at its COMMIT) leaves a gap, which
    the sequencer fills with a `gap` entry once the lock shows no commit is under way."""
    if conn.dialect.name != "postgresql":
        return int(conn.execute(_TAKE_INDICES, {"n": n}).scalar_one()) - n
    return int(conn.execute(_TAKE_FROM_SEQUENCE, {"n": n}).scalar_one()) - n + 1


def _index_entries(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Give a batch's entries the next leaf indices, in order (see `take_indices`)."""
    for index, row in enumerate(rows, start=take_indices(conn, len(rows))):
        row["position"] = index
        for receipt in row.pop(_RECEIPTS, ()):
            receipt["audit_index"] = index


BEFORE_INSERT[_INSERT_AUDIT] = _index_entries


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


_STORE_BODY_AGAIN = (
    idempotency.update()
    .where(idempotency.c.party_id == sa.bindparam("o"), idempotency.c.key == sa.bindparam("k"))
    .values(body=sa.bindparam("b", type_=idempotency.c.body.type))
)


def store_response(
    tx: Tx, party_id: str, key: str, fingerprint: str, status: int, body: Any, now: float
) -> None:
    """Store the response now (a second request with the key in the same batch finds it), and
    again at the transaction's end, once it has been stamped with its `audit_index`."""
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
    tx.defer(_STORE_BODY_AGAIN, {"o": party_id, "k": key, "b": body})
