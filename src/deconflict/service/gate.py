"""Gated activation: an operation with unresolved conflicts becomes active only when the
request names every one of them as overridden; overrides are audited and both sides told.

A refusal counts as a check (README, "Disclosure"): what it lists that the other side was not
told exactly so is told to that side as a `probe` and audited under it, before the 409 goes out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from deconflict.engine import Operation, disclosure
from deconflict.engine.disclosure import EventType, RefusalDetail
from deconflict.errors import Conflicting
from deconflict.service import budget
from deconflict.service.context import Service
from deconflict.service.detection import tell_both
from deconflict.service.records import audit, deliver, file
from deconflict.service.views import stored
from deconflict.store import Tx
from deconflict.store import conflicts as store
from deconflict.store.parties import party_names

T = TypeVar("T")


class ActivationBlocked(Conflicting):
    """Activation refused: the conflicts not overridden are listed in `details`."""

    def __init__(self, refusal: RefusalDetail, party: str) -> None:
        super().__init__(
            "open_conflicts",
            "the operation has unresolved conflicts; name each in `override` to activate anyway",
            "override",
        )
        self.refusal = refusal
        self.party = party  # the caller, whose probe budget what the refusal reveals spends
        self.details = refusal.json()


def told_before(tx: Tx, op_id: str) -> dict[str, Mapping[str, Any]]:
    """The unresolved conflicts of `op_id` as both sides were last told them: id → region."""
    return {r.id: r.region for r in store.of_operation(tx, op_id) if r.status != "resolved"}


def check_activation(
    tx: Tx,
    op: Operation,
    rows: list[Any],
    override: tuple[str, ...],
    told: Mapping[str, Mapping[str, Any]],
    now: float,
) -> None:
    missing = [r for r in rows if r.id not in set(override)]
    if missing:
        names = party_names(tx, {p for r in missing for p in (r.party_a, r.party_b)})
        blocking = [stored(r) for r in missing]
        ref = str(uuid.uuid4())
        raise ActivationBlocked(
            disclosure.refusal(op.party, blocking, told, names, now, ref), op.party
        )
    for r in rows:
        audit(tx, op.party, "operation.overridden", r.id, {"operation_id": op.id}, now)
        tell_both(tx, r.id, EventType.OPERATION_OVERRIDDEN, now)


def probing_on_block(svc: Service, run: Callable[[], T]) -> T:
    """Run a write; if activation is refused (its transaction rolled back), tell the parties
    what the refusal reveals to them (no silent probing), then give the refusal to the caller."""
    try:
        return run()
    except ActivationBlocked as blocked:
        refusal, caller = blocked.refusal, blocked.party

        def tell(tx: Tx) -> budget.ProbeBudgetExhausted | None:
            # The parties hit are told even past the caller's probe budget (never silent);
            # the caller then learns only that it is refused (429), not where.
            now = svc.now()
            spent = budget.exhausted(tx, svc, caller, now) if refusal.deliveries else None
            deliver(tx, refusal.deliveries, now)
            file(tx, refusal.notes, now)
            if refusal.deliveries:
                budget.spend(tx, caller, now)
            return spent

        spent = svc.write(tell)
        if spent is not None:
            raise spent from None
        raise
