"""Gated activation: an operation with unresolved conflicts becomes active only when the
request names every one of them as overridden; overrides are audited and both sides told."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from deconflict.engine import Operation, State
from deconflict.errors import Conflicting
from deconflict.service import budget
from deconflict.service.context import Service
from deconflict.service.detection import tell_both
from deconflict.service.records import audit
from deconflict.service.views import conflict_view
from deconflict.store import Tx
from deconflict.store.parties import party_names

T = TypeVar("T")


class ActivationBlocked(Conflicting):
    """Activation refused: the conflicts not overridden are listed in `details`."""

    def __init__(self, op: Operation, views: list[dict[str, Any]], fresh: set[str]) -> None:
        super().__init__(
            "open_conflicts",
            "the operation has unresolved conflicts; name each in `override` to activate anyway",
            "override",
        )
        self.details = {"conflicts": views}
        self.op = op
        self.fresh = fresh  # parties whose conflict is new: they get a probe notice instead


def check_activation(
    tx: Tx, svc: Service, op: Operation, rows: list[Any], override: tuple[str, ...], now: float
) -> None:
    missing = [r for r in rows if r.id not in set(override)]
    if missing:
        names = party_names(tx, {p for r in missing for p in (r.party_a, r.party_b)})
        views, fresh = [], set()
        for r in missing:
            view = conflict_view(r, op.party, names)
            if r.opened_at == now:  # opened by this very request, which is rolled back
                view["id"] = None
                fresh.add(r.party_b if r.party_a == op.party else r.party_a)
            views.append(view)
        raise ActivationBlocked(op, views, fresh)
    for r in rows:
        audit(tx, op.party, "operation.overridden", r.id, {"operation_id": op.id}, now)
        tell_both(tx, r.id, "operation.overridden", now)


def probing_on_block(svc: Service, run: Callable[[], T]) -> T:
    """Run a write; if activation is refused, the parties whose conflicts the refusal revealed
    are told as for a check (no silent probing), then the refusal goes to the caller: the 409
    with its details, or, once the caller's probe budget is spent, a bare 429."""
    from deconflict.service.checks import probe

    try:
        return run()
    except ActivationBlocked as blocked:
        if blocked.fresh:
            op = blocked.op
            spent = svc.read(lambda tx: budget.exhausted(tx, svc, op.party, svc.now()))
            # The parties hit are told even past the budget (never silent); the caller then
            # learns only that it is refused, not where.
            probe(
                svc,
                Operation("probe", op.party, op.kind, op.volumes, State.PLANNED),
                only=blocked.fresh,
                budgeted=False,
            )
            if spent is not None:
                raise spent from None
        raise
