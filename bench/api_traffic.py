"""The API load benchmark's traffic: a realistic mix of flights over a region, keep-alive HTTP
clients that post them for a fixed time, and an SSE watcher that times event delivery.

Most flights are spread over a 330 x 440 km region and a week, away from the watcher's hazard
zones; a share of them (10 % by default) is flown through one of those zones, so each of these
opens a conflict the watcher party must be told about. Flights of the load parties may also
meet each other now and then, as traffic does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from attrs import define, field

BASE = datetime(2031, 6, 1, tzinfo=UTC)
WEEK_S = 7 * 86400
REGION = (49.0, 52.0, 6.0, 12.0)  # lat min/max, lng min/max
ZONES = 24  # the watcher's hazard zones
ZONE_RADIUS_M = 5000.0
M_PER_DEG = 111_320.0


def _t(seconds: float) -> dict[str, str]:
    t = BASE + timedelta(seconds=round(seconds))
    return {"value": t.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def _alt(m: float) -> dict[str, Any]:
    return {"value": m, "reference": "W84", "units": "M"}


def _offset(lat: float, lng: float, east_m: float, north_m: float) -> tuple[float, float]:
    return lat + north_m / M_PER_DEG, lng + east_m / (M_PER_DEG * math.cos(math.radians(lat)))


def zone_centres(seed: int = 1) -> list[tuple[float, float]]:
    """The watcher's zones, scattered over the region at least ~30 km apart."""
    rng = random.Random(seed)
    la0, la1, lo0, lo1 = REGION
    zones: list[tuple[float, float]] = []
    while len(zones) < ZONES:
        lat, lng = rng.uniform(la0 + 0.2, la1 - 0.2), rng.uniform(lo0 + 0.3, lo1 - 0.3)
        if all(math.hypot(lat - a, (lng - b) * 0.64) > 0.27 for a, b in zones):
            zones.append((lat, lng))
    return zones


def hazard(lat: float, lng: float) -> dict[str, Any]:
    """A live-fire range: the whole week, ground to 5,000 m."""
    vol = {
        "volume": {
            "outline_circle": {
                "center": {"lat": lat, "lng": lng},
                "radius": {"value": ZONE_RADIUS_M, "units": "M"},
            },
            "altitude_lower": _alt(0),
            "altitude_upper": _alt(5000),
        },
        "time_start": _t(0),
        "time_end": _t(WEEK_S),
    }
    return {"kind": "hazard", "volumes": [vol], "label": "range"}


def _far_from_zones(lat: float, lng: float, zones: list[tuple[float, float]]) -> bool:
    margin = (ZONE_RADIUS_M + 12_000) / M_PER_DEG
    return all(
        math.hypot(lat - zl, (lng - zg) * math.cos(math.radians(lat))) > margin for zl, zg in zones
    )


def _footprint(rng: random.Random, lat: float, lng: float) -> dict[str, Any]:
    if rng.random() < 0.7:
        radius = rng.uniform(300, 2000)
        return {
            "outline_circle": {
                "center": {"lat": lat, "lng": lng},
                "radius": {"value": round(radius), "units": "M"},
            }
        }
    n, size = rng.randint(4, 6), rng.uniform(500, 2500)
    step = 2 * math.pi / n
    vertices = []
    for i in range(n):  # a star-shaped ring around the centre is simple
        a = step * (i + rng.uniform(-0.3, 0.3))
        r = size * rng.uniform(0.6, 1.0)
        vlat, vlng = _offset(lat, lng, r * math.cos(a), r * math.sin(a))
        vertices.append({"lat": round(vlat, 6), "lng": round(vlng, 6)})
    return {"outline_polygon": {"vertices": vertices}}


def flight(
    rng: random.Random, zones: list[tuple[float, float]], through_zone: bool
) -> dict[str, Any]:
    """A flight of 1-3 consecutive legs (volumes), each 15-60 min long."""
    la0, la1, lo0, lo1 = REGION
    if through_zone:
        zlat, zlng = rng.choice(zones)
        d, a = rng.uniform(0, ZONE_RADIUS_M * 0.6), rng.uniform(0, 2 * math.pi)
        lat, lng = _offset(zlat, zlng, d * math.cos(a), d * math.sin(a))
    else:
        while True:
            lat, lng = rng.uniform(la0, la1), rng.uniform(lo0, lo1)
            if _far_from_zones(lat, lng, zones):
                break
    start = rng.uniform(0, WEEK_S - 4 * 3600)
    lo = rng.choice([0, 150, 300, 600, 900, 1500])
    hi = lo + rng.choice([150, 300, 600])
    legs = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
    volumes = []
    for _ in range(legs):
        end = start + rng.uniform(900, 3600)
        volumes.append(
            {
                "volume": {
                    "altitude_lower": _alt(lo),
                    "altitude_upper": _alt(hi),
                    **_footprint(rng, lat, lng),
                },
                "time_start": _t(start),
                "time_end": _t(end),
            }
        )
        start = end
        if not through_zone:  # a zone crossing stays in its zone
            lat, lng = _offset(lat, lng, rng.uniform(-4000, 4000), rng.uniform(-4000, 4000))
    return {"kind": "flight", "volumes": volumes, "label": "sortie"}


class RawHttp:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: the lightest load generator we
    can write in Python, so that the server, not the client, is what the 2 cores mostly run."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.head = (
            f"POST /v1/operations HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        try:
            return await self._post(body)
        except (OSError, asyncio.IncompleteReadError):
            await self.close()  # the next request opens a fresh connection
            raise

    async def _post(self, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, data

    async def close(self) -> None:
        if self.writer is not None:
            writer, self.reader, self.writer = self.writer, None, None
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


class HttpxPost:
    """The same requests through httpx (heavier on the client, shown for comparison)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            timeout=60,
        )

    async def post(self, body: bytes) -> tuple[int, bytes]:
        r = await self.client.post("/v1/operations", content=body)
        return r.status_code, r.content

    async def close(self) -> None:
        await self.client.aclose()


# Where a client's flights are flown instead of REGION: (centre lat, centre lng, scale).
Place = tuple[float, float, float]


def moved(body: dict[str, Any], place: Place) -> dict[str, Any]:
    """`body`'s flight flown round another centre, its area scaled (REGION's centre maps to it)."""
    clat, clng, scale = place
    mid_lat, mid_lng = (REGION[0] + REGION[1]) / 2, (REGION[2] + REGION[3]) / 2

    def move(p: dict[str, float]) -> dict[str, float]:
        lat, lng = clat + (p["lat"] - mid_lat) * scale, clng + (p["lng"] - mid_lng) * scale
        return {"lat": lat, "lng": lng}

    for v in body["volumes"]:
        shape = v["volume"]
        if "outline_circle" in shape:
            shape["outline_circle"]["center"] = move(shape["outline_circle"]["center"])
        else:
            ring = shape["outline_polygon"]["vertices"]
            shape["outline_polygon"]["vertices"] = [move(p) for p in ring]
    return body


@define
class LoadResult:
    latencies_ms: list[float] = field(factory=list)
    statuses: Counter[int] = field(factory=Counter)
    failures: Counter[str] = field(factory=Counter)
    conflicts: int = 0
    # conflict id -> monotonic time the write that opened it was answered (watcher's side only)
    answered: dict[str, float] = field(factory=dict)


async def _client(
    post: Callable[[bytes], Awaitable[tuple[int, bytes]]],
    rng: random.Random,
    zones: list[tuple[float, float]],
    share: float,
    watcher: str,
    until: float,
    out: LoadResult,
    limit: int | None = None,
    place: Place | None = None,
) -> None:
    while time.monotonic() < until and (limit is None or len(out.latencies_ms) < limit):
        plan = flight(rng, zones, rng.random() < share)
        body = json.dumps(plan if place is None else moved(plan, place)).encode()
        t0 = time.perf_counter()
        try:
            status, data = await post(body)
        except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as e:
            out.failures[type(e).__name__] += 1
            await asyncio.sleep(0.05)
            continue
        answered = time.monotonic()
        out.latencies_ms.append((time.perf_counter() - t0) * 1000)
        out.statuses[status] += 1
        if status == 201:
            for c in json.loads(data)["conflicts"]:
                out.conflicts += 1
                if c["other_party"] == watcher:
                    out.answered[c["id"]] = answered


async def run_load(
    base_url: str,
    keys: list[str],
    clients: int,
    seconds: float,
    share: float,
    watcher: str,
    kind: str = "raw",
    seed: int = 0,
    tick: Callable[[float], None] | None = None,
    limit: int | None = None,
    places: list[Place] | None = None,
) -> LoadResult:
    """`clients` concurrent keep-alive clients (parties taken round-robin) posting for `seconds`
    (or until `limit` requests were answered); with `places`, party i flies at places[i % n]."""
    url = httpx.URL(base_url)
    zones = zone_centres()
    posts: list[RawHttp | HttpxPost] = [
        RawHttp(url.host, url.port or 80, keys[i % len(keys)])
        if kind == "raw"
        else HttpxPost(base_url, keys[i % len(keys)])
        for i in range(clients)
    ]
    out = LoadResult()
    start = time.monotonic()
    until = start + seconds

    async def ticker() -> None:
        while time.monotonic() < until and (limit is None or len(out.latencies_ms) < limit):
            if tick is not None:
                tick(time.monotonic() - start)
            await asyncio.sleep(0.5)

    try:
        await asyncio.gather(
            ticker(),
            *(
                _client(
                    p.post,
                    random.Random(seed * 1000 + i),
                    zones,
                    share,
                    watcher,
                    until,
                    out,
                    limit,
                    places[(i % len(keys)) % len(places)] if places else None,
                )
                for i, p in enumerate(posts)
            ),
        )
    finally:
        for p in posts:
            await p.close()
    return out


def _watch(url: str, key: str, ready: Any, stop: Any, results: Any) -> None:
    """Child process: follow the watcher party's live stream; note when each conflict arrives."""
    seen: dict[str, float] = {}

    def follow() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=None) as r:
            event = ""
            for line in r.iter_lines():
                if line.startswith("retry:"):
                    ready.set()
                elif line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "conflict.opened":
                    seen.setdefault(json.loads(line[6:])["id"], time.monotonic())

    threading.Thread(target=follow, daemon=True).start()
    stop.wait()
    results.put(dict(seen))


class Watcher:
    """An SSE subscriber in its own process, so the load's event loop cannot delay it."""

    def __init__(self, url: str, key: str) -> None:
        ctx = mp.get_context("spawn")
        self.ready, self.stop, self.results = ctx.Event(), ctx.Event(), ctx.Queue()
        self.proc = ctx.Process(
            target=_watch, args=(url, key, self.ready, self.stop, self.results), daemon=True
        )
        self.proc.start()
        if not self.ready.wait(30):
            raise RuntimeError("the event stream did not open")

    def collect(self, answered: dict[str, float], grace_s: float = 3.0) -> dict[str, float]:
        """Arrival times of the conflicts in `answered`; waits until all came or `grace_s`."""
        time.sleep(grace_s)
        self.stop.set()
        seen: dict[str, float] = self.results.get(timeout=30)
        self.proc.join(10)
        return seen
