"""The relay's rows for private matching: opaque blobs stored and forwarded, nothing opened."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from deconflict.store.db import Tx
from deconflict.store.schema import (
    parties,
    private_conflicts,
    private_keys,
    private_refinements,
    private_sets,
)


def public_key(tx: Tx, party_id: str) -> sa.Row[Any] | None:
    return tx.execute(sa.select(private_keys).where(private_keys.c.party_id == party_id)).first()


def put_public_key(tx: Tx, party_id: str, key: bytes, now: float) -> None:
    tx.execute(private_keys.delete().where(private_keys.c.party_id == party_id))
    tx.execute(private_keys.insert().values(party_id=party_id, public_key=key, updated_at=now))


def private_parties(tx: Tx) -> Sequence[sa.Row[Any]]:
    """Every party with a published key, with its name, by id."""
    q = sa.select(private_keys, parties.c.name).join(
        parties, parties.c.id == private_keys.c.party_id
    )
    return tx.execute(q.order_by(private_keys.c.party_id)).all()


def get_set(tx: Tx, owner: str, counterpart: str) -> sa.Row[Any] | None:
    q = sa.select(private_sets).where(
        private_sets.c.owner == owner, private_sets.c.counterpart == counterpart
    )
    return tx.execute(q).first()


def put_set(tx: Tx, owner: str, counterpart: str, blinded: bytes, now: float) -> int:
    """Store the owner's blinded set for the counterpart as its next round (dropping the old
    re-blinding, which belonged to the previous round); answers the round."""
    old = get_set(tx, owner, counterpart)
    round_ = 1 if old is None else int(old.round) + 1
    where = (private_sets.c.owner == owner) & (private_sets.c.counterpart == counterpart)
    tx.execute(private_sets.delete().where(where))
    tx.execute(
        private_sets.insert().values(
            owner=owner, counterpart=counterpart, round=round_, blinded=blinded, updated_at=now
        )
    )
    return round_


def put_reblinded(
    tx: Tx, owner: str, counterpart: str, round_: int, reblinded: bytes, now: float
) -> None:
    where = (private_sets.c.owner == owner) & (private_sets.c.counterpart == counterpart)
    tx.execute(
        private_sets.update()
        .where(where)
        .values(reblinded_round=round_, reblinded=reblinded, updated_at=now)
    )


def get_refinement(tx: Tx, sender: str, recipient: str) -> sa.Row[Any] | None:
    q = sa.select(private_refinements).where(
        private_refinements.c.sender == sender, private_refinements.c.recipient == recipient
    )
    return tx.execute(q).first()


def put_refinement(tx: Tx, sender: str, recipient: str, sealed: bytes, now: float) -> None:
    where = (private_refinements.c.sender == sender) & (
        private_refinements.c.recipient == recipient
    )
    tx.execute(private_refinements.delete().where(where))
    tx.execute(
        private_refinements.insert().values(
            sender=sender, recipient=recipient, sealed=sealed, updated_at=now
        )
    )


def conflict_by_ref(tx: Tx, party_a: str, party_b: str, ref: str) -> sa.Row[Any] | None:
    c = private_conflicts.c
    q = sa.select(private_conflicts).where(c.party_a == party_a, c.party_b == party_b, c.ref == ref)
    return tx.execute(q).first()


def get_conflict(tx: Tx, conflict_id: str) -> sa.Row[Any] | None:
    q = sa.select(private_conflicts).where(private_conflicts.c.id == conflict_id)
    return tx.execute(q).first()


def insert_conflict(tx: Tx, **values: Any) -> None:
    tx.execute(private_conflicts.insert().values(**values))


def update_conflict(tx: Tx, conflict_id: str, **values: Any) -> None:
    tx.execute(
        private_conflicts.update().where(private_conflicts.c.id == conflict_id).values(**values)
    )


def conflicts_of(tx: Tx, party_id: str) -> Sequence[sa.Row[Any]]:
    c = private_conflicts.c
    q = sa.select(private_conflicts).where((c.party_a == party_id) | (c.party_b == party_id))
    return tx.execute(q.order_by(c.opened_at, c.id)).all()
