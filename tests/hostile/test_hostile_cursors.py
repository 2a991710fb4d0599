"""Forged, garbled, altered and borrowed cursors: every list refuses them with a 400 naming
`cursor` (not a 500, a reset or a silent restart), and a cursor shows nothing it carries."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hostile_helpers import Apps, new_party
from samples import circle

FORGED = ["Wzld", "abc", "%%%", "W10", "bnVsbA", "eyJhIjoxfQ", "MTAw", "A" * 400, "é", "[1]"]


def _state(aircraft: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {"id": aircraft, "lat": 36.2, "lng": 37.1, "alt_m": 900.0, "gs_mps": 50.0,
            "trk_deg": 90.0, "vs_mps": 0.0, "time": now}  # fmt: skip


def _lists(client: TestClient) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Two parties (victim A, attacker B) with two items in each of B's lists."""
    a, b = new_party(client, "A"), new_party(client, "B")
    body = {"kind": "hazard", "volumes": [circle()]}
    assert client.post("/v1/operations", json=body, headers=a).status_code == 201
    for _ in range(2):
        made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]},
                           headers=b)  # fmt: skip
        assert made.status_code == 201, made.text
    conflict = made.json()["conflicts"][0]["id"]
    for text in ("one", "two"):
        r = client.post(f"/v1/conflicts/{conflict}/messages", json={"body": text}, headers=b)
        assert r.status_code == 201, r.text
    posted = client.post("/v1/tracks", json={"tracks": [_state("B-1"), _state("B-2")]}, headers=b)
    assert posted.status_code == 200, posted.text
    paths = ["/v1/operations", "/v1/conflicts", f"/v1/conflicts/{conflict}/messages",
             "/v1/audit", "/v1/tracks"]  # fmt: skip
    return a, b, paths


def _cursor(client: TestClient, path: str, headers: dict[str, str]) -> str:
    r = client.get(path, params={"limit": 1}, headers=headers)
    assert r.status_code == 200, r.text
    cursor = r.json()["next_cursor"]
    assert cursor, path
    return str(cursor)


def _refused(client: TestClient, path: str, headers: dict[str, str], cursor: str) -> None:
    r = client.get(path, params={"limit": 1, "cursor": cursor}, headers=headers)
    assert r.status_code == 400, (path, cursor, r.status_code, r.text)
    assert r.json()["error"]["field"] == "cursor" and r.json()["error"]["code"] == "invalid_cursor"


def test_forged_cursors_are_refused_on_every_list(client: TestClient) -> None:
    _, b, paths = _lists(client)
    for path in paths:
        for forged in FORGED:
            _refused(client, path, b, forged)


def test_an_altered_cursor_is_refused(client: TestClient) -> None:
    _, b, paths = _lists(client)
    for path in paths:
        real = _cursor(client, path, b)
        assert client.get(path, params={"limit": 1, "cursor": real}, headers=b).status_code == 200
        for i in (0, len(real) // 2, len(real) - 2):
            flipped = real[:i] + ("A" if real[i] != "A" else "B") + real[i + 1 :]
            _refused(client, path, b, flipped)
        _refused(client, path, b, real[:-3])


def test_a_cursor_works_only_for_its_party_and_its_list(client: TestClient) -> None:
    a, b, paths = _lists(client)
    assert client.post("/v1/operations", json={"kind": "hazard", "volumes": [circle()]},
                       headers=a).status_code == 201  # fmt: skip
    mine = _cursor(client, "/v1/operations", a)
    _refused(client, "/v1/operations", b, mine)  # another party's cursor, same list
    theirs = _cursor(client, "/v1/operations", b)
    for path in paths[1:]:  # B's own cursor, another list
        _refused(client, path, b, theirs)


def test_a_cursor_carries_nothing_readable(client: TestClient) -> None:
    _, b, _ = _lists(client)
    page = client.get("/v1/operations", params={"limit": 1}, headers=b).json()
    cursor = page["next_cursor"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    shown = page["items"][0]["id"]
    assert shown.encode() not in raw and b"[" not in raw[:2]
    with pytest.raises(ValueError):
        json.loads(raw)


def test_instances_on_one_database_share_the_cursor_key(apps: Apps) -> None:
    """Workers share the generated secret (kept in the database); a configured one wins."""
    first, second = apps(), apps()
    _, b, _ = _lists(first)
    cursor = _cursor(first, "/v1/operations", b)
    r = second.get("/v1/operations", params={"limit": 1, "cursor": cursor}, headers=b)
    assert r.status_code == 200 and len(r.json()["items"]) == 1
    other = apps(cursor_secret="another secret")
    _refused(other, "/v1/operations", b, cursor)
