"""The audit log's sequencer, off the write path: entries commit with their leaf index; this
hashes them as leaves, stores the tree's new complete subtrees and signs a checkpoint (C2SP
tlog-checkpoint) for the grown tree — never one it cannot derive from the last one it signed."""

from __future__ import annotations

import os
import secrets
from functools import partial
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from deconflict.service.context import Service
from deconflict.store import Tx
from deconflict.store import tlog as store
from deconflict.store.log import INDEX_LOCK
from deconflict.store.parties import get_meta, set_meta
from deconflict.tlog import merkle
from deconflict.tlog.checkpoint import Checkpoint, Signer, parse_signer
from deconflict.tlog.entry import entry_bytes

SIGNER_META = "audit.signer"
SEQUENCER_LOCK = 0x61756469  # one sequencer at a time across workers (PostgreSQL)
BATCH = 1000


class LogBroken(RuntimeError):
    """The stored tree does not reproduce the last signed checkpoint: nothing more is signed."""


def _default_name() -> str:
    return f"deconflict.log/{secrets.token_hex(6)}"


def _file_signer(path: str, name: str | None) -> Signer:
    try:
        with open(path, encoding="ascii") as f:
            return parse_signer(f.read())
    except FileNotFoundError:
        pass
    signer = Signer.generate(name or _default_name())
    try:  # exclusive: of several workers starting at once, one key wins
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _file_signer(path, name)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(signer.key() + "\n")
    return signer


def log_signer(svc: Service) -> Signer:
    """The log's signing key: from the configured file, else the database; made on first use."""
    cfg = svc.config
    if cfg.log_key_file:
        return _file_signer(cfg.log_key_file, cfg.log_name)
    stored = svc.read(lambda tx: get_meta(tx, SIGNER_META))
    if stored:
        return parse_signer(stored)

    def unit(tx: Tx) -> str:
        again = get_meta(tx, SIGNER_META)
        if again:
            return again
        key = Signer.generate(cfg.log_name or _default_name()).key()
        set_meta(tx, SIGNER_META, key)
        return key

    return parse_signer(svc.db.write(unit))


def leaf_of(row: sa.Row[object]) -> bytes:
    """The leaf hash of a stored entry."""
    r = row._mapping
    return merkle.leaf_hash(
        entry_bytes(
            r["position"],
            r["party_id"],
            r["action"],
            r["subject"],
            r["data"],
            r["created_at"],
            r["nonce"],
        )
    )


@frozen
class _Growth:
    """A batch worked out in a read transaction, to be written in a short write transaction."""

    size: int  # the signed tree it grows
    leaves: list[tuple[int, bytes]]  # (entry id, leaf hash), in index order
    nodes: dict[merkle.Node, bytes]
    note: str
    root: bytes


def _grow(tx: Tx, signer: Signer) -> _Growth | int | None:
    """Hash the next entries and sign the grown tree, reading only (off the write lock); or
    the index of a gap to fill first; or None: nothing to add."""
    last = store.latest_checkpoint(tx)
    size = 0 if last is None else int(last.size)
    rows: list[sa.Row[Any]] = []
    found = store.entries_from(tx, size, BATCH)
    for row in found:
        if row.position != size + len(rows):
            break  # a gap (PostgreSQL: a commit that failed after taking its index)
        rows.append(row)
    if not rows and found:
        return size
    if not rows and last is not None:
        return None
    known = store.nodes(tx, set(merkle.frontier(size)))
    if last is not None and merkle.root(size, known) != bytes.fromhex(last.root):
        raise LogBroken(f"the stored tree does not reproduce the checkpoint of size {size}")
    leaves = [leaf_of(r) for r in rows]
    new = merkle.extend(size, known, leaves)
    grown = size + len(rows)
    root = merkle.root(grown, {**known, **new})
    note = signer.sign(Checkpoint(signer.name, grown, root))
    return _Growth(size, [(r.id, h) for r, h in zip(rows, leaves, strict=True)], new, note, root)


def _store(tx: Tx, growth: _Growth, now: float) -> bool:
    """Write a batch, unless another sequencer has grown the tree since it was read."""
    if tx.postgres:  # one sequencer at a time across workers
        tx.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK})
    last = store.latest_checkpoint(tx)
    if (0 if last is None else int(last.size)) != growth.size or (last and not growth.leaves):
        return False
    store.set_leaf_hashes(tx, [(i, h.hex()) for i, h in growth.leaves])
    store.insert_nodes(tx, growth.nodes)
    size = growth.size + len(growth.leaves)
    store.insert_checkpoint(tx, size, growth.root, growth.note, now)
    return True


def _fill_gap(tx: Tx, index: int, now: float) -> None:
    """Fill a leaf index no entry took, once no commit that could take it is under way."""
    if tx.postgres:
        tx.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK})
        tx.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": INDEX_LOCK})
    if store.entry_at(tx, index) is None and store.entries_from(tx, index, 1):
        store.insert_gap(tx, index, secrets.token_hex(16), now)


def sequence(svc: Service) -> int:
    """Hash every committed entry not yet in the tree and sign the grown tree; return how many
    entries were added. Hashing and signing happen in a read transaction; the write holds the
    write lock only to store the result."""
    signer = log_signer(svc)
    total, filled = 0, -1
    while True:
        growth = svc.read(partial(_grow, signer=signer))
        if growth is None:
            return total
        # Read committed is enough: the advisory lock makes the sequencer the only tree writer.
        if isinstance(growth, int):
            if growth == filled:
                raise LogBroken(f"leaf index {growth} is missing and could not be filled")
            svc.db.write(partial(_fill_gap, index=growth, now=svc.now()), "READ COMMITTED")
            filled = growth
            continue
        stored = svc.db.write(partial(_store, growth=growth, now=svc.now()), "READ COMMITTED")
        total += len(growth.leaves) if stored else 0
