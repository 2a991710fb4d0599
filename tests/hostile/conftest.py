"""Attacks by a second party, in process (TestClient) on SQLite and PostgreSQL, and against
real servers on loopback. Limits are set per test; the app's other settings are defaults."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile_helpers import Apps, new_party
from pg import postgres

from deconflict.api import create_app
from deconflict.config import Config

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))  # the live server helper


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hostile.db'}"
        return
    yield from postgres()


@pytest.fixture
def apps(db_url: str) -> Iterator[Apps]:
    """Start app instances on the one database (as workers would be), each with `config`."""
    open_: list[TestClient] = []

    def start(**config: Any) -> TestClient:
        c = TestClient(create_app(Config(db_url=db_url, admin_key="adm", **config)))
        c.__enter__()
        open_.append(c)
        return c

    yield start
    for c in reversed(open_):
        c.__exit__(None, None, None)


@pytest.fixture
def client(apps: Apps) -> TestClient:
    return apps()


@pytest.fixture
def party(client: TestClient) -> Callable[[str], dict[str, str]]:
    """A new party's Authorization header."""
    return lambda name: new_party(client, name)
