"""The database cut under load (a TCP proxy between the service and PostgreSQL, cut and
restored): while it is away every answer is 503 JSON with Retry-After (no 500, no reset); after
it is back the service recovers by itself, and every write it acknowledged (201) is readable."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e.live_server import ADMIN, Server
from pg import postgres
from samples import circle
from sqlalchemy.engine import make_url
from tcp_proxy import Proxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
WRITERS = 4


@pytest.fixture
def proxied() -> Iterator[tuple[Server, Proxy]]:
    for url in postgres():
        real = make_url(url)
        proxy = Proxy((real.host or "127.0.0.1", real.port or 5432))
        via = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        s = Server(via, workers=2)
        try:
            yield s, proxy
        finally:
            s.stop()
            proxy.close()


def _write_until(
    stop: threading.Event, key: str, url: str, seen: list[tuple[float, Any]], lat: float
) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
        for i in itertools.count():
            if stop.is_set():
                return
            body = {"kind": "flight", "volumes": [circle(lat=lat, lng=10 + i * 0.05)]}
            try:
                r = c.post("/v1/operations", json=body, timeout=30)
            except httpx.TransportError as err:  # a reset or a hang: a failure of this test
                seen.append((time.monotonic(), err))
                continue
            seen.append((time.monotonic(), r))


def test_a_database_outage_answers_503_and_loses_nothing_acknowledged(
    proxied: tuple[Server, Proxy],
) -> None:
    s, proxy = proxied
    admin = {"Authorization": f"Bearer {ADMIN}"}
    keys = [
        httpx.post(f"{s.url}/v1/parties", json={"name": f"P{i}"}, headers=admin).json()["api_key"]
        for i in range(WRITERS)
    ]
    seen: list[tuple[float, Any]] = []
    stop = threading.Event()
    writers = [
        threading.Thread(target=_write_until, args=(stop, k, s.url, seen, -60 + 20 * i))
        for i, k in enumerate(keys)
    ]
    for w in writers:
        w.start()
    time.sleep(1.5)
    proxy.cut()
    cut_at = time.monotonic()
    time.sleep(2.5)
    restored_at = time.monotonic()
    proxy.restore()
    time.sleep(3.0)
    stop.set()
    for w in writers:
        w.join(60)

    failures = [a for _, a in seen if not isinstance(a, httpx.Response)]
    assert failures == []  # no reset, no hang
    answers = [(t, r) for t, r in seen if isinstance(r, httpx.Response)]
    assert {r.status_code for _, r in answers} <= {201, 503}, [
        (r.status_code, r.text) for _, r in answers if r.status_code not in (201, 503)
    ]
    unavailable = [r for _, r in answers if r.status_code == 503]
    assert unavailable, "the cut was not seen"
    for r in unavailable:
        assert r.json()["error"]["code"] == "database_unavailable"
        assert int(r.headers["Retry-After"]) >= 1
    during = [r.status_code for t, r in answers if cut_at + 0.5 < t < restored_at]
    assert during and set(during) == {503}
    # Recovered by itself: each writer's last answers are 201s again.
    late = [r.status_code for t, r in answers if t > restored_at + 2.0]
    assert late and set(late) == {201}
    # Nothing acknowledged lost: every 201 can be read back by its owner.
    created = [r for _, r in answers if r.status_code == 201]
    by_id = {r.json()["operation"]["id"]: r.request.headers["Authorization"] for r in created}
    with httpx.Client(base_url=s.url) as c:
        for op_id, auth in by_id.items():
            got = c.get(f"/v1/operations/{op_id}", headers={"Authorization": auth})
            assert got.status_code == 200, (op_id, got.text)
