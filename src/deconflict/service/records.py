"""Inside a write transaction: tell a party something (an event) and write it in the audit log."""

from __future__ import annotations

from typing import Any

from deconflict.store import Tx, log


def emit(tx: Tx, party_id: str, type_: str, data: dict[str, Any], now: float) -> None:
    """Store an event for the party (numbered in its sequence at commit); it is also a
    disclosure, and audited as one."""
    subject = str(data.get("id") or data.get("conflict_id") or "")
    log.insert_event(tx, party_id, type_, data, now, subject)
    tx.notify.add(party_id)  # woken at commit, in this worker and (PostgreSQL) all others


def audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: dict[str, Any], now: float
) -> None:
    log.insert_audit(tx, party_id, action, subject, data, now)
