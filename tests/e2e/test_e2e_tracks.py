"""Live tracks through a real server: party B's event stream gets the tactical alert within a
second of party A's POST (a functional requirement), and bad batches are refused whole."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from live_server import ADMIN, Server

LATENCY_LIMIT_S = 1.0


def client(server: Server, key: str) -> httpx.Client:
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    server.clients.append(c)
    return c


def party(server: Server, name: str) -> tuple[httpx.Client, str]:
    r = client(server, ADMIN).post("/v1/parties", json={"name": name})
    assert r.status_code == 201, r.text
    return client(server, r.json()["api_key"]), r.json()["api_key"]


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def aircraft(id_: str, lng: float, trk: float, **kw: Any) -> dict[str, Any]:
    """Head-on pairs over Aleppo: 37.0° E flying east meets 37.2° E flying west in ~90 s."""
    return {
        "id": id_,
        "lat": 36.2,
        "lng": lng,
        "alt_m": 1000.0,
        "gs_mps": 100.0,
        "trk_deg": trk,
        "vs_mps": 0.0,
        "time": now(),
        **kw,
    }


def sortie(c: httpx.Client) -> str:
    """An active flight over the area, now (over its conflicts): only states tied to one, and
    conforming, are shown other parties' aircraft."""
    t = time.time()
    span = {
        "time_start": {"value": _at(t - 600), "format": "RFC3339"},
        "time_end": {"value": _at(t + 3600), "format": "RFC3339"},
    }
    circle = {
        "outline_circle": {
            "center": {"lat": 36.2, "lng": 37.1},
            "radius": {"value": 30_000, "units": "M"},
        },
        "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
        "altitude_upper": {"value": 3000, "reference": "W84", "units": "M"},
    }
    made = c.post(
        "/v1/operations", json={"kind": "flight", "volumes": [{"volume": circle, **span}]}
    )
    assert made.status_code == 201, made.text
    op = made.json()["operation"]["id"]
    over = [x["id"] for x in made.json()["conflicts"]]
    r = c.patch(
        f"/v1/operations/{op}",
        json={"state": "active", "override": over},
        headers={"If-Match": "1"},
    )
    assert r.status_code == 200, r.text
    return str(op)


def _at(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


class Listener(threading.Thread):
    """Reads a party's live stream; notes when each event arrives (monotonic clock)."""

    def __init__(self, server: Server, key: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{server.url}/v1/events?access_token={key}"
        self.connected = threading.Event()
        self.arrived = threading.Event()
        self.events: list[tuple[float, str, dict[str, Any]]] = []

    def run(self) -> None:
        with httpx.stream("GET", self.url, timeout=15) as r:
            assert r.status_code == 200
            typ = ""
            for line in r.iter_lines():
                self.connected.set()
                if line.startswith("event: "):
                    typ = line[7:]
                elif line.startswith("data: "):
                    self.events.append((time.monotonic(), typ, json.loads(line[6:])))
                    if typ == "tactical.alert":
                        self.arrived.set()
                        return


def test_the_other_party_is_alerted_within_a_second(server: Server) -> None:
    north, _ = party(server, "North")
    south, key_s = party(server, "South")
    s_7 = aircraft("S-7", 37.2, 270.0, operation_id=sortie(south))
    n_1 = aircraft("N-1", 37.0, 90.0, operation_id=sortie(north))
    r = south.post("/v1/tracks", json={"tracks": [s_7]})
    assert r.status_code == 200 and r.json()["alerts"] == []
    listener = Listener(server, key_s)
    listener.start()
    assert listener.connected.wait(10)
    time.sleep(0.3)  # the stream has taken its starting point: it is live

    sent = time.monotonic()
    r = north.post("/v1/tracks", json={"tracks": [n_1]})
    answered = time.monotonic()
    assert r.status_code == 200, r.text
    assert listener.arrived.wait(5), "no tactical.alert reached South"
    arrived, typ, data = listener.events[-1]
    latency = arrived - answered
    print(f"tactical.alert latency: {latency * 1000:.0f} ms after the answer, "
          f"{(arrived - sent) * 1000:.0f} ms after the POST was sent")  # fmt: skip
    assert latency < LATENCY_LIMIT_S
    (alert,) = r.json()["alerts"]
    assert typ == "tactical.alert" and data["id"] == alert["id"]
    assert data["other_party"] == "North" and data["mine"]["id"] == "S-7"
    assert "N-1" not in json.dumps(data) and data["other"]["id"].startswith("trk-")
    assert [t["id"] for t in north.get("/v1/tracks").json()["items"]] == ["N-1"]


def test_a_bad_batch_names_the_field_and_stores_nothing(server: Server) -> None:
    north, _ = party(server, "North")
    good = aircraft("N-1", 37.0, 90.0)
    cases = [
        ({"tracks": [good, {**good, "id": "N-2", "lat": "36.2"}]}, 422, "tracks[1].lat"),
        ({"tracks": [good, {**good, "id": "N-2", "lat": 95.0}]}, 422, "tracks[1].lat"),
        ({"tracks": [{**good, "time": "2031-06-01T10:00:00"}]}, 422, "tracks[0].time"),
        ({"tracks": [{**good, "time": "2999-06-01T10:00:00Z"}]}, 422, "tracks[0].time"),
        ({"tracks": [{**good, "operation_id": "nope"}]}, 404, "tracks[0].operation_id"),
        ({"tracks": [{**good, "speed": 3}]}, 422, "tracks[0].speed"),
        ({"tracks": []}, 422, "tracks"),
    ]
    for body, status, field in cases:
        r = north.post("/v1/tracks", json=body)
        assert (r.status_code, r.json()["error"]["field"]) == (status, field), r.text
    assert north.get("/v1/tracks").json()["items"] == []
