"""Conflict use cases as one side sees them: list, read, acknowledge, talk it through."""

from __future__ import annotations

from typing import Any

from deconflict.engine import disclosure
from deconflict.engine.disclosure import EventType
from deconflict.errors import Conflicting, NotFound
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.detection import tell_both
from deconflict.service.paging import check_limit, idempotent, page, unseal
from deconflict.service.records import audit, deliver
from deconflict.service.views import conflict_view, rfc3339, stored
from deconflict.store import Tx
from deconflict.store import conflicts as store
from deconflict.store.parties import party_names

MAX_MESSAGE = 4000


def _mine(tx: Tx, party: str, conflict_id: str) -> Any:
    row = store.get_conflict(tx, conflict_id)
    if row is None or party not in (row.party_a, row.party_b):
        raise NotFound("not_found", "no such conflict", "id")
    return row


def _view(tx: Tx, row: Any, party: str) -> dict[str, Any]:
    return conflict_view(row, party, party_names(tx, (row.party_a, row.party_b)))


def list_(
    svc: Service, who: Principal, limit: int, cursor: str | None, status: str | None = None
) -> dict[str, Any]:
    party = who.party()
    after = unseal(svc, party, "conflicts", cursor)
    check_limit(limit)
    if status not in (None, "open", "resolved"):
        raise Unprocessable("invalid_status", "must be open or resolved", "status")

    def unit(tx: Tx) -> dict[str, Any]:
        rows = list(store.list_for_party(tx, party, tuple(after) if after else None, limit, status))
        names = party_names(tx, {p for r in rows for p in (r.party_a, r.party_b)})
        items = [conflict_view(r, party, names) for r in rows]
        return page(svc, party, "conflicts", items, rows, limit, lambda r: [r.opened_at, r.id])

    return svc.read(unit)


def get(svc: Service, who: Principal, conflict_id: str) -> dict[str, Any]:
    party = who.party()
    return svc.read(lambda tx: _view(tx, _mine(tx, party, conflict_id), party))


def acknowledge(svc: Service, who: Principal, conflict_id: str) -> dict[str, Any]:
    """Mark the caller's side acknowledged; both sides are told (once)."""
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row, now = _mine(tx, party, conflict_id), svc.now()
        if row.status == "resolved":
            raise Conflicting("conflict_resolved", "the conflict is already resolved", "id")
        me = stored(row).side(party)
        if getattr(row, f"status_{me}") == "open":
            store.update_conflict(
                tx, conflict_id, **{f"status_{me}": "acknowledged"}, updated_at=now
            )
            audit(tx, party, "conflict.acknowledged", conflict_id, {}, now)
            return tell_both(tx, conflict_id, EventType.CONFLICT_ACKNOWLEDGED, now)[party]
        return _view(tx, row, party)

    return svc.write(unit)


def post_message(
    svc: Service,
    who: Principal,
    conflict_id: str,
    body: str,
    idem: str | None = None,
    print_: str = "",
) -> dict[str, Any]:
    party = who.party()
    if not body.strip() or len(body) > MAX_MESSAGE:
        raise Unprocessable("invalid_length", f"must be 1..{MAX_MESSAGE} characters", "body")

    def unit(tx: Tx) -> dict[str, Any]:
        row, now = _mine(tx, party, conflict_id), svc.now()
        # Numbered within the thread (1, 2, ...), which both sides see: no global counter.
        msg_id = store.insert_message(tx, conflict_id, party, body, now)
        names = party_names(tx, (row.party_a, row.party_b))
        msg = {"id": msg_id, "body": body, "created_at": rfc3339(now)}
        audit(tx, party, "conflict.message", conflict_id, {"message_id": msg_id}, now)
        told = disclosure.message(stored(row), party, msg, names)
        deliver(tx, told, now)
        return dict(told[0].data)

    return idempotent(svc, who, idem, print_, unit)


def messages(
    svc: Service, who: Principal, conflict_id: str, limit: int, cursor: str | None
) -> dict[str, Any]:
    party, thread = who.party(), f"messages:{conflict_id}"
    after = int(unseal(svc, party, thread, cursor) or 0)
    check_limit(limit)

    def unit(tx: Tx) -> dict[str, Any]:
        row = _mine(tx, party, conflict_id)
        rows = list(store.list_messages(tx, conflict_id, after, limit))
        names = party_names(tx, (row.party_a, row.party_b))
        facts = stored(row)
        items = [
            disclosure.message_view(
                facts,
                party,
                {"id": after + n, "body": m.body, "created_at": rfc3339(m.created_at)},
                m.party_id,
                names,
            )
            for n, m in enumerate(rows, start=1)
        ]
        return page(svc, party, thread, items, items, limit, lambda m: m["id"])

    return svc.read(unit)


def escalate_due(svc: Service) -> int:
    """Raise `conflict.escalated` to both sides of every overdue unacknowledged conflict, once."""

    def unit(tx: Tx) -> int:
        now = svc.now()
        rows = store.claim_escalations(tx, now)
        for r in rows:
            audit(tx, None, "conflict.escalated", r.id, {}, now)
            tell_both(tx, r.id, EventType.CONFLICT_ESCALATED, now)
        return len(rows)

    return svc.write(unit)
