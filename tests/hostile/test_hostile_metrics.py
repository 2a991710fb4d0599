"""`/metrics` counts every party's activity (open conflicts, events, 409s by route): only the
admin key reads it. `/healthz` says whether the service is up and nothing else."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hostile_helpers import ADMIN, new_party
from samples import circle


def test_metrics_need_the_admin_key_and_health_says_nothing(client: TestClient) -> None:
    a, b = new_party(client, "A"), new_party(client, "B")
    for who, kind in ((a, "hazard"), (b, "flight")):
        body = {"kind": kind, "volumes": [circle()]}
        assert client.post("/v1/operations", json=body, headers=who).status_code == 201
    for headers in ({}, b, {"Authorization": "Bearer nope"}):
        r = client.get("/metrics", headers=headers)
        assert r.status_code in (401, 403), r.status_code
        assert "deconflict_" not in r.text and r.json()["error"]["code"]
    r = client.get("/metrics", headers=ADMIN)
    assert r.status_code == 200 and "deconflict_conflicts_open 1.0" in r.text
    for headers in ({}, b):
        assert client.get("/healthz", headers=headers).json() == {"status": "ok"}
