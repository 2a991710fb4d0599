"""The app in process on a fresh SQLite file (admin key `adm`) and a way to add parties."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.api import create_app
from deconflict.config import Config


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Config(db_url=f"sqlite:///{tmp_path / 'api.db'}", admin_key="adm"))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def party(client: TestClient) -> Callable[[str], dict[str, str]]:
    """A new party's Authorization header."""

    def add(name: str) -> dict[str, str]:
        r = client.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
        assert r.status_code == 201
        return {"Authorization": f"Bearer {r.json()['api_key']}"}

    return add
