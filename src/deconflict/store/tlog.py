"""The audit log's Merkle tree in the database: leaf hashes (on the entries), complete subtree
hashes (`audit_nodes`), the leaf counter and the signed checkpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from deconflict.store.db import Tx
from deconflict.store.schema import audit, audit_checkpoints, audit_nodes
from deconflict.tlog.merkle import Node, flat

_NODES = sa.select(audit_nodes).where(
    audit_nodes.c.node.in_(sa.bindparam("nodes", expanding=True))
)
_LEAVES = sa.select(audit.c.position, audit.c.hash).where(
    audit.c.position.in_(sa.bindparam("positions", expanding=True))
)
_SET_LEAF = (
    audit.update().where(audit.c.id == sa.bindparam("entry_id")).values(hash=sa.bindparam("h"))
)


def head_size(tx: Tx) -> int:
    """One past the highest leaf index committed (the entries, gaps not yet filled included)."""
    top = tx.execute(sa.select(sa.func.max(audit.c.position))).scalar()
    return 0 if top is None else int(top) + 1


def insert_gap(tx: Tx, index: int, nonce: str, now: float) -> None:
    """Fill a leaf index a failed commit left unused with an entry that says so."""
    values = {"action": "gap", "subject": "", "data": {}, "created_at": now, "nonce": nonce}
    tx.execute(audit.insert().values(party_id=None, position=index, **values))


def entries_from(tx: Tx, start: int, limit: int) -> Sequence[sa.Row[Any]]:
    """Entries at leaf indices `start`, `start + 1`, ... (up to `limit`), in order."""
    q = sa.select(audit).where(audit.c.position >= start).order_by(audit.c.position)
    return tx.execute(q.limit(limit)).all()


def entry_at(tx: Tx, index: int) -> sa.Row[Any] | None:
    return tx.execute(sa.select(audit).where(audit.c.position == index)).first()


def set_leaf_hashes(tx: Tx, leaves: Sequence[tuple[int, str]]) -> None:
    """Store leaf hashes (hex) on their entries, by entry id, in one statement."""
    if leaves:
        tx.execute(_SET_LEAF, [{"entry_id": i, "h": h} for i, h in leaves])


def insert_nodes(tx: Tx, nodes: Mapping[Node, bytes]) -> None:
    """Store complete subtree hashes above the leaves (level ≥ 1)."""
    rows = [{"node": flat(n), "hash": h.hex()} for n, h in nodes.items() if n[0] > 0]
    if rows:
        tx.execute(audit_nodes.insert(), rows)


def nodes(tx: Tx, wanted: set[Node]) -> dict[Node, bytes]:
    """The stored hashes of the `wanted` complete subtrees (leaves from the entries); those not
    stored are missing from the answer. Two indexed queries whatever the number."""
    out: dict[Node, bytes] = {}
    leaves = sorted(i for lv, i in wanted if lv == 0)
    if leaves:
        found = tx.execute(_LEAVES, {"positions": leaves}).all()
        out.update({(0, int(r.position)): bytes.fromhex(r.hash) for r in found if r.hash})
    inner = {flat(n): n for n in wanted if n[0] > 0}
    if inner:
        for r in tx.execute(_NODES, {"nodes": sorted(inner)}):
            out[inner[r.node]] = bytes.fromhex(r.hash)
    return out


def latest_checkpoint(tx: Tx) -> sa.Row[Any] | None:
    q = sa.select(audit_checkpoints).order_by(audit_checkpoints.c.size.desc()).limit(1)
    return tx.execute(q).first()


def checkpoints(tx: Tx, after: int, limit: int) -> Sequence[sa.Row[Any]]:
    q = sa.select(audit_checkpoints).where(audit_checkpoints.c.size > after)
    return tx.execute(q.order_by(audit_checkpoints.c.size).limit(limit)).all()


def insert_checkpoint(tx: Tx, size: int, root: bytes, note: str, now: float) -> None:
    values = {"size": size, "root": root.hex(), "note": note, "created_at": now}
    tx.execute(audit_checkpoints.insert().values(**values))
