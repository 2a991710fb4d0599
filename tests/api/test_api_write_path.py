"""The write path in process: idempotent retries, which error wins, and the server it runs on."""

from __future__ import annotations

import sys

import pytest
from app_client import party_headers
from fastapi.testclient import TestClient
from samples import FAR, circle


def flight(**where: float) -> dict[str, object]:
    return {"kind": "flight", "volumes": [circle(**where)], "label": "x"}


def test_a_retry_with_the_same_key_gets_the_first_answer(client: TestClient) -> None:
    north = party_headers(client, "North")
    once = {**north, "Idempotency-Key": "once"}
    first = client.post("/v1/operations", json=flight(), headers=once)
    again = client.post("/v1/operations", json=flight(), headers=once)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json() == first.json()
    assert len(client.get("/v1/operations", headers=north).json()["items"]) == 1


def test_a_key_reused_for_another_body_is_refused(client: TestClient) -> None:
    north = party_headers(client, "North")
    once = {**north, "Idempotency-Key": "once"}
    assert client.post("/v1/operations", json=flight(), headers=once).status_code == 201
    reused = client.post("/v1/operations", json=flight(**FAR), headers=once)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert reused.json()["error"]["field"] == "Idempotency-Key"


def test_writes_without_a_key_are_not_deduplicated(client: TestClient) -> None:
    north = party_headers(client, "North")
    for _ in range(2):
        assert client.post("/v1/operations", json=flight(), headers=north).status_code == 201
    assert len(client.get("/v1/operations", headers=north).json()["items"]) == 2


def test_a_message_retry_with_the_same_key_is_stored_once(client: TestClient) -> None:
    north, south = party_headers(client, "North"), party_headers(client, "South")
    client.post("/v1/operations", json=flight(), headers=north)
    made = client.post("/v1/operations", json=flight(), headers=south).json()
    path = f"/v1/conflicts/{made['conflicts'][0]['id']}/messages"
    once = {**south, "Idempotency-Key": "m1"}
    first = client.post(path, json={"body": "climbing to 1200"}, headers=once)
    again = client.post(path, json={"body": "climbing to 1200"}, headers=once)
    assert first.status_code == 201 and again.json() == first.json()
    reused = client.post(path, json={"body": "holding"}, headers=once)
    assert reused.status_code == 422 and reused.json()["error"]["field"] == "Idempotency-Key"
    assert len(client.get(path, headers=south).json()["items"]) == 1


def test_a_check_retry_with_the_same_key_tells_the_party_hit_once(client: TestClient) -> None:
    north, south = party_headers(client, "North"), party_headers(client, "South")
    assert client.post("/v1/operations", json=flight(), headers=north).status_code == 201
    once = {**south, "Idempotency-Key": "c1"}
    check = {"kind": "flight", "volumes": [circle()]}
    first = client.post("/v1/checks", json=check, headers=once)
    again = client.post("/v1/checks", json=check, headers=once)
    assert first.status_code == 200 and len(first.json()["conflicts"]) == 1
    assert again.json() == first.json()
    reused = client.post("/v1/checks", json={**check, "volumes": [circle(**FAR)]}, headers=once)
    assert reused.status_code == 422 and reused.json()["error"]["field"] == "Idempotency-Key"

    # The check is audited under its maker, the probe under the party hit.
    def actions(who: dict[str, str]) -> list[str]:
        return [e["action"] for e in client.get("/v1/audit", headers=who).json()["items"]]

    assert actions(south).count("check") == 1 and actions(north).count("probe") == 1
    fresh = client.post("/v1/checks", json=check, headers=south)
    assert fresh.status_code == 200
    assert actions(north).count("probe") == 2


def test_a_retried_party_create_makes_no_second_party(client: TestClient) -> None:
    north = party_headers(client, "North")
    again = client.post(
        "/v1/parties", json={"name": " North "}, headers={"Authorization": "Bearer adm"}
    )
    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "name_taken",
        "message": "a party with this name exists",
        "field": "name",
    }
    assert client.get("/v1/parties/me", headers=north).json()["name"] == "North"


def test_a_missing_key_is_answered_before_a_bad_body(client: TestClient) -> None:
    r = client.post("/v1/operations", json={"kind": "boat", "volumes": []})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]})
    assert r.status_code == 401


def test_a_key_in_the_query_is_refused_but_on_the_event_stream(client: TestClient) -> None:
    token = party_headers(client, "North")["Authorization"].split()[1]
    r = client.get("/v1/parties/me", params={"access_token": token})
    assert r.status_code == 401 and r.json()["error"]["field"] == "access_token"


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop does not run on Windows")
def test_uvicorn_serves_on_uvloop_and_httptools() -> None:
    """Both are dependencies so that `loop="auto"` and `http="auto"` pick them."""
    import uvloop
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert AutoHTTPProtocol is HttpToolsProtocol
    assert auto_loop_factory() is uvloop.new_event_loop
