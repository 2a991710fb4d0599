"""The probe budget: how many checks (and refused activations) that hit other parties a party
may make in a rolling hour. Counted in the database, so it holds across workers; a retry with
an Idempotency-Key replays the stored answer (no new disclosure, nothing counted), and a new
key is a new check, counted."""

from __future__ import annotations

from deconflict.errors import RateLimited
from deconflict.limits import HOUR_S
from deconflict.service.context import Service
from deconflict.store import Tx
from deconflict.store.abuse import probe_hits_since, record_probe_hit


class ProbeBudgetExhausted(RateLimited):
    """The party's checks hit others too often this hour: checks are refused until it has room."""

    def __init__(self, budget: int, retry_after: float) -> None:
        super().__init__(
            "probe_budget_exhausted",
            f"the probe budget ({budget} checks hitting other parties per hour) is spent; "
            "checks are refused until the delay in Retry-After has passed",
            None,
            retry_after,
        )
        self.details = {"limit": "probe_budget", "budget_per_h": budget}


def exhausted(tx: Tx, svc: Service, party: str, now: float) -> ProbeBudgetExhausted | None:
    """The refusal to raise if the party's budget is spent, else None."""
    budget = svc.config.limits.probe_budget_per_h
    if budget <= 0:
        return None
    used, oldest = probe_hits_since(tx, party, now - HOUR_S)
    if used < budget or oldest is None:
        return None
    return ProbeBudgetExhausted(budget, max(1.0, oldest + HOUR_S - now))


def admit(tx: Tx, svc: Service, party: str, now: float) -> None:
    """Before a check looks at anything: refuse it if the budget is spent. The refusal does
    not depend on what the check would have hit, so it reveals nothing."""
    refusal = exhausted(tx, svc, party, now)
    if refusal is not None:
        raise refusal


def spend(tx: Tx, party: str, now: float) -> None:
    """A check (or refused activation) of `party` hit another party: one unit of its budget."""
    record_probe_hit(tx, party, now)
