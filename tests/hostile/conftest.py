"""A victim and an attacker on one service, in process (real SQLite file, real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pg import postgres

from deconflict.api import create_app
from deconflict.config import Config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'hostile.db'}"])
    else:
        urls = postgres()
    url = next(urls)
    app = create_app(Config(db_url=url, admin_key="adm"))
    with TestClient(app) as c:
        yield c
    for _ in urls:  # drops the PostgreSQL schema
        pass


@pytest.fixture
def party(client: TestClient) -> Callable[[str], dict[str, str]]:
    """A new party's Authorization header."""

    def add(name: str) -> dict[str, str]:
        r = client.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
        assert r.status_code == 201
        return {"Authorization": f"Bearer {r.json()['api_key']}"}

    return add
