"""The Alembic migrations and `store/schema.py` describe the same tables (REVIEW: drift)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from deconflict.service import Service
from deconflict.store.schema import metadata


def test_migrations_match_the_schema(svc: Service) -> None:
    with svc.db.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
