"""A fresh service per test on SQLite (temp file) and on PostgreSQL (fresh schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pg import postgres

from deconflict.config import Config
from deconflict.service import Service
from deconflict.store import Database, migrate


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    yield from postgres()


@pytest.fixture
def svc(db_url: str) -> Iterator[Service]:
    config = Config(db_url=db_url, admin_key="admin-secret")
    service = Service(config, Database(db_url))
    migrate(service.db)
    yield service
    service.db.dispose()
