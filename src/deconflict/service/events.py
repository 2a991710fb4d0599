"""Reading a party's events by sequence number (the SSE stream replays and follows these)."""

from __future__ import annotations

from typing import Any

from deconflict.service.context import Principal, Service
from deconflict.service.views import rfc3339
from deconflict.store import Tx, log
from deconflict.store.parties import first_event_after, last_event_seq


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


def gap(svc: Service, who: Principal, seq: int) -> dict[str, int] | None:
    """Whether events after `seq` were pruned: `{"after", "missing_through"}`, else None."""
    party = who.party()

    def unit(tx: Tx) -> dict[str, int] | None:
        first = first_event_after(tx, party, seq)
        through = last_event_seq(tx, party) if first is None else first - 1
        return {"after": seq, "missing_through": through} if through > seq else None

    return svc.read(unit)


def gauges(svc: Service) -> dict[str, int]:
    """Numbers for /metrics: conflicts open, events stored."""
    from deconflict.store.conflicts import count_open

    return svc.read(lambda tx: {"conflicts_open": count_open(tx), "events": log.count_events(tx)})
