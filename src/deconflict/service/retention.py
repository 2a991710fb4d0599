"""Retention: events, `probe` notices, stored idempotent answers and probe-budget hits are
deleted once older than their windows (configurable); the audit log is never pruned."""

from __future__ import annotations

import logging

from deconflict.limits import HOUR_S
from deconflict.service.context import Service
from deconflict.store import Tx
from deconflict.store.abuse import prune as prune_rows

log = logging.getLogger("deconflict")


def prune(svc: Service) -> dict[str, int]:
    """One pass of the background loop; answers how many rows of each kind went."""
    keep = svc.config.retention

    def unit(tx: Tx) -> dict[str, int]:
        now = svc.now()
        return prune_rows(
            tx,
            events_before=now - keep.events_s,
            probes_before=now - keep.probes_s,
            idempotency_before=now - keep.idempotency_s,
            hits_before=now - HOUR_S,  # the probe budget looks back one hour
        )

    gone = svc.write(unit)
    if any(gone.values()):
        log.info("retention pruned %s", gone)
    return gone
