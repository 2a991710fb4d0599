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
TOKYO = circle(lat=35.68, lng=139.69)


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


def _waits(conn: psycopg.Connection) -> list[Any]:
    """Who waits on which advisory lock (for a failure's message)."""
    return conn.execute(
        "SELECT l.classid, l.objid, l.mode, a.query FROM pg_locks l JOIN pg_stat_activity a"
        " USING (pid) WHERE l.locktype = 'advisory' AND NOT l.granted"
    ).fetchall()


def _until(cond: Any, conn: psycopg.Connection) -> None:
    deadline = time.monotonic() + 60
    while not cond():
        assert time.monotonic() < deadline, f"never happened; waiting: {_waits(conn)}"
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
        _until(lambda: _waiting_on_regions(held) >= 2, held)
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


def _patch(c: httpx.Client, op: dict[str, Any], body: dict[str, Any], out: list[Any]) -> None:
    headers = {"If-Match": str(op["version"])}
    out.append(c.patch(f"/v1/operations/{op['id']}", json=body, headers=headers))


def test_a_change_takes_the_regions_of_the_volumes_it_had_and_gets(
    two_apps: tuple[Server, Server],
) -> None:
    one, two = two_apps
    west, east = _party(one, "Mover"), _party(two, "Stayer")
    moving = west.post("/v1/operations", json={"kind": "flight", "volumes": [PARIS]}).json()
    staying = east.post("/v1/operations", json={"kind": "flight", "volumes": [TOKYO]}).json()
    moved: list[httpx.Response] = []
    with holding_the_turn_of(one.db, ALEPPO) as held:
        mover = threading.Thread(
            target=_patch, args=(west, moving["operation"], {"volumes": [ALEPPO]}, moved)
        )
        mover.start()
        # Into Aleppo: it waits for Aleppo's turn (holding Paris's meanwhile).
        _until(lambda: _waiting_on_regions(held) >= 1, held)
        relabelled: list[httpx.Response] = []
        _patch(east, staying["operation"], {"label": "still in Tokyo"}, relabelled)
        assert relabelled[0].status_code == 200, relabelled[0].text
        assert moved == []
    mover.join(60)
    assert moved[0].status_code == 200, moved[0].text
