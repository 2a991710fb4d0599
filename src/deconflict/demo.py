"""The demo scenario: three parties over one city (two air forces and an aid organisation),
loaded through the service from `data/city.json` with its times shifted to start from now,
and simulated live traffic posted through the HTTP API while the demo serves."""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen
from pyproj import Geod

from deconflict.engine import Kind, State
from deconflict.geometry import Circle, LatLng, Volume, parse_volumes, volume_to_json
from deconflict.service import Principal, Service
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, create_party

CITY = Path(__file__).parent / "data" / "city.json"
LEAD = timedelta(minutes=15)  # the first volume starts this long after loading
_GEOD = Geod(ellps="WGS84")


def _shift(volumes: list[dict[str, Any]], delta: timedelta) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(json.dumps(volumes))
    for v in out:
        for end in ("time_start", "time_end"):
            t = datetime.fromisoformat(v[end]["value"]) + delta
            v[end]["value"] = t.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return out


def _delta(operations: list[dict[str, Any]], now: float) -> timedelta:
    first = min(
        datetime.fromisoformat(v["time_start"]["value"]) for o in operations for v in o["volumes"]
    )
    start = datetime.fromtimestamp(math.floor(now / 60) * 60, UTC) + LEAD
    return start - first


def load(svc: Service, path: Path = CITY) -> dict[str, str]:
    """Create the scenario's parties and operations; return each party's API key by name."""
    operations = json.loads(path.read_text())["operations"]
    delta = _delta(operations, svc.now())
    keys: dict[str, str] = {}
    who: dict[str, Principal] = {}
    for o in operations:
        name = o["party"]
        if name not in who:
            made = create_party(svc, ADMIN, name)
            keys[name], who[name] = made["api_key"], Principal(made["id"], name)
        vols = parse_volumes(_shift(o["volumes"], delta), "volumes", svc.config.bounds)
        ops.create(svc, who[name], ops.Draft(Kind(o["kind"]), vols, label=o.get("label", "")))
    return keys


# -- simulated live traffic -------------------------------------------------------------------
# Each air force flies a "sortie" operation live now; its aircraft report through the real HTTP
# API every second. SAW-21 crosses the city through North's patrol aircraft (tactical alerts);
# NAF-12 leaves North's sortie northwards (nonconformance) towards South's sortie (the strategic
# re-check tells South). The scenario repeats every PERIOD_S. Only aircraft tied to an active
# sortie they conform to are shown others' aircraft: SAW-21 (no sortie) is shown to North, and
# South is told so (`tactical.shown`).

PERIOD_S = 360.0
TICK_S = 1.0
SORTIES = {  # party: (label, centre lat, lng, radius m, lower m, upper m)
    "North Air Wing": ("North sortie", 36.2, 37.12, 8000.0, 1500.0, 4500.0),
    "South Air Wing": ("South sortie", 36.33, 37.12, 5000.0, 2500.0, 6000.0),
}


@frozen
class Flight:
    """A simulated aircraft: a straight leg from (lat, lng) on `heading_deg`, or an orbit of
    `orbit_m` around it; `sortie`: it flies for its party's sortie operation."""

    party: str
    id: str
    lat: float
    lng: float
    alt_m: float
    speed_mps: float
    heading_deg: float = 0.0
    orbit_m: float = 0.0
    sortie: bool = False
    stop_after_s: float = PERIOD_S


FLIGHTS = (
    Flight("North Air Wing", "NAF-11", 36.2, 37.12, 3000.0, 80.0, orbit_m=4000.0, sortie=True),
    Flight("North Air Wing", "NAF-12", 36.19, 37.12, 3300.0, 100.0, 0.0, sortie=True),
    Flight("South Air Wing", "SAW-21", 36.2, 37.32, 3100.0, 150.0, 270.0),
    Flight("South Air Wing", "SAW-22", 36.33, 37.12, 4000.0, 70.0, orbit_m=2500.0, sortie=True),
    Flight("Relief Aid", "RA-H1", 36.24, 37.05, 300.0, 60.0, 122.0, stop_after_s=240.0),
)


def prepare(svc: Service, keys: dict[str, str]) -> dict[str, str]:
    """Create each air force's sortie, active from now for three hours (its aircraft are
    flying; planned if something refuses the activation); its id by party name."""
    from deconflict.errors import DomainError
    from deconflict.service.parties import authenticate

    now = datetime.fromtimestamp(math.floor(svc.now()) - 60, UTC)
    out = {}
    for name, (label, lat, lng, radius, lo, hi) in SORTIES.items():
        volume = _circle_volume(lat, lng, radius, lo, hi, now, now + timedelta(hours=3))
        vols = parse_volumes([volume], "volumes", svc.config.bounds)
        who = authenticate(svc, keys[name])
        try:
            made = ops.create(svc, who, ops.Draft(Kind.FLIGHT, vols, State.ACTIVE, label))
        except DomainError:  # a conflict gates the activation: fly it as planned
            made = ops.create(svc, who, ops.Draft(Kind.FLIGHT, vols, label=label))
        out[name] = made["operation"]["id"]
    return out


def _circle_volume(
    lat: float, lng: float, radius: float, lo: float, hi: float, start: datetime, end: datetime
) -> dict[str, Any]:
    return volume_to_json(Volume(Circle(LatLng(lat, lng), radius), lo, hi, start, end))


def where(f: Flight, elapsed_s: float) -> tuple[float, float, float, float]:
    """(lat, lng, ground speed, track) of `f` after `elapsed_s` into the scenario."""
    if f.orbit_m > 0:  # clockwise: the track is the bearing from the centre plus 90°
        bearing = math.degrees(f.speed_mps * elapsed_s / f.orbit_m) % 360.0
        lng, lat, _ = _GEOD.fwd(f.lng, f.lat, bearing, f.orbit_m)
        return float(lat), float(lng), f.speed_mps, (bearing + 90.0) % 360.0
    moving = elapsed_s < f.stop_after_s
    distance = f.speed_mps * min(elapsed_s, f.stop_after_s)
    lng, lat, back = _GEOD.fwd(f.lng, f.lat, f.heading_deg, distance)
    track = (float(back) + 180.0) % 360.0 if distance > 0 else f.heading_deg
    return float(lat), float(lng), f.speed_mps if moving else 0.0, track


def batches(
    sorties: dict[str, str], elapsed_s: float, now: float
) -> dict[str, list[dict[str, Any]]]:
    """Every party's `POST /v1/tracks` body items at `elapsed_s` into the scenario."""
    stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
    out: dict[str, list[dict[str, Any]]] = {}
    lap = int(elapsed_s // PERIOD_S)
    for f in FLIGHTS:
        lat, lng, gs, trk = where(f, elapsed_s % PERIOD_S)
        state = {
            # Each lap starts over where the first did: another aircraft (the service refuses
            # a state that jumps from where the same aircraft was a second before).
            "id": f.id if lap == 0 else f"{f.id}.{lap}",
            "lat": lat,
            "lng": lng,
            "alt_m": f.alt_m,
            "gs_mps": gs,
            "trk_deg": trk,
            "vs_mps": 0.0,
            "time": stamp,
        }
        if f.sortie:
            state["operation_id"] = sorties[f.party]
        out.setdefault(f.party, []).append(state)
    return out


def fly(url: str, keys: dict[str, str], sorties: dict[str, str], stop: threading.Event) -> None:
    """Post every party's states every TICK_S until `stop` (waits for the server to answer)."""
    import httpx

    clients = {
        name: httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=5)
        for name, key in keys.items()
    }
    start = time.time()
    try:
        while not stop.wait(TICK_S):
            now = time.time()
            for name, items in batches(sorties, now - start, now).items():
                # The server may not be up yet, or be going down: the next tick tries again.
                with contextlib.suppress(httpx.TransportError):
                    clients[name].post("/v1/tracks", json={"tracks": items})
    finally:
        for c in clients.values():
            c.close()


def start_traffic(svc: Service, keys: dict[str, str], url: str) -> threading.Event:
    """Create the sorties and fly the aircraft in a background thread; set the event to stop."""
    sorties = prepare(svc, keys)
    stop = threading.Event()
    threading.Thread(target=fly, args=(url, keys, sorties, stop), daemon=True).start()
    return stop
