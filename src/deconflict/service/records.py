"""Inside a write transaction: tell a party something (an event) and write it in the audit log."""

from __future__ import annotations

from typing import Any

from deconflict.store import Tx, log
from deconflict.store.parties import next_event_seq


def emit(tx: Tx, party_id: str, type_: str, data: dict[str, Any], now: float) -> int:
    """Store an event under the party's next sequence number; it is also a disclosure."""
    seq = next_event_seq(tx, party_id)
    log.insert_event(tx, party_id, seq, type_, data, now)
    subject = str(data.get("id") or data.get("conflict_id") or "")
    log.insert_audit(tx, party_id, "disclosed", subject, {"event": type_, "seq": seq}, now)
    tx.notify.add(party_id)  # woken at commit, in this worker and (PostgreSQL) all others
    return seq


def audit(
    tx: Tx, party_id: str | None, action: str, subject: str, data: dict[str, Any], now: float
) -> None:
    log.insert_audit(tx, party_id, action, subject, data, now)
