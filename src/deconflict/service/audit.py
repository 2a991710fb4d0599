"""The audit log's hash chain, built off the write path: write transactions insert entries
without a position; the sequencer gives them consecutive positions and chained hashes in batches.
Nothing acknowledged is lost: an entry commits with its write, and is chained later."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from deconflict.service.context import Principal, Service
from deconflict.service.paging import check_limit, opaque_id, page, unseal
from deconflict.service.views import rfc3339
from deconflict.store import Tx, log

GENESIS = "0" * 64
SEQUENCER_LOCK = 0x61756469  # one sequencer at a time across workers (PostgreSQL)
BATCH = 1000


def entry_hash(prev_hash: str, position: int, row: Any) -> str:
    """sha256(prev hash + canonical JSON of the entry and its position)."""
    entry = {
        "position": position,
        "party_id": row.party_id,
        "action": row.action,
        "subject": row.subject,
        "data": row.data,
        "created_at": row.created_at,
    }
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _sequence_batch(tx: Tx) -> int:
    if tx.postgres:
        got = tx.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK})
        if not got.scalar():
            return 0
    head = log.chain_head(tx)
    position, prev = (head.position, head.hash) if head is not None else (0, GENESIS)
    rows = log.unsequenced(tx, BATCH)
    links = []
    for row in rows:
        position += 1
        h = entry_hash(prev, position, row)
        links.append((row.id, position, prev, h))
        prev = h
    log.set_positions(tx, links)  # one statement: the write lock is held for less time
    return len(rows)


def sequence(svc: Service) -> int:
    """Chain every pending entry; return how many were chained."""
    total = 0
    while True:
        # Read committed is enough: the advisory lock makes the sequencer the only chain writer.
        n = svc.db.write(_sequence_batch, isolation="READ COMMITTED")
        total += n
        if n < BATCH:
            return total


@frozen
class Verdict:
    ok: bool
    count: int
    broken_position: int | None = None


def _page(tx: Tx, after: int) -> Sequence[Any]:
    return log.chain_page(tx, after, BATCH)


def verify(svc: Service) -> Verdict:
    """Sequence what is pending, then walk the chain and name the first broken link."""
    sequence(svc)
    prev, position, count = GENESIS, 0, 0
    while True:
        rows = svc.read(partial(_page, after=position))
        for row in rows:
            expected = position + 1
            if (
                row.position != expected
                or row.prev_hash != prev
                or row.hash != entry_hash(prev, expected, row)
            ):
                return Verdict(False, count, expected)
            prev, position, count = row.hash, expected, count + 1
        if len(rows) < BATCH:
            return Verdict(True, count)


def entries(svc: Service, who: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Own entries (the admin: all), oldest first."""
    owner = None if who.admin else who.party()
    after = unseal(svc, owner or "admin", "audit", cursor)
    check_limit(limit)

    def unit(tx: Tx) -> dict[str, Any]:
        rows = list(log.audit_page(tx, owner, after, limit))
        items = [
            {
                "id": opaque_id(svc, "audit", r.id),
                "position": r.position,
                "party_id": r.party_id,
                "action": r.action,
                "subject": r.subject,
                "data": r.data,
                "created_at": rfc3339(r.created_at),
                "hash": r.hash,
            }
            for r in rows
        ]
        return page(svc, owner or "admin", "audit", items, rows, limit, lambda r: r.id)

    return svc.read(unit)
