"""The app in process (TestClient): error shapes, OpenAPI, console mount, admin-only routes."""

from __future__ import annotations

from app_client import party_headers
from fastapi.testclient import TestClient
from samples import circle

ADMIN = {"Authorization": "Bearer adm"}


def test_openapi_documents_every_area(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v1/operations",
        "/v1/operations/{op_id}",
        "/v1/checks",
        "/v1/conflicts",
        "/v1/conflicts/{conflict_id}/messages",
        "/v1/events",
        "/v1/parties",
        "/v1/parties/me",
        "/v1/audit",
        "/healthz",
        "/metrics",
    ):
        assert p in paths


def test_only_the_admin_creates_parties(client: TestClient) -> None:
    north = party_headers(client, "North")
    r = client.post("/v1/parties", json={"name": "X"}, headers=north)
    assert r.status_code == 403 and r.json()["error"]["code"] == "admin_only"
    dup = client.post(
        "/v1/parties", json={"name": "North"}, headers={"Authorization": "Bearer adm"}
    )
    assert dup.status_code == 409 and dup.json()["error"]["field"] == "name"
    assert client.get("/v1/operations").status_code == 401


def test_errors_name_the_field(client: TestClient) -> None:
    north = party_headers(client, "North")
    vol = circle()
    vol["volume"]["altitude_lower"]["value"] = 5000
    r = client.post("/v1/operations", json={"kind": "flight", "volumes": [vol]}, headers=north)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "volumes[0].volume.altitude_lower"
    r = client.post(
        "/v1/operations", json={"kind": "flight", "volumes": [circle()], "x": 1}, headers=north
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "x"
    r = client.get("/v1/operations", params={"limit": 0}, headers=north)
    assert r.status_code == 422 and r.json()["error"]["field"] == "limit"
    r = client.get("/v1/operations", params={"cursor": "%%%"}, headers=north)
    assert r.status_code == 400 and r.json()["error"]["field"] == "cursor"
    assert client.get("/v1/operations", headers=north).json()["items"] == []


def test_get_answers_with_an_etag_and_delete_cancels(client: TestClient) -> None:
    north = party_headers(client, "North")
    made = client.post(
        "/v1/operations", json={"kind": "flight", "volumes": [circle()]}, headers=north
    ).json()["operation"]
    r = client.get(f"/v1/operations/{made['id']}", headers=north)
    assert r.headers["ETag"] == '"1"'
    gone = client.delete(f"/v1/operations/{made['id']}", headers={**north, "If-Match": '"1"'})
    assert gone.json()["operation"]["state"] == "cancelled"


def test_health_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.get("/healthz")
    text = client.get("/metrics", headers=ADMIN).text
    assert 'route="/healthz"' in text and "deconflict_conflicts_open" in text
    north = party_headers(client, "North")
    client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]}, headers=north)
    after = client.get("/metrics", headers=ADMIN).text
    # Two writes so far (the party, the operation): counted once each, in as many commits.
    assert metric(after, "deconflict_writes_committed_total") - metric(
        text, "deconflict_writes_committed_total"
    ) == 2
    assert "deconflict_write_commits_total" in after and "deconflict_write_retries_total" in after


def metric(text: str, name: str) -> float:
    (line,) = [x for x in text.splitlines() if x.startswith(name + " ")]
    return float(line.split()[1])
