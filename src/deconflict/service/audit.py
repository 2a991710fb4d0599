"""The audit log as the parties see it: their own entries, the signed checkpoint, the log's key
and RFC 9162 proofs (hashes only, open to every party). Entries take their leaf index when
their write commits; `sequencer` builds the tree and signs checkpoints off the write path."""

from __future__ import annotations

import base64
from typing import Any

from deconflict.errors import NotFound
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.paging import check_limit, opaque_id, page, unseal
from deconflict.service.sequencer import LogBroken, leaf_of, log_signer, sequence
from deconflict.service.views import rfc3339
from deconflict.store import Tx, log
from deconflict.store import tlog as store
from deconflict.tlog import merkle
from deconflict.tlog.entry import entry_object

__all__ = [
    "LogBroken",
    "checkpoint",
    "consistency",
    "entries",
    "entry",
    "inclusion",
    "key",
    "sequence",
]


def entries(svc: Service, who: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Own entries (the admin: all), oldest first. `position` is the leaf index, `hash` the
    leaf hash (hex) once the entry is in the tree."""
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


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def entry(svc: Service, who: Principal, index: int) -> dict[str, Any]:
    """An entry at a leaf index with its leaf hash: the caller's own (the admin: any). Another
    party's entry answers exactly as a missing one."""
    row = svc.read(lambda tx: store.entry_at(tx, index)) if 0 <= index < 2**62 else None
    if row is None or not (who.admin or row.party_id == who.party()):
        raise NotFound("not_found", "no such entry", "index")
    shown = entry_object(
        row.position, row.party_id, row.action, row.subject, row.data, row.created_at, row.nonce
    )
    return {"index": row.position, "leaf_hash": _b64(leaf_of(row)), "entry": shown}


def _signed_size(tx: Tx) -> int:
    last = store.latest_checkpoint(tx)
    return 0 if last is None else int(last.size)


def checkpoint(svc: Service) -> str:
    """The latest signed checkpoint note (signing the first one if there is none yet)."""
    last = svc.read(store.latest_checkpoint)
    if last is None:
        sequence(svc)
        last = svc.read(store.latest_checkpoint)
    assert last is not None
    return str(last.note)


def key(svc: Service) -> str:
    """The log's verifier key (C2SP note verifier key string)."""
    return log_signer(svc).verifier().key()


def _in_range(value: int, low: int, high: int, field: str) -> None:
    if not low <= value <= high:
        raise Unprocessable("out_of_range", f"must be within {low}..{high}", field)


def _proof(tx: Tx, spans: list[merkle.Span]) -> dict[str, Any]:
    nodes = store.nodes(tx, merkle.needed(spans))
    return {"hashes": [_b64(h) for h in merkle.assemble(spans, nodes)]}


def inclusion(svc: Service, index: int, tree_size: int) -> dict[str, Any]:
    """PATH(index, D[tree_size]) for a tree size up to the latest checkpoint's."""

    def unit(tx: Tx) -> dict[str, Any]:
        size = _signed_size(tx)
        if size == 0:
            raise Unprocessable("out_of_range", "the log is empty", "tree_size")
        _in_range(tree_size, 1, size, "tree_size")
        _in_range(index, 0, tree_size - 1, "index")
        return _proof(tx, merkle.inclusion_spans(index, tree_size))

    return svc.read(unit)


def consistency(svc: Service, old: int, new: int) -> dict[str, Any]:
    """PROOF(old, D[new]) for sizes up to the latest checkpoint's."""

    def unit(tx: Tx) -> dict[str, Any]:
        size = _signed_size(tx)
        if size == 0:
            raise Unprocessable("out_of_range", "the log is empty", "to")
        _in_range(new, 1, size, "to")
        _in_range(old, 1, new, "from")
        return _proof(tx, merkle.consistency_spans(old, new))

    return svc.read(unit)
