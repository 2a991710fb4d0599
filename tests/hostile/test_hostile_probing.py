"""A second party maps the victim by trial: refused activations and checks. Whatever the
attacker is shown of the victim, the victim is told (an event) and it is audited under the
victim; the attacker's own audit names none of the victim's ids."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hostile_helpers import Party, around_now, audit_of, leaks, party, received

SITE_1 = (36.2013, 37.1027)
SITE_2 = (36.2611, 37.1029)  # 6.6 km north of site 1


def camp(client: TestClient, victim: Party, at: tuple[float, float], label: str) -> str:
    body = {"kind": "presence", "volumes": [around_now(*at, 400)], "label": label}
    r = client.post("/v1/operations", json=body, headers=victim.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["operation"]["id"])


def hazard(client: TestClient, who: Party, radius: float, at: tuple[float, float]) -> dict:
    body = {"kind": "hazard", "volumes": [around_now(*at, radius)]}
    r = client.post("/v1/operations", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return dict(r.json())


def activate(client: TestClient, who: Party, made: dict, volumes: list) -> dict:
    op = made["operation"]
    r = client.patch(
        f"/v1/operations/{op['id']}",
        json={"state": "active", "volumes": volumes},
        headers={**who.headers, "If-Match": str(op["version"])},
    )
    assert r.status_code == 409, r.text
    return dict(r.json())


def regions_told(events: list[dict], op_id: str) -> list[list]:
    """The regions the victim was told about its operation `op_id` (conflicts and probes)."""
    return [e["data"]["region"] for e in events if e["data"].get("my_operation_id") == op_id]


def test_a_refused_activation_reveals_a_second_site_only_with_the_victim_told(
    client: TestClient,
) -> None:
    """The issue's attack: B holds a conflict with C's camp (C told); B activates with the old
    volume plus a 20 km disc over C's second camp, never told."""
    c, b = party(client, "Relief"), party(client, "Raider")
    first, second = camp(client, c, SITE_1, "camp north"), camp(client, c, SITE_2, "camp two")
    made = hazard(client, b, 1000, SITE_1)
    assert len(made["conflicts"]) == 1
    old = made["operation"]["volumes"][0]
    refused = activate(client, b, made, [old, around_now(*SITE_1, 10_000)])
    shown = refused["error"]["conflicts"]
    assert len(shown) == 2
    told = received(client, c)
    for conflict in shown:  # each region shown to B was told to C about that very camp
        assert any(conflict["region"] in regions_told(told, op) for op in (first, second))
    assert any(e["type"] == "probe" and e["data"]["my_operation_id"] == second for e in told)
    assert second in [e["subject"] for e in audit_of(client, c)]
    assert leaks([refused, audit_of(client, b), received(client, b)], [second, c.id]) == []


def test_a_refused_activation_that_widens_a_told_conflict_tells_the_victim(
    client: TestClient,
) -> None:
    """B's small hazard grazes C's camp (C told that sliver); the refusal of B's activation
    with a wide disc would show the whole camp: C must be told that region."""
    c, b = party(client, "Relief"), party(client, "Raider")
    site = camp(client, c, SITE_1, "camp north")
    edge = (SITE_1[0] + 0.0045, SITE_1[1])  # 500 m north: overlaps the camp's northern rim
    made = hazard(client, b, 200, edge)
    (sliver,) = made["conflicts"]
    refused = activate(client, b, made, [around_now(*SITE_1, 3000)])
    (whole,) = refused["error"]["conflicts"]
    assert whole["region"] != sliver["region"]
    assert whole["region"] in regions_told(received(client, c), site)
    assert leaks([refused, audit_of(client, b)], [site, c.id]) == []


def test_a_check_is_audited_under_the_victim_and_the_probers_audit_names_nobody(
    client: TestClient,
) -> None:
    c, b = party(client, "Relief"), party(client, "Raider")
    site = camp(client, c, SITE_1, "camp north")
    r = client.post(
        "/v1/checks",
        json={"kind": "hazard", "volumes": [around_now(*SITE_1, 1000)]},
        headers=b.headers,
    )
    assert r.status_code == 200 and len(r.json()["conflicts"]) == 1
    mine = audit_of(client, b)
    assert leaks([r.json(), mine, received(client, b)], [site, c.id, "camp north"]) == []
    (check,) = [e for e in mine if e["action"] == "check"]
    assert check["data"]["hits"] == 1
    theirs = [e for e in audit_of(client, c) if e["action"] == "probe"]
    assert [e["subject"] for e in theirs] == [site]
    # The operator sees the whole story: who checked, what was hit, tied by one reference.
    admin = client.get("/v1/audit", params={"limit": 500}, headers={"Authorization": "Bearer adm"})
    ref = check["data"]["check"]
    linked = [e for e in admin.json()["items"] if e["data"].get("check") == ref]
    assert {(e["party_id"], e["action"]) for e in linked} == {(b.id, "check"), (c.id, "probe")}
