"""The operator's check of the audit log (`deconflict audit verify`): every leaf hash recomputed
from its entry, every stored subtree and every signed checkpoint recomputed from the leaves;
only then are pending entries added and the grown tree signed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from attrs import frozen

from deconflict.service.context import Service
from deconflict.service.sequencer import BATCH, leaf_of, log_signer, sequence
from deconflict.store import Tx
from deconflict.store import tlog as store
from deconflict.store.schema import audit_nodes
from deconflict.tlog import merkle
from deconflict.tlog.checkpoint import BadNote, Checkpoint, Verifier, open_note


@frozen
class Verdict:
    ok: bool
    count: int  # entries checked
    checkpoints: int  # signed checkpoints checked
    problem: str | None = None
    signed: int = 0  # entries added to the tree once everything checked out


def _stored_nodes(tx: Tx, new: dict[merkle.Node, bytes]) -> dict[merkle.Node, str]:
    """The stored hashes (hex) of the inner nodes in `new`."""
    wanted = {merkle.flat(n): n for n in new if n[0] > 0}
    if not wanted:
        return {}
    q = sa.select(audit_nodes).where(audit_nodes.c.node.in_(sorted(wanted)))
    return {wanted[r.node]: r.hash for r in tx.execute(q)}


def _checkpoint_problem(row: Any, root: bytes, verifier: Verifier) -> str | None:
    size = int(row.size)
    try:
        cp = open_note(row.note, verifier)
    except BadNote as err:
        return f"checkpoint of size {size}: {err}"
    if cp != Checkpoint(verifier.name, size, root) or row.root != root.hex():
        return f"checkpoint of size {size}: its root is not the root of the first {size} entries"
    return None


class _Walk:
    """The tree rebuilt from the entries, batch by batch, keeping only its frontier."""

    def __init__(self, verifier: Verifier, signed: int) -> None:
        self.verifier, self.signed = verifier, signed
        self.size, self.known, self.checkpoints = 0, dict[merkle.Node, bytes](), 0

    def batch(self, tx: Tx) -> str | None:
        rows = store.entries_from(tx, self.size, BATCH)
        leaves: list[bytes] = []
        for row in rows:
            i = self.size + len(leaves)
            if row.position != i:
                return f"leaf index {i} is missing (the next entry is at {row.position})"
            leaf = leaf_of(row)
            if i < self.signed and row.hash != leaf.hex():
                return f"entry {i}: its stored leaf hash is not the hash of its content"
            leaves.append(leaf)
        if not leaves:
            return (
                None
                if self.size >= self.signed
                else f"the signed tree has {self.signed} entries, the log {self.size}"
            )
        new = merkle.extend(self.size, self.known, leaves)
        end = self.size + len(leaves)
        inside = {n: h for n, h in new.items() if (n[1] + 1) << n[0] <= self.signed}
        stored = _stored_nodes(tx, inside)
        for n, h in sorted(inside.items()):
            if n[0] > 0 and stored.get(n) != h.hex():
                return f"stored subtree {n} (level, index) is not the hash of its entries"
        table = {**self.known, **new}
        for row in store.checkpoints(tx, self.size, 10_000):
            if int(row.size) > end:
                break
            problem = _checkpoint_problem(row, merkle.root(int(row.size), table), self.verifier)
            if problem:
                return problem
            self.checkpoints += 1
        self.size = end
        self.known = {n: table[n] for n in merkle.frontier(end)}
        return None


def verify(svc: Service) -> Verdict:
    """Check the whole log; if it holds, add pending entries to the tree and sign it."""
    verifier = log_signer(svc).verifier()
    last = svc.read(store.latest_checkpoint)
    if last is not None:
        problem = _checkpoint_problem(last, bytes.fromhex(last.root), verifier)
        if problem:
            return Verdict(False, 0, 0, problem)
    walk = _Walk(verifier, 0 if last is None else int(last.size))
    while True:
        before = walk.size
        problem = svc.read(walk.batch)
        if problem:
            return Verdict(False, walk.size, walk.checkpoints, problem)
        if walk.size - before < BATCH:
            break
    if walk.size < walk.signed:
        return Verdict(
            False, walk.size, walk.checkpoints, "entries inside the signed tree are missing"
        )
    return Verdict(True, walk.size, walk.checkpoints, None, sequence(svc))
