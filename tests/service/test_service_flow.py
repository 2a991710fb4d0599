"""Use cases end to end on the store (SQLite and PostgreSQL): conflicts, disclosure, gating."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from samples import FAR, circle

from deconflict.engine import Kind, State
from deconflict.errors import Conflicting, InvalidVolume, NotFound, StaleVersion
from deconflict.geometry import parse_volumes
from deconflict.service import Principal, Service, audit, audit_check, checks, conflicts, events
from deconflict.service import operations as ops
from deconflict.service.gate import ActivationBlocked
from deconflict.service.parties import ADMIN, authenticate, create_party


def party(svc: Service, name: str) -> Principal:
    return authenticate(svc, create_party(svc, ADMIN, name)["api_key"])


def draft(kind: Kind = Kind.FLIGHT, state: State = State.PLANNED, **kw: Any) -> ops.Draft:
    return ops.Draft(kind, parse_volumes([circle(**kw)]), state)


def types(svc: Service, who: Principal) -> list[str]:
    return [e["type"] for e in events.after(svc, who, 0)]


def test_a_conflict_is_opened_once_and_each_side_sees_only_its_own(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    op_a = ops.create(svc, a, draft())["operation"]["id"]
    made = ops.create(svc, b, draft(Kind.HAZARD))
    (seen_b,) = made["conflicts"]
    assert seen_b["other_party"] == "North" and seen_b["my_kind"] == "hazard"
    (seen_a,) = conflicts.list_(svc, a, 10, None)["items"]
    assert seen_a["id"] == seen_b["id"] and seen_a["my_operation_id"] == op_a
    assert op_a not in json.dumps(seen_b)  # never the other side's operation id
    assert made["operation"]["id"] not in json.dumps(seen_a)
    with pytest.raises(NotFound):
        ops.get(svc, b, op_a)
    assert types(svc, a) == ["conflict.opened"] and types(svc, b) == ["conflict.opened"]


def test_no_conflict_within_one_party_or_between_presences(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "Aid")
    ops.create(svc, a, draft())
    assert ops.create(svc, a, draft())["conflicts"] == []
    assert ops.create(svc, b, draft(Kind.PRESENCE))["conflicts"] == []


def test_changes_update_and_resolve_conflicts(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    mine = ops.create(svc, b, draft())["operation"]
    with pytest.raises(StaleVersion):
        ops.change(svc, b, mine["id"], ops.Change(label="x"), if_match=7)
    moved = ops.Change(volumes=parse_volumes([circle(lat=36.21)]))
    out = ops.change(svc, b, mine["id"], moved, if_match=1)
    assert out["operation"]["version"] == 2 and len(out["conflicts"]) == 1
    away = ops.Change(volumes=parse_volumes([circle(**FAR)]))
    assert ops.change(svc, b, mine["id"], away, if_match=2)["conflicts"] == []
    assert types(svc, a) == ["conflict.opened", "conflict.updated", "conflict.resolved"]
    (c,) = conflicts.list_(svc, a, 10, None)["items"]
    assert c["status"] == "resolved"
    back = ops.Change(volumes=parse_volumes([circle()]))
    assert len(ops.change(svc, b, mine["id"], back, None)["conflicts"]) == 1
    assert len(conflicts.list_(svc, a, 10, None)["items"]) == 1  # the same pair, reopened


def test_cancel_resolves_and_ended_operations_are_closed(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    mine = ops.create(svc, b, draft())["operation"]
    assert ops.cancel(svc, b, mine["id"], 1)["operation"]["state"] == "cancelled"
    assert types(svc, a)[-1] == "conflict.resolved"
    with pytest.raises(Conflicting):
        ops.change(svc, b, mine["id"], ops.Change(state=State.ACTIVE), None)


def test_activation_is_gated_until_every_conflict_is_overridden(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    made = ops.create(svc, b, draft())
    op_id, cid = made["operation"]["id"], made["conflicts"][0]["id"]
    with pytest.raises(ActivationBlocked) as blocked:
        ops.change(svc, b, op_id, ops.Change(state=State.ACTIVE), 1)
    assert [c["id"] for c in blocked.value.details["conflicts"]] == [cid]
    assert ops.get(svc, b, op_id)["state"] == "planned"  # nothing half-written
    done = ops.change(svc, b, op_id, ops.Change(state=State.ACTIVE, override=(cid,)), 1)
    assert done["operation"]["state"] == "active"
    assert "operation.overridden" in types(svc, a) and "operation.overridden" in types(svc, b)


def test_creating_active_with_a_conflict_is_refused_and_the_other_side_is_told(
    svc: Service,
) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    with pytest.raises(ActivationBlocked) as blocked:
        ops.create(svc, b, draft(state=State.ACTIVE))
    assert blocked.value.details["conflicts"][0]["id"] is None
    assert ops.list_(svc, b, 10, None)["items"] == []
    assert types(svc, a) == ["probe"]


def test_a_check_stores_nothing_but_the_notice(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    out = checks.check(svc, b, Kind.FLIGHT, parse_volumes([circle()]))
    assert [h["other_party"] for h in out["conflicts"]] == ["North"]
    (probe,) = events.after(svc, a, 0)
    assert probe["type"] == "probe" and "South" not in json.dumps(probe)
    assert ops.list_(svc, b, 10, None)["items"] == []
    actions = [e["action"] for e in audit.entries(svc, ADMIN, 500, None)["items"]]
    assert "probe" in actions and "check" in actions


def test_acknowledge_and_talk(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    cid = ops.create(svc, b, draft())["conflicts"][0]["id"]
    view = conflicts.acknowledge(svc, a, cid)
    assert (view["my_status"], view["other_status"]) == ("acknowledged", "open")
    conflicts.acknowledge(svc, a, cid)  # twice is once
    conflicts.post_message(svc, b, cid, "we hold at 2000 m")
    (msg,) = conflicts.messages(svc, a, cid, 10, None)["items"]
    assert msg["from_party"] == "South"
    assert types(svc, a) == ["conflict.opened", "conflict.acknowledged", "conflict.message"]
    assert types(svc, b) == types(svc, a)
    outsider = party(svc, "Other")
    with pytest.raises(NotFound):
        conflicts.get(svc, outsider, cid)


def test_escalation_reaches_both_sides_once(svc: Service) -> None:
    svc.config = svc.config.with_(escalation_deadline_s=0.0)
    a, b = party(svc, "North"), party(svc, "South")
    ops.create(svc, a, draft())
    ops.create(svc, b, draft())
    assert conflicts.escalate_due(svc) == 1
    assert conflicts.escalate_due(svc) == 0
    assert types(svc, a)[-1] == "conflict.escalated" == types(svc, b)[-1]


def test_idempotent_create_writes_once(svc: Service) -> None:
    a = party(svc, "North")
    first = ops.create(svc, a, draft(), idem="k1", print_="p")
    again = ops.create(svc, a, draft(), idem="k1", print_="p")
    assert first == again and len(ops.list_(svc, a, 10, None)["items"]) == 1
    with pytest.raises(Exception, match="different request"):
        ops.create(svc, a, draft(), idem="k1", print_="other")


def test_bounds_name_the_field(svc: Service) -> None:
    bounds = svc.config.bounds
    with pytest.raises(InvalidVolume) as e:
        parse_volumes([circle()] * (bounds.max_volumes + 1), "volumes", bounds)
    assert e.value.field == "volumes"


def test_paging_walks_every_operation(svc: Service) -> None:
    a = party(svc, "North")
    made = {ops.create(svc, a, draft(**FAR))["operation"]["id"] for _ in range(5)}
    seen, cursor = [], None
    while True:
        page = ops.list_(svc, a, 2, cursor)
        seen += [o["id"] for o in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(made)


def test_audit_tree_verifies_and_detects_an_edit(svc: Service) -> None:
    a = party(svc, "North")
    ops.create(svc, a, draft())
    assert audit.sequence(svc) >= 2
    ok = audit_check.verify(svc)
    assert ok.ok and ok.count >= 2 and ok.checkpoints >= 1
    with svc.db.writer.begin() as conn:
        conn.execute(sa.text("UPDATE audit SET subject = 'forged' WHERE position = 1"))
    bad = audit_check.verify(svc)
    assert (
        not bad.ok and bad.problem == "entry 1: its stored leaf hash is not the hash of its content"
    )
