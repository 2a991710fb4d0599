"""Live tracks (the latest state per party and aircraft) and the tactical conflicts between them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from deconflict.store.db import Tx
from deconflict.store.schema import tactical_conflicts, tracks

TrackKey = tuple[str, str]  # (party id, aircraft id)
PairKey = tuple[str, str, str, str]  # (party_a, aircraft_a, party_b, aircraft_b), a < b


def of_party(tx: Tx, party_id: str, aircraft_ids: Iterable[str]) -> dict[str, sa.Row[Any]]:
    """The stored rows of some of a party's aircraft, by aircraft id."""
    q = sa.select(tracks).where(
        tracks.c.party_id == party_id, tracks.c.aircraft_id.in_(set(aircraft_ids))
    )
    return {r.aircraft_id: r for r in tx.execute(q)}


def upsert(tx: Tx, rows: Sequence[dict[str, Any]]) -> None:
    """Store states as the latest of their aircraft, unless a newer one is stored already
    (two batches of one party may race; the newer state wins whatever the commit order)."""
    if not rows:
        return
    insert = (postgresql.insert if tx.postgres else sqlite.insert)(tracks)
    stmt = insert.on_conflict_do_update(
        index_elements=[tracks.c.party_id, tracks.c.aircraft_id],
        set_={c: insert.excluded[c] for c in rows[0] if c not in ("party_id", "aircraft_id")},
        where=insert.excluded.time > tracks.c.time,
    )
    tx.execute(stmt, list(rows))


def every(tx: Tx) -> list[sa.Row[Any]]:
    """Every stored track of every party (stale ones included until deleted)."""
    return list(tx.execute(sa.select(tracks)).all())


def page(
    tx: Tx, party_id: str, since: float, after: str | None, limit: int
) -> Sequence[sa.Row[Any]]:
    """A party's tracks with a state at or after `since`, by aircraft id."""
    q = sa.select(tracks).where(tracks.c.party_id == party_id, tracks.c.time >= since)
    if after is not None:
        q = q.where(tracks.c.aircraft_id > after)
    return tx.execute(q.order_by(tracks.c.aircraft_id).limit(limit)).all()


def delete(tx: Tx, keys: Iterable[TrackKey]) -> None:
    """Forget tracks, and the tactical conflicts they were part of."""
    keys = list(keys)
    if not keys:
        return
    tx.execute(tracks.delete().where(sa.tuple_(tracks.c.party_id, tracks.c.aircraft_id).in_(keys)))
    tc = tactical_conflicts.c
    tx.execute(
        tactical_conflicts.delete().where(
            sa.or_(
                sa.tuple_(tc.party_a, tc.aircraft_a).in_(keys),
                sa.tuple_(tc.party_b, tc.aircraft_b).in_(keys),
            )
        )
    )


def pairs(tx: Tx, keys: Iterable[PairKey]) -> dict[PairKey, sa.Row[Any]]:
    """Remembered tactical conflicts: every active one, and those of the given pairs."""
    keys = list(keys)
    tc = tactical_conflicts.c
    where: sa.ColumnElement[bool] = tc.active.is_(True)
    if keys:
        where = sa.or_(
            where, sa.tuple_(tc.party_a, tc.aircraft_a, tc.party_b, tc.aircraft_b).in_(keys)
        )
    rows = tx.execute(sa.select(tactical_conflicts).where(where))
    return {(r.party_a, r.aircraft_a, r.party_b, r.aircraft_b): r for r in rows}


def insert_pair(tx: Tx, **values: Any) -> None:
    tx.execute(tactical_conflicts.insert().values(**values))


def update_pair(tx: Tx, pair_id: str, **values: Any) -> None:
    tx.execute(
        tactical_conflicts.update().where(tactical_conflicts.c.id == pair_id).values(**values)
    )


def active_pairs_of(tx: Tx, party_id: str, since: float) -> Sequence[sa.Row[Any]]:
    """A party's active tactical conflicts whose two tracks both have a state at or after
    `since` (a pair with a stale track is only cleared by the next batch), oldest first."""
    tc = tactical_conflicts.c
    ta, tb = tracks.alias("ta"), tracks.alias("tb")
    q = (
        sa.select(tactical_conflicts)
        .join(ta, sa.and_(ta.c.party_id == tc.party_a, ta.c.aircraft_id == tc.aircraft_a))
        .join(tb, sa.and_(tb.c.party_id == tc.party_b, tb.c.aircraft_id == tc.aircraft_b))
        .where(
            tc.active.is_(True),
            sa.or_(tc.party_a == party_id, tc.party_b == party_id),
            ta.c.time >= since,
            tb.c.time >= since,
        )
        .order_by(tc.opened_at, tc.id)
    )
    return tx.execute(q).all()


def straying(tx: Tx, since: float) -> Sequence[sa.Row[Any]]:
    """Nonconforming tracks with a state at or after `since`, and whom their re-check hit."""
    t = tracks.c
    q = (
        sa.select(t.party_id, t.aircraft_id, t.hits_told)
        .where(t.nonconforming.is_(True), t.time >= since)
        .order_by(t.party_id, t.aircraft_id)
    )
    return tx.execute(q).all()
