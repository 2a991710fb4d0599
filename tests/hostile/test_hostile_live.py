"""Against real servers on loopback: the cap on concurrent event streams, and a rotated key
refused at once by every worker of a two-worker PostgreSQL server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from live_server import ADMIN, Server
from pg import postgres


def _party(url: str, name: str) -> str:
    r = httpx.post(f"{url}/v1/parties", json={"name": name},
                   headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


def _open(stack: ExitStack, url: str, key: str) -> httpx.Response:
    r = stack.enter_context(httpx.stream("GET", f"{url}/v1/events?access_token={key}", timeout=10))
    if r.status_code == 200:
        lines = r.iter_lines()  # kept with the stack: dropping it would close the stream
        stack.callback(lines.close)
        assert next(lines).startswith("retry:")
    else:
        r.read()
    return r


@pytest.fixture
def capped(tmp_path: object) -> Iterator[Server]:
    s = Server(f"sqlite:///{tmp_path}/streams.db", DECONFLICT_STREAMS_PER_PARTY="2")
    yield s
    s.stop()


def test_concurrent_streams_per_party_are_capped(capped: Server) -> None:
    url = capped.url
    key, other = _party(url, "B"), _party(url, "C")
    with ExitStack() as held:
        assert [_open(held, url, key).status_code for _ in range(2)] == [200, 200]
        with ExitStack() as extra:
            third = _open(extra, url, key)
            assert third.status_code == 429 and int(third.headers["Retry-After"]) >= 1
            assert third.json()["error"]["limit"] == "streams"
            assert _open(extra, url, other).status_code == 200  # C's cap is its own
    # Closed streams give their slots back (once the server notices the disconnect).
    deadline = time.monotonic() + 10
    while True:
        with ExitStack() as again:
            codes = [_open(again, url, key).status_code for _ in range(2)]
        if codes == [200, 200] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert codes == [200, 200]


@pytest.mark.postgres
def test_a_rotated_key_is_refused_by_every_worker() -> None:
    for db in postgres():
        s = Server(db, workers=2)
        try:
            key = _party(s.url, "North")
            auth = {"Authorization": f"Bearer {key}"}
            # Fresh connections, so that both workers serve (and could remember) the key.
            assert {httpx.get(f"{s.url}/v1/parties/me", headers=auth).status_code
                    for _ in range(20)} == {200}  # fmt: skip
            r = httpx.post(f"{s.url}/v1/parties/me/key", headers=auth)
            assert r.status_code == 200
            codes = [httpx.get(f"{s.url}/v1/parties/me", headers=auth).status_code
                     for _ in range(20)]  # fmt: skip
            assert codes == [401] * 20
            new = {"Authorization": f"Bearer {r.json()['api_key']}"}
            assert httpx.get(f"{s.url}/v1/parties/me", headers=new).status_code == 200
        finally:
            s.stop()
