"""Inside a write transaction: deliver what the disclosure gate decided (events, audit entries)
and write the audit entries of a party's own actions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from deconflict.engine.disclosure import AuditNote, Delivery
from deconflict.store import Tx, log


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


def file(tx: Tx, notes: Iterable[AuditNote], now: float) -> None:
    """Write the gate's audit entries (each under the party it may be shown to)."""
    for n in notes:
        log.insert_audit(tx, n.party, n.action, n.subject, dict(n.data), now)


def audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: dict[str, Any], now: float
) -> None:
    """An entry about the party's own action (its own ids only; others' go through the gate)."""
    log.insert_audit(tx, party_id, action, subject, data, now)
