"""Inside a write transaction: deliver what the disclosure gate decided (events, audit entries)
and write the audit entries of a party's own actions.

Receipts: the write's answer carries `audit_index`, the leaf index of the last entry the write
itself audited (its action), and each event the index of its disclosure entry. Indices are
taken when the transaction commits (`store.log`), so a receipt is final once answered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from deconflict.engine.disclosure import AuditNote, Delivery
from deconflict.store import Tx, log

T = TypeVar("T")
_RECEIPT = "audit.receipt"  # (in Tx.cache) the entry the write's answer is a receipt for


def emit(tx: Tx, delivery: Delivery, now: float) -> None:
    """Store an event the gate built (numbered in its party's sequence at commit); it is also a
    disclosure, audited under that party."""
    if not isinstance(delivery, Delivery):
        raise TypeError("events are built by engine.disclosure")
    data = dict(delivery.data)
    log.insert_event(tx, delivery.party, delivery.type.value, data, now, delivery.subject)
    tx.notify.add(delivery.party)  # woken at commit, in this worker and (PostgreSQL) all others


def deliver(tx: Tx, deliveries: Iterable[Delivery], now: float) -> None:
    for d in deliveries:
        emit(tx, d, now)


def file(tx: Tx, notes: Iterable[AuditNote], now: float, actor: str | None = None) -> None:
    """Write the gate's audit entries (each under the party it may be shown to); the `actor`'s
    own entry (its check) is what the write's answer is a receipt for."""
    for n in notes:
        entry = log.insert_audit(tx, n.party, n.action, n.subject, dict(n.data), now)
        if actor is not None and n.party == actor:
            tx.cache[_RECEIPT] = entry


def audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: dict[str, Any], now: float
) -> None:
    """An entry about the party's own action (its own ids only; others' go through the gate);
    the write's answer is its receipt."""
    tx.cache[_RECEIPT] = log.insert_audit(tx, party_id, action, subject, data, now)


def with_receipt(tx: Tx, answer: T) -> T:
    """Stamp a write's answer (a dict) with the `audit_index` of its entry when it commits."""
    entry = tx.cache.get(_RECEIPT)
    if entry is not None and isinstance(answer, dict):
        log.stamp_at_commit(entry, answer)
    return answer
