"""The concurrency proof: many concurrent conflicting writes against two workers on PostgreSQL
record every conflicting pair exactly once, as the engine's pairwise answer says."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from live_server import ADMIN, Server
from pg import postgres
from samples import circle

from deconflict.engine import Kind, Operation, Rules, conflicts_between
from deconflict.geometry import parse_volumes

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WRITES = 60


@pytest.fixture
def two_workers() -> Iterator[Server]:
    for url in postgres():
        s = Server(url, workers=2)
        try:
            yield s
        finally:
            s.stop()


def _all(c: httpx.Client, path: str) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = c.get(path, params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        items += page.json()["items"]
        if not (cursor := page.json()["next_cursor"]):
            return items


def test_concurrent_conflicting_writes_are_each_recorded_once(two_workers: Server) -> None:
    s = two_workers
    with httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {ADMIN}"}) as admin:
        keys = [admin.post("/v1/parties", json={"name": n}).json()["api_key"] for n in "AB"]
    clients = [
        httpx.Client(base_url=s.url, headers={"Authorization": f"Bearer {k}"}, timeout=120)
        for k in keys
    ]
    rng = random.Random(7)
    jobs = [
        (
            clients[i % 2],
            circle(
                lat=36.2 + rng.uniform(-0.03, 0.03),
                lng=37.1 + rng.uniform(-0.03, 0.03),
                radius=1500,
            ),
        )
        for i in range(WRITES)
    ]

    def write(job: tuple[httpx.Client, dict[str, Any]]) -> int:
        c, vol = job
        return c.post("/v1/operations", json={"kind": "flight", "volumes": [vol]}).status_code

    try:
        with ThreadPoolExecutor(16) as pool:
            assert set(pool.map(write, jobs)) == {201}
        ops = [(o, p) for p, c in enumerate(clients) for o in _all(c, "/v1/operations")]
        by_conflict: dict[str, list[str]] = {}
        for c in clients:
            for v in _all(c, "/v1/conflicts"):
                by_conflict.setdefault(v["id"], []).append(v["my_operation_id"])
    finally:
        for c in clients:
            c.close()
    recorded = [tuple(sorted(pair)) for pair in by_conflict.values()]
    engine_ops = [
        Operation(o["id"], str(p), Kind.FLIGHT, parse_volumes(o["volumes"])) for o, p in ops
    ]
    expected = {
        tuple(sorted((a.id, b.id)))
        for i, a in enumerate(engine_ops)
        for b in engine_ops[i + 1 :]
        if conflicts_between(a, b, Rules()) is not None
    }
    assert len(expected) >= 50
    assert len(recorded) == len(set(recorded))  # exactly once
    assert set(recorded) == expected
