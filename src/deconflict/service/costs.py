"""What a request may cost: the area x duration of its volumes (km² x h), within a budget per
request (422) and per party per clock hour (429). A volume's duration counts up to the longest
the bounds allow (a permanent volume costs what a 90-day one does: the index searches it at the
same cost whatever its length)."""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.errors import InvalidVolume, OverBudget
from deconflict.geometry import Volume, footprint_area_m2
from deconflict.service.context import Service
from deconflict.store import Tx, usage

FIELD = "volumes"


def cost_km2h(svc: Service, vols: Sequence[Volume]) -> float:
    """The request's cost: the sum over its volumes of area (km²) x charged duration (h)."""
    longest = svc.config.bounds.max_duration.total_seconds()
    return sum(
        footprint_area_m2(v.footprint) / 1e6 * min(v.t1 - v.t0, longest) / 3600 for v in vols
    )


def within_request(svc: Service, vols: Sequence[Volume]) -> float:
    """The request's cost, refused (422) above the per-request budget."""
    cost, limit = cost_km2h(svc, vols), svc.config.budget_request_km2h
    if cost > limit:
        raise InvalidVolume(
            "over_request_budget",
            f"the volumes cover {cost:.4g} km² x h in all; at most {limit:.4g} per request",
            FIELD,
        )
    return cost


def charge(tx: Tx, svc: Service, party_id: str, cost: float) -> None:
    """Charge the party's hourly budget in the write's transaction; refused (429) when the
    request would go over it (and then nothing is charged)."""
    if cost <= 0.0:
        return
    now = svc.now()
    hour = int(now // 3600)
    before, limit = usage.spent(tx, party_id, hour), svc.config.budget_hour_km2h
    if before + cost > limit:
        raise OverBudget(
            "over_hourly_budget",
            f"this hour's requests would cover {before + cost:.4g} km² x h; at most"
            f" {limit:.4g} per party per hour (the budget renews on the hour)",
            FIELD,
            (hour + 1) * 3600 - now,
        )
    usage.charge(tx, party_id, hour, cost, before)
