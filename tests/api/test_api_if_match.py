"""PATCH and DELETE are versioned: without If-Match → 428 naming the header, stale → 412,
and neither writes anything."""

from __future__ import annotations

import pytest
from app_client import party_headers
from fastapi.testclient import TestClient
from samples import circle


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """The app's client, signed in as a new party."""
    client.headers.update(party_headers(client, "North"))
    return client


def test_a_change_without_if_match_is_refused_and_writes_nothing(client: TestClient) -> None:
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]})
    op = made.json()["operation"]
    url = f"/v1/operations/{op['id']}"
    for r in (client.patch(url, json={"label": "blind"}), client.delete(url)):
        assert r.status_code == 428
        assert r.json()["error"] == {
            "code": "precondition_required",
            "message": r.json()["error"]["message"],
            "field": "If-Match",
        }
    assert client.get(url).json() == op  # unchanged: same version, label and state


def test_stale_and_current_versions(client: TestClient) -> None:
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]})
    url = f"/v1/operations/{made.json()['operation']['id']}"
    stale = client.patch(url, json={"label": "x"}, headers={"If-Match": "2"})
    assert stale.status_code == 412 and stale.json()["error"]["field"] == "If-Match"
    bad = client.delete(url, headers={"If-Match": "one"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "If-Match"
    etag = client.get(url).headers["ETag"]
    changed = client.patch(url, json={"label": "x"}, headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json()["operation"]["version"] == 2
    gone = client.delete(url, headers={"If-Match": 'W/"2"'})
    assert gone.status_code == 200 and gone.json()["operation"]["state"] == "cancelled"


def test_the_schema_documents_428_and_412_on_versioned_writes(client: TestClient) -> None:
    item = client.get("/openapi.json").json()["paths"]["/v1/operations/{op_id}"]
    for method in ("patch", "delete"):
        assert {"412", "428"} <= set(item[method]["responses"])
    assert "428" not in item["get"]["responses"]
