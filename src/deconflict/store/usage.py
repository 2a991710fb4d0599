"""Each party's spending in the current hour (the hourly budget's ledger)."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.store.db import Tx
from deconflict.store.schema import usage

_SPENT = sa.select(usage.c.km2h).where(
    usage.c.party_id == sa.bindparam("b_party"), usage.c.hour == sa.bindparam("b_hour")
)
_EARLIER = usage.delete().where(
    usage.c.party_id == sa.bindparam("b_party"), usage.c.hour < sa.bindparam("b_hour")
)
_ADD = (
    usage.update()
    .where(usage.c.party_id == sa.bindparam("b_party"), usage.c.hour == sa.bindparam("b_hour"))
    .values(km2h=usage.c.km2h + sa.bindparam("b_cost"))
)
_INSERT = usage.insert()


def spent(tx: Tx, party_id: str, hour: int) -> float:
    """What the party has spent in `hour` (hours since the epoch)."""
    row = tx.execute(_SPENT, {"b_party": party_id, "b_hour": hour}).first()
    return float(row.km2h) if row is not None else 0.0


def charge(tx: Tx, party_id: str, hour: int, cost: float, before: float) -> None:
    """Add `cost` to the party's spending in `hour` (`before` as read by `spent`)."""
    tx.execute(_EARLIER, {"b_party": party_id, "b_hour": hour})
    if before > 0.0:
        tx.execute(_ADD, {"b_party": party_id, "b_hour": hour, "b_cost": cost})
    else:
        tx.execute(_INSERT, {"party_id": party_id, "hour": hour, "km2h": cost})
