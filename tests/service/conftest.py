"""A fresh service per test on SQLite (temp file) and on PostgreSQL (fresh schema)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from deconflict.config import Config
from deconflict.service import Service
from deconflict.store import Database, migrate

PG = os.environ.get("DECONFLICT_TEST_PG")


def pg_schema_url(base: str) -> Iterator[str]:
    """A throwaway schema on the test database, as a URL whose connections use it."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not PG:
        pytest.skip("DECONFLICT_TEST_PG is not set")
    yield from pg_schema_url(PG)


@pytest.fixture
def svc(db_url: str) -> Iterator[Service]:
    config = Config(db_url=db_url, admin_key="admin-secret")
    service = Service(config, Database(db_url))
    migrate(service.db)
    yield service
    service.db.dispose()
