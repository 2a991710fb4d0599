"""The probe budget's record of hits, and pruning by age of what grows with traffic."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from deconflict.store.db import Tx
from deconflict.store.schema import events, idempotency, probe_hits


def probe_hits_since(tx: Tx, party_id: str, since: float) -> tuple[int, float | None]:
    """How many hits the party has had since `since`, and when the oldest of them was."""
    q = sa.select(sa.func.count(), sa.func.min(probe_hits.c.created_at)).where(
        probe_hits.c.party_id == party_id, probe_hits.c.created_at > since
    )
    row: Any = tx.execute(q).one()
    return int(row[0]), row[1]


def record_probe_hit(tx: Tx, party_id: str, now: float) -> None:
    tx.execute(probe_hits.insert().values(party_id=party_id, created_at=now))


def prune(
    tx: Tx, events_before: float, probes_before: float, idempotency_before: float,
    hits_before: float,
) -> dict[str, int]:  # fmt: skip
    """Delete events, `probe` events, stored idempotent answers and probe-budget hits older
    than their cut-offs; answers how many rows of each went."""
    done = {
        "events": tx.execute(events.delete().where(events.c.created_at < events_before)),
        "probes": tx.execute(
            events.delete().where(events.c.type == "probe", events.c.created_at < probes_before)
        ),
        "idempotency": tx.execute(
            idempotency.delete().where(idempotency.c.created_at < idempotency_before)
        ),
        "probe_hits": tx.execute(probe_hits.delete().where(probe_hits.c.created_at < hits_before)),
    }
    return {k: int(r.rowcount) for k, r in done.items()}
