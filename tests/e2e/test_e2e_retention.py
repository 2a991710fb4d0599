"""Retention through a real server: the background loop prunes events, and a stream resuming
from a pruned Last-Event-ID first gets `events.pruned` naming what it missed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
from live_server import ADMIN, Server
from samples import circle


def _first_event(url: str, key: str, last: int) -> tuple[str, dict[str, object]]:
    with httpx.stream("GET", f"{url}/v1/events?access_token={key}",
                      headers={"Last-Event-ID": str(last)}, timeout=10) as r:  # fmt: skip
        assert r.status_code == 200
        kind = ""
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                return kind, json.loads(line[6:])
    raise AssertionError("no event")


def test_a_stream_resuming_after_pruned_events_is_told(tmp_path: Path) -> None:
    s = Server(f"sqlite:///{tmp_path / 'r.db'}", DECONFLICT_RETAIN_EVENTS_H="0.0003",
               DECONFLICT_PRUNE_INTERVAL_S="0.2")  # fmt: skip
    try:
        admin = {"Authorization": f"Bearer {ADMIN}"}
        keys = [httpx.post(f"{s.url}/v1/parties", json={"name": n}, headers=admin).json()["api_key"]
                for n in "AB"]  # fmt: skip
        for key, kind in zip(keys, ("hazard", "flight"), strict=True):
            r = httpx.post(f"{s.url}/v1/operations", json={"kind": kind, "volumes": [circle()]},
                           headers={"Authorization": f"Bearer {key}"})  # fmt: skip
            assert r.status_code == 201
        assert _first_event(s.url, keys[0], 0)[0] == "conflict.opened"
        deadline = time.monotonic() + 15
        while (got := _first_event(s.url, keys[0], 0))[0] != "events.pruned":
            assert time.monotonic() < deadline, got
            time.sleep(0.3)
        assert got[1] == {"after": 0, "missing_through": 1}
    finally:
        s.stop()
