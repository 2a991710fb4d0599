"""Budgets of area x duration: a request over the per-request budget is refused (422) and a
party over its hourly budget is held back (429), both naming `volumes`, with nothing written,
nothing told to anyone, and no other party held back."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from samples import FAR, circle

from deconflict.api import create_app
from deconflict.config import Config

ADMIN = {"Authorization": "Bearer adm"}
# 100 circles of 56 km radius (each under 10,000 km²) over 89 days: within every bound per
# volume, ~2.1e9 km² x h in all (the request that took the server down in issue 12).
WIDE = [circle(radius=56_000, lat=30 + i * 0.05, end=89 * 24) for i in range(100)]


def _client(tmp_path: Path, **config: Any) -> Iterator[TestClient]:
    app = create_app(Config(db_url=f"sqlite:///{tmp_path / 'b.db'}", admin_key="adm", **config))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(tmp_path)


@pytest.fixture
def hourly(tmp_path: Path) -> Iterator[TestClient]:
    """A budget of 2,000 km² x h per party per hour: ~50 one-hour circles of 3.5 km."""
    yield from _client(tmp_path, budget_hour_km2h=2_000.0)


def _party(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/v1/parties", json={"name": name}, headers=ADMIN)
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def _audit(client: TestClient) -> list[str]:
    r = client.get("/v1/audit", headers=ADMIN, params={"limit": 500})
    assert r.status_code == 200
    return [e["action"] for e in r.json()["items"]]


def test_a_check_over_the_request_budget_is_refused_before_anything_is_done(
    client: TestClient,
) -> None:
    north, south = _party(client, "north"), _party(client, "south")
    hit = client.post(
        "/v1/operations", json={"kind": "flight", "volumes": [circle(lat=30)]}, headers=south
    )
    assert hit.status_code == 201
    before = _audit(client)
    for path in ("/v1/checks", "/v1/operations"):
        r = client.post(path, json={"kind": "flight", "volumes": WIDE}, headers=north)
        assert r.status_code == 422, r.text
        error = r.json()["error"]
        assert error["code"] == "over_request_budget" and error["field"] == "volumes"
    # No check, no probe (south, whose operation the check would have hit, is told nothing),
    # no operation.
    assert _audit(client) == before
    assert client.get("/v1/operations", headers=north).json()["items"] == []


def test_a_party_over_its_hourly_budget_is_held_back_alone(hourly: TestClient) -> None:
    north, south = _party(hourly, "north"), _party(hourly, "south")
    small = {"kind": "flight", "volumes": [circle(radius=3_500, end=1, **FAR)]}  # ~38 km² x h
    codes = [
        hourly.post("/v1/operations", json=small, headers=north).status_code for _ in range(60)
    ]
    allowed = int(2_000.0 // (math.pi * 3.5**2))  # 51
    assert codes[:allowed] == [201] * allowed and set(codes[allowed:]) == {429}
    refused = hourly.post("/v1/checks", json=small, headers=north)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "over_hourly_budget"
    assert refused.json()["error"]["field"] == "volumes"
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600  # the budget renews on the hour
    assert (
        len(hourly.get("/v1/operations", headers=north, params={"limit": 100}).json()["items"])
        == allowed
    )
    # Another party's budget is its own.
    assert hourly.post("/v1/operations", json=small, headers=south).status_code == 201
    assert hourly.post("/v1/checks", json=small, headers=south).status_code == 200


def test_a_retried_request_is_charged_once(hourly: TestClient) -> None:
    north = _party(hourly, "north")
    big = {"kind": "flight", "volumes": [circle(radius=14_000, end=2, **FAR)]}  # ~1,231 km² x h
    once = {**north, "Idempotency-Key": "k1"}
    first = hourly.post("/v1/operations", json=big, headers=once)
    assert first.status_code == 201
    assert hourly.post("/v1/operations", json=big, headers=once).json() == first.json()
    # A second, distinct request of the same size would go over: 2 x 1,231 > 2,000.
    assert hourly.post("/v1/operations", json=big, headers=north).status_code == 429
