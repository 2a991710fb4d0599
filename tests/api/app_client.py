"""Helpers for in-process API tests (the `client` fixture is in conftest.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def party_headers(client: TestClient, name: str) -> dict[str, str]:
    """A new party's Authorization header."""
    r = client.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.json()['api_key']}"}
