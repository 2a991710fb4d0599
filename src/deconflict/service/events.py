"""Reading a party's events by sequence number (the SSE stream replays and follows these)."""

from __future__ import annotations

from typing import Any

from deconflict.service.context import Principal, Service
from deconflict.service.views import rfc3339
from deconflict.store import log
from deconflict.store.parties import last_event_seq


def after(svc: Service, who: Principal, seq: int, limit: int = 500) -> list[dict[str, Any]]:
    """The party's events with sequence numbers above `seq`, in order."""
    party = who.party()
    rows = svc.read(lambda tx: log.events_after(tx, party, seq, limit))
    return [
        {"seq": r.seq, "type": r.type, "data": r.data, "created_at": rfc3339(r.created_at)}
        for r in rows
    ]


def latest(svc: Service, who: Principal) -> int:
    """The party's last event number: a live-only stream starts after it."""
    party = who.party()
    return svc.read(lambda tx: last_event_seq(tx, party))


def gauges(svc: Service) -> dict[str, int]:
    """Numbers for /metrics: conflicts open, events stored."""
    from deconflict.store.conflicts import count_open

    return svc.read(lambda tx: {"conflicts_open": count_open(tx), "events": log.count_events(tx)})
