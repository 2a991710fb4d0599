"""Inside a write transaction: tell a party something (an event) and write it in the audit log.

Receipts: the write's answer carries `audit_index`, the leaf index of the last entry the write
itself audited (its action), and each event the index of its disclosure entry. Indices are
taken when the transaction commits (`store.log`), so a receipt is final once answered."""

from __future__ import annotations

from typing import Any, TypeVar

from deconflict.store import Tx, log

T = TypeVar("T")
_RECEIPT = "audit.receipt"  # (in Tx.cache) the entry the write's answer is a receipt for


def emit(tx: Tx, party_id: str, type_: str, data: dict[str, Any], now: float) -> None:
    """Store an event for the party (numbered in its sequence at commit); it is also a
    disclosure, and audited as one (its data gets the entry's `audit_index`)."""
    subject = str(data.get("id") or data.get("conflict_id") or "")
    log.insert_event(tx, party_id, type_, data, now, subject)
    tx.notify.add(party_id)  # woken at commit, in this worker and (PostgreSQL) all others


def audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: dict[str, Any], now: float
) -> None:
    tx.cache[_RECEIPT] = log.insert_audit(tx, party_id, action, subject, data, now)


def with_receipt(tx: Tx, answer: T) -> T:
    """Stamp a write's answer (a dict) with the `audit_index` of its entry when it commits."""
    entry = tx.cache.get(_RECEIPT)
    if entry is not None and isinstance(answer, dict):
        log.stamp_at_commit(entry, answer)
    return answer
