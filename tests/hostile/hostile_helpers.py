"""Helpers for the hostile tests: parties, their keys, the requests an attacker sends."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

ADMIN = {"Authorization": "Bearer adm"}
Apps = Callable[..., TestClient]


def new_party(client: TestClient, name: str) -> dict[str, str]:
    """A new party's Authorization header."""
    r = client.post("/v1/parties", json={"name": name}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def party_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/v1/parties/me", headers=headers).json()["id"])
