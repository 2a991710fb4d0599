"""Event streams wake on a notification, not on their poll: with the safety poll set to a
minute, an event committed by another app on the same PostgreSQL (LISTEN/NOTIFY), or by the
stream's own app (in-process wake-up), reaches an open stream within seconds."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from live_server import ADMIN, Server
from samples import circle

pytestmark = [pytest.mark.postgres]
WAIT_S = 10.0


def _party(s: Server, name: str) -> str:
    r = httpx.post(
        f"{s.url}/v1/parties", json={"name": name}, headers={"Authorization": f"Bearer {ADMIN}"}
    )
    return str(r.json()["api_key"])


def _next_event(lines: Iterator[str]) -> str:
    for line in lines:
        if line.startswith("event: "):
            return line[7:]
    raise AssertionError("the stream ended")


def _create(s: Server, key: str) -> None:
    body = {"kind": "flight", "volumes": [circle()]}
    r = httpx.post(f"{s.url}/v1/operations", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201, r.text


def test_an_event_from_another_app_wakes_the_stream(two_apps: tuple[Server, Server]) -> None:
    here, there = two_apps
    watcher, other, third = _party(here, "W"), _party(here, "O"), _party(here, "T")
    _create(here, watcher)
    url = f"{here.url}/v1/events?access_token={watcher}"
    timeout = httpx.Timeout(5.0, read=WAIT_S)
    with httpx.stream("GET", url, timeout=timeout) as r:
        lines = r.iter_lines()
        assert next(lines).startswith("retry:")  # the stream is open (and starts live)
        _create(there, other)  # committed by the other app: reaches us by NOTIFY
        assert _next_event(lines) == "conflict.opened"
        _create(here, third)  # committed by this app: the in-process wake-up
        assert _next_event(lines) == "conflict.opened"
