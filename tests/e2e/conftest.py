"""The live server fixture, on SQLite and on PostgreSQL (fresh schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from live_server import Server
from pg import own_database, postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    yield from postgres()


@pytest.fixture
def server(db: str) -> Iterator[Server]:
    s = Server(db, DECONFLICT_ESCALATION_DEADLINE_S="1", DECONFLICT_ESCALATION_INTERVAL_S="0.2")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def two_apps() -> Iterator[tuple[Server, Server]]:
    """Two separate apps (as two workers) on one fresh PostgreSQL schema. Their event streams
    poll once a minute only: an event that arrives sooner came by a wake-up. A database of
    their own: advisory locks (write turns) belong to a database, not to a schema."""
    for url in own_database():
        first = Server(url, DECONFLICT_EVENT_POLL_S="60")
        try:
            second = Server(url, DECONFLICT_EVENT_POLL_S="60")
        except BaseException:
            first.stop()
            raise
        try:
            yield first, second
        finally:
            second.stop()
            first.stop()
