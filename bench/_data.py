"""Seeded synthetic operations clustered around real cities, for the strategic benchmark.

Sizes follow what parties declare in practice: circles 100 m-20 km, polygons up to ~50 km
across, some long thin corridors (convoy routes, transit lanes), altitude bands from the ground
to a few kilometres, windows of minutes to days spread over ~90 days.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import shapely

from deconflict.engine import Kind, Operation
from deconflict.errors import InvalidVolume
from deconflict.geometry import Circle, Footprint, LatLng, Polygon, Volume
from deconflict.geometry.volume4d import _check_simple  # the API's own check

# Cities near the antimeridian (Suva, Auckland, Anadyr, Apia) and at high latitudes (Tromsø,
# Anchorage, Murmansk, Longyearbyen, Ushuaia) exercise the seams a lat/lng grid would have.
CITIES = (
    ("Suva", -18.14, 178.44),
    ("Auckland", -36.85, 174.76),
    ("Apia", -13.83, -171.76),
    ("Anadyr", 64.73, 177.51),
    ("Tromsø", 69.65, 18.96),
    ("Anchorage", 61.22, -149.90),
    ("Murmansk", 68.97, 33.08),
    ("Longyearbyen", 78.22, 15.65),
    ("Ushuaia", -54.80, -68.30),
    ("Reykjavík", 64.15, -21.94),
    ("London", 51.51, -0.13),
    ("Paris", 48.86, 2.35),
    ("Kyiv", 50.45, 30.52),
    ("Istanbul", 41.01, 28.98),
    ("Cairo", 30.04, 31.24),
    ("Beirut", 33.89, 35.50),
    ("Baghdad", 33.31, 44.36),
    ("Sana'a", 15.37, 44.19),
    ("Khartoum", 15.50, 32.56),
    ("Goma", -1.68, 29.23),
    ("Nairobi", -1.29, 36.82),
    ("Lagos", 6.52, 3.38),
    ("Kabul", 34.56, 69.21),
    ("Delhi", 28.61, 77.21),
    ("Singapore", 1.35, 103.82),
    ("Tokyo", 35.68, 139.69),
    ("Sydney", -33.87, 151.21),
    ("São Paulo", -23.55, -46.63),
    ("Bogotá", 4.71, -74.07),
    ("Port-au-Prince", 18.59, -72.31),
    ("Los Angeles", 34.05, -118.24),
    ("Honolulu", 21.31, -157.86),
)
KINDS = (Kind.FLIGHT, Kind.HAZARD, Kind.PRESENCE)
KIND_WEIGHTS = (0.5, 0.2, 0.3)
PARTIES = tuple(f"party-{i:02d}" for i in range(24))
EPOCH = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
SPAN_S = 90 * 86_400
CITY_SPREAD_M = 40_000.0
M_PER_DEG = 111_320.0


def _offset(lat: float, lng: float, dx: float, dy: float) -> tuple[float, float]:
    """A point dx east, dy north of (lat, lng) in metres, longitude wrapped to [-180, 180)."""
    la = lat + dy / M_PER_DEG
    la = max(min(la, 89.0), -89.0)
    ln = lng + dx / (M_PER_DEG * math.cos(math.radians(la)))
    return float(la), float((ln + 180.0) % 360.0 - 180.0)


def _ring(lat: float, lng: float, xy: np.ndarray) -> Polygon:
    return Polygon(tuple(LatLng(*_offset(lat, lng, float(x), float(y))) for x, y in xy))


def _star(rng: np.random.Generator, lat: float, lng: float) -> Polygon:
    """A star-shaped (hence simple) polygon of 4-12 vertices, up to ~50 km across."""
    k = int(rng.integers(4, 13))
    radius = math.exp(rng.uniform(math.log(300.0), math.log(25_000.0)))
    angles = np.sort(rng.uniform(0, 2 * math.pi, k))
    r = radius * rng.uniform(0.5, 1.0, k)
    return _ring(lat, lng, np.column_stack([r * np.cos(angles), r * np.sin(angles)]))


def _corridor(rng: np.random.Generator, lat: float, lng: float) -> Polygon:
    """A route 20-60 km long and 200 m-2 km wide, as a buffered polyline."""
    legs = int(rng.integers(1, 4))
    leg = rng.uniform(20_000.0, 60_000.0) / legs
    heading = rng.uniform(0, 2 * math.pi) + np.cumsum(rng.normal(0, 0.5, legs))
    steps = np.column_stack([np.cos(heading), np.sin(heading)]) * leg
    path = np.vstack([[0.0, 0.0], np.cumsum(steps, axis=0)]) - steps.sum(axis=0) / 2
    width = rng.uniform(200.0, 2_000.0)
    shape = shapely.LineString(path).buffer(width / 2, quad_segs=2, join_style="mitre")
    ring = np.asarray(shape.exterior.coords)[:-1]
    return _ring(lat, lng, ring)


def _circle(rng: np.random.Generator, lat: float, lng: float) -> Circle:
    radius = math.exp(rng.uniform(math.log(100.0), math.log(20_000.0)))
    return Circle(LatLng(lat, lng), round(radius, 1))


def _accepted(p: Polygon) -> bool:
    """Would the API accept this polygon? (Sharp corridor turns can self-touch.)"""
    try:
        _check_simple(p, "bench")
    except InvalidVolume:
        return False
    return True


def footprint(rng: np.random.Generator, lat: float, lng: float) -> Footprint:
    shape = rng.random()
    if shape < 0.6:
        return _circle(rng, lat, lng)
    poly = _star(rng, lat, lng) if shape < 0.9 else _corridor(rng, lat, lng)
    return poly if _accepted(poly) else _circle(rng, lat, lng)


def _when(t: float) -> datetime:
    return datetime.fromtimestamp(round(t), tz=UTC)


def volume(rng: np.random.Generator, city: int, t0: float) -> Volume:
    _, clat, clng = CITIES[city]
    dx, dy = rng.normal(0.0, CITY_SPREAD_M, 2)
    lat, lng = _offset(clat, clng, dx, dy)
    lower = float(rng.choice((0.0, rng.uniform(0, 3_000.0))))
    upper = lower + math.exp(rng.uniform(math.log(30.0), math.log(5_000.0)))
    duration = math.exp(rng.uniform(math.log(300.0), math.log(3 * 86_400.0)))
    return Volume(
        footprint(rng, lat, lng), round(lower), round(upper), _when(t0), _when(t0 + duration)
    )


def operations(n_volumes: int, seed: int, prefix: str) -> Iterator[Operation]:
    """Operations of 1-4 volumes (consecutive legs in one city) until `n_volumes` volumes."""
    rng = np.random.default_rng(seed)
    made = 0
    i = 0
    while made < n_volumes:
        n = min(int(rng.integers(1, 5)), n_volumes - made)
        city = int(rng.integers(len(CITIES)))
        t = EPOCH + rng.uniform(0, SPAN_S)
        vols = []
        for _ in range(n):
            v = volume(rng, city, t)
            vols.append(v)
            t = v.t1
        kind = KINDS[int(rng.choice(3, p=KIND_WEIGHTS))]
        party = PARTIES[int(rng.integers(len(PARTIES)))]
        yield Operation(f"{prefix}{i}", party, kind, tuple(vols))
        made += n
        i += 1
