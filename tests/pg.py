"""The test PostgreSQL, one throwaway schema per use.

PostgreSQL tests are skipped only where no database is configured (a developer's machine
without `DECONFLICT_TEST_PG`); `dev.py test` sets it when a local server answers, and CI
always has one, so there a missing setting fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


def postgres() -> Iterator[str]:
    """A URL on a fresh schema of the test database, dropped afterwards (for fixtures)."""
    base = os.environ.get("DECONFLICT_TEST_PG")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("DECONFLICT_TEST_PG must be set in CI (dev.py test sets it)")
        pytest.skip("DECONFLICT_TEST_PG is not set: the PostgreSQL half is not run here")
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


def own_database() -> Iterator[str]:
    """A URL on a fresh database of the test server, dropped afterwards; a fresh schema where
    the server refuses CREATE DATABASE. For tests that hold advisory locks, which belong to a
    database (not a schema): other runs on the same database cannot then queue among them."""
    base = os.environ.get("DECONFLICT_TEST_PG")
    if not base:
        yield from postgres()
        return
    from sqlalchemy.engine import make_url

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.ProgrammingError:
        admin.dispose()
        yield from postgres()
        return
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
