"""A body too large is refused (413 JSON naming the body) before anything parses it: with a
declared length unread, without one (chunked) as soon as the count passes the limit."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from e2e.live_server import ADMIN, Server
from samples import circle

from deconflict.api import create_app
from deconflict.config import Config

MIB = 1 << 20
CHUNK = 64 * 1024
ONES = b'{"kind": "flight", "volumes": [' + b"1," * (3 * MIB)  # 6 MB of [1,1,1,...]


def _drive(app: Any, path: str, chunks: list[bytes], declared: int | None) -> tuple[int, int, Any]:
    """Send `chunks` to the ASGI app as one request; (status, body bytes it pulled, answer)."""
    headers = [(b"content-type", b"application/json"), (b"authorization", b"Bearer adm")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "http",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    pulled = 0
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if pulled >= sum(map(len, chunks)):
            await asyncio.sleep(3600)  # a client that never sends the rest
        chunk = chunks[pulled // CHUNK]
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    status = next(m["status"] for m in out if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return status, pulled, orjson.loads(body)


@pytest.fixture
def app(tmp_path: Path) -> Any:
    return create_app(Config(db_url=f"sqlite:///{tmp_path / 'h.db'}", admin_key="adm"))


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def test_a_declared_6_mb_body_is_refused_unread(app: Any) -> None:
    status, pulled, answer = _drive(app, "/v1/operations", _chunks(ONES), len(ONES))
    assert status == 413
    assert answer["error"]["field"] == "body"
    assert answer["error"]["code"] == "body_too_large"
    assert pulled == 0  # not one byte read, let alone parsed


def test_a_chunked_6_mb_body_is_refused_once_past_the_limit(app: Any) -> None:
    status, pulled, answer = _drive(app, "/v1/checks", _chunks(ONES), None)
    assert status == 413
    assert answer["error"]["field"] == "body"
    assert pulled <= MIB + CHUNK  # stopped at the limit: the rest is never read


def test_the_tracks_batch_has_its_own_byte_limit(app: Any) -> None:
    body = b'{"tracks": [' + b" " * (600 * 1024) + b"]}"
    status, pulled, answer = _drive(app, "/v1/tracks", _chunks(body), None)
    assert (status, answer["error"]["field"]) == (413, "body")
    assert pulled <= 512 * 1024 + CHUNK


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db = f"sqlite:///{tmp_path_factory.mktemp('body') / 'b.db'}"
    s = Server(db)
    yield s
    s.stop()


def _key(s: Server) -> str:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    r = httpx.post(f"{s.url}/v1/parties", json={"name": "P"}, headers=headers)
    return str(r.json()["api_key"])


def test_live_6_mb_body_answers_413_json(live: Server) -> None:
    r = httpx.post(
        f"{live.url}/v1/operations",
        content=ONES,
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413
    assert r.json()["error"]["field"] == "body"


def test_live_chunked_body_is_cut_off_early(live: Server) -> None:
    sent = 0

    def endless() -> Iterator[bytes]:  # 1 GB if nobody stops it
        nonlocal sent
        yield b'{"kind": "flight", "volumes": ['
        for _ in itertools.repeat(None, (1 << 30) // CHUNK):
            sent += CHUNK
            yield b"1," * (CHUNK // 2)

    r = httpx.post(
        f"{live.url}/v1/operations",
        content=endless(),
        headers={"Authorization": "Bearer x", "Content-Type": "application/json"},
        timeout=30,
    )
    assert r.status_code == 413
    assert r.json()["error"]["field"] == "body"
    assert sent < 64 * MIB  # the server hung up long before the end


def test_live_body_of_exactly_the_limit_is_accepted(live: Server) -> None:
    headers = {"Authorization": f"Bearer {_key(live)}", "Content-Type": "application/json"}
    body = orjson.dumps({"kind": "flight", "volumes": [circle()]})
    padded = body[:-1] + b" " * (MIB - len(body)) + b"}"
    assert len(padded) == MIB
    r = httpx.post(f"{live.url}/v1/operations", content=padded, headers=headers, timeout=30)
    assert r.status_code == 201, r.text
    r = httpx.post(f"{live.url}/v1/operations", content=padded + b" ", headers=headers)
    assert r.status_code == 413
