"""The audit log's sequencer, off the write path: entries commit with their leaf index; this
hashes them as leaves, stores the tree's new complete subtrees and signs a checkpoint (C2SP
tlog-checkpoint) for the grown tree — never one it cannot derive from the last one it signed."""

from __future__ import annotations

import os
import secrets
from functools import partial
from typing import Any

import sqlalchemy as sa

from deconflict.service.context import Service
from deconflict.store import Tx
from deconflict.store import tlog as store
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


def _sequence_batch(tx: Tx, signer: Signer, now: float) -> int:
    if tx.postgres:  # (waits for another worker's run: then this one finds what is left)
        tx.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK})
    last = store.latest_checkpoint(tx)
    size = 0 if last is None else int(last.size)
    rows: list[sa.Row[Any]] = []
    for row in store.entries_from(tx, size, BATCH):
        if row.position != size + len(rows):
            break  # (cannot happen: indices are taken at commit, in commit order)
        rows.append(row)
    if not rows and last is not None:
        return 0
    known = store.nodes(tx, set(merkle.frontier(size)))
    if last is not None and merkle.root(size, known) != bytes.fromhex(last.root):
        raise LogBroken(f"the stored tree does not reproduce the checkpoint of size {size}")
    leaves = [leaf_of(r) for r in rows]
    new = merkle.extend(size, known, leaves)
    store.set_leaf_hashes(tx, [(r.id, h.hex()) for r, h in zip(rows, leaves, strict=True)])
    store.insert_nodes(tx, new)
    grown = size + len(rows)
    root = merkle.root(grown, {**known, **new})
    store.insert_checkpoint(tx, grown, root, signer.sign(Checkpoint(signer.name, grown, root)), now)
    return len(rows)


def sequence(svc: Service) -> int:
    """Hash every committed entry not yet in the tree and sign the grown tree; return how many
    entries were added."""
    signer = log_signer(svc)
    total = 0
    while True:
        # Read committed is enough: the advisory lock makes the sequencer the only tree writer.
        batch = partial(_sequence_batch, signer=signer, now=svc.now())
        n = svc.db.write(batch, isolation="READ COMMITTED")
        total += n
        if n < BATCH:
            return total
