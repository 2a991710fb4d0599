"""`POST /v1/operations/batch`: each operation its own result, a bad one named and refused
alone, conflicts as one-by-one creates find them (with each other too), the count bounded."""

from __future__ import annotations

from app_client import party_headers
from fastapi.testclient import TestClient
from samples import FAR, circle


def test_each_operation_has_its_own_result(client: TestClient) -> None:
    a, b = party_headers(client, "A"), party_headers(client, "B")
    assert (
        client.post(
            "/v1/operations", json={"kind": "hazard", "volumes": [circle()]}, headers=a
        ).status_code
        == 201
    )
    lax = circle()
    lax["volume"]["outline_circle"]["center"]["lat"] = "36.2"
    body = {
        "operations": [
            {"kind": "flight", "label": "hits A", "volumes": [circle()]},
            {"kind": "flight", "volumes": [lax]},
            {"kind": "presence", "volumes": [circle(**FAR)]},
            {"kind": "flight", "volumes": [circle()], "state": "active"},
        ]
    }
    r = client.post("/v1/operations/batch", json=body, headers=b)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert len(results) == 4
    assert results[0]["operation"]["label"] == "hits A" and len(results[0]["conflicts"]) == 1
    made = [results[i] for i in (0, 2)]  # each created answer is a receipt of its own entry
    assert all(isinstance(x["audit_index"], int) for x in made)
    assert made[0]["audit_index"] != made[1]["audit_index"]
    assert (
        results[1]["error"]["field"] == "operations[1].volumes[0].volume.outline_circle.center.lat"
    )
    assert results[2]["conflicts"] == []
    assert results[3]["error"]["field"] == "operations[3].state"  # a batch plans; activate by PATCH
    mine = client.get("/v1/operations", headers=b).json()["items"]
    assert sorted(o["id"] for o in mine) == sorted(results[i]["operation"]["id"] for i in (0, 2))


def test_a_batch_conflicts_within_itself_across_parties_only(client: TestClient) -> None:
    a = party_headers(client, "A")
    body = {
        "operations": [
            {"kind": "hazard", "volumes": [circle()]},
            {"kind": "presence", "volumes": [circle()]},
        ]
    }
    results = client.post("/v1/operations/batch", json=body, headers=a).json()["results"]
    assert [r["conflicts"] for r in results] == [
        [],
        [],
    ]  # one party's own operations never conflict
    b = party_headers(client, "B")
    results = client.post("/v1/operations/batch", json=body, headers=b).json()["results"]
    assert [len(r["conflicts"]) for r in results] == [
        1,
        1,
    ]  # B's hazard hits A's presence, and back


def test_the_count_is_bounded(client: TestClient) -> None:
    a = party_headers(client, "A")
    for ops in ([], [{"kind": "flight", "volumes": [circle()]}] * 1001):
        r = client.post("/v1/operations/batch", json={"operations": ops}, headers=a)
        assert r.status_code == 422 and r.json()["error"]["field"] == "operations"
    assert client.get("/v1/operations", headers=a).json()["items"] == []
