"""The app in process on SQLite and on PostgreSQL, admin key `adm`, no background jobs (tests
run the audit sequencer themselves)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pg import postgres

from deconflict.api import create_app
from deconflict.config import Config


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hostile_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'hostile.db'}"])
    else:
        urls = postgres()
    url = next(urls)
    app = create_app(Config(db_url=url, admin_key="adm", background=False))
    with TestClient(app) as c:
        yield c
    for _ in urls:  # (drops the PostgreSQL schema)
        pass
