"""Parties, their keys and per-party event sequences; server-wide settings in `meta`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from deconflict.store.db import Tx
from deconflict.store.schema import events, meta, parties


def insert_party(tx: Tx, party_id: str, name: str, key_hash: str, now: float) -> None:
    tx.execute(parties.insert().values(id=party_id, name=name, key_hash=key_hash, created_at=now))


def party_by(tx: Tx, **where: str) -> sa.Row[Any] | None:
    """The party row matching one column (`id=`, `name=` or `key_hash=`)."""
    ((col, value),) = where.items()
    return tx.execute(sa.select(parties).where(parties.c[col] == value)).first()


_NAMES = sa.select(parties.c.id, parties.c.name).where(
    parties.c.id.in_(sa.bindparam("ids", expanding=True))
)
_ADVANCE_SEQ = (
    parties.update()
    .where(parties.c.id == sa.bindparam("party"))
    .values(last_event_seq=parties.c.last_event_seq + sa.bindparam("n"))
    .returning(parties.c.last_event_seq)
)


def party_names(tx: Tx, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r.id: r.name for r in tx.execute(_NAMES, {"ids": wanted})}


def advance_event_seq(conn: Connection, party_id: str, n: int) -> int:
    """Take the party's next `n` event numbers; answers the last. The row lock orders
    concurrent writers."""
    return int(conn.execute(_ADVANCE_SEQ, {"party": party_id, "n": n}).scalar_one())


def last_event_seq(tx: Tx, party_id: str) -> int:
    stmt = sa.select(parties.c.last_event_seq).where(parties.c.id == party_id)
    return int(tx.execute(stmt).scalar_one())


def get_meta(tx: Tx, key: str) -> str | None:
    value: str | None = tx.execute(sa.select(meta.c.value).where(meta.c.key == key)).scalar()
    return value


def set_meta(tx: Tx, key: str, value: str) -> None:
    tx.execute(meta.delete().where(meta.c.key == key))
    tx.execute(meta.insert().values(key=key, value=value))


def set_key_hash(tx: Tx, party_id: str, key_hash: str) -> bool:
    """Replace the party's key digest; False if there is no such party."""
    done = tx.execute(parties.update().where(parties.c.id == party_id).values(key_hash=key_hash))
    return int(done.rowcount) == 1


def first_event_after(tx: Tx, party_id: str, seq: int) -> int | None:
    """The number of the party's first retained event after `seq` (None: none retained)."""
    q = sa.select(sa.func.min(events.c.seq)).where(
        events.c.party_id == party_id, events.c.seq > seq
    )
    first: int | None = tx.execute(q).scalar()
    return first
