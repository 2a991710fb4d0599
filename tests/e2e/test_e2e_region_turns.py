"""Write turns by region, with two apps on one PostgreSQL: while a write holds its region's
turn, a write far away commits; a write in the same region waits for it and then sees it.

The slow write is played by the test itself, holding exactly the locks the service takes for
a write over Aleppo (`Service.turn_of`), so "still holding its turn" is a fact, not a timing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg
import pytest
from live_server import ADMIN, Server
from samples import FAR, circle

from deconflict.api.hub import libpq_url
from deconflict.config import Config
from deconflict.geometry import parse_volumes
from deconflict.service import Service
from deconflict.store.turns import REGION_SPACE

pytestmark = [pytest.mark.postgres]
ALEPPO = circle()
PARIS = circle(**FAR)


def _party(s: Server, name: str) -> httpx.Client:
    admin = {"Authorization": f"Bearer {ADMIN}"}
    key = httpx.post(f"{s.url}/v1/parties", json={"name": name}, headers=admin).json()["api_key"]
    c = httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    s.clients.append(c)
    return c


@contextmanager
def holding_the_turn_of(url: str, volume: dict[str, Any]) -> Iterator[psycopg.Connection]:
    """Hold the write turn the service takes for `volume`, on a connection of our own."""
    turn = Service(Config(db_url=url)).turn_of(parse_volumes([volume]))
    assert turn.regions and not turn.world
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(str(turn.locks().text))
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock_all()")


def _waiting_on_regions(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s AND database = (SELECT oid FROM pg_database"
        " WHERE datname = current_database())",
        (REGION_SPACE,),
    ).fetchone()
    return int(row[0]) if row else 0


def _until(cond: Any) -> None:
    deadline = time.monotonic() + 60
    while not cond():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.02)


def _post(c: httpx.Client, kind: str, vol: dict[str, Any], out: list[httpx.Response]) -> None:
    out.append(c.post("/v1/operations", json={"kind": kind, "volumes": [vol]}))


def test_a_write_far_away_commits_while_a_region_is_held(
    two_apps: tuple[Server, Server],
) -> None:
    one, two = two_apps
    north, south, west = _party(one, "North"), _party(two, "South"), _party(two, "West")
    url = one.db
    near: list[httpx.Response] = []
    with holding_the_turn_of(url, ALEPPO) as held:
        # Two writes over Aleppo, one per app: both wait for the region's turn.
        waiters = [
            threading.Thread(target=_post, args=(north, "flight", ALEPPO, near)),
            threading.Thread(target=_post, args=(south, "hazard", ALEPPO, near)),
        ]
        for w in waiters:
            w.start()
        _until(lambda: _waiting_on_regions(held) >= 2)
        # A write over Paris, on the second app, commits meanwhile.
        far: list[httpx.Response] = []
        _post(west, "flight", PARIS, far)
        assert far[0].status_code == 201, far[0].text
        assert near == [] and _waiting_on_regions(held) >= 2  # Aleppo's still wait
    for w in waiters:
        w.join(60)
    # Once the turn is free both Aleppo writes commit, the later one seeing the earlier.
    assert [r.status_code for r in near] == [201, 201]
    assert sorted(len(r.json()["conflicts"]) for r in near) == [0, 1]
