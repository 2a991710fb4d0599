"""Geodesic helpers on WGS84: local azimuthal equidistant projections, densify, caps, ECEF.

Why an azimuthal equidistant (AEQD) projection centred on each pair: distances from its centre
are exact geodesic distances (PROJ computes ellipsoidal AEQD with GeographicLib), and scale
error elsewhere grows as (d/R)/sin(d/R) - 1: 0.1 % at 500 km, 0.4 % at 1,000 km from the
centre. Two footprints that can still conflict fit inside about 1,000 km of the midpoint of
their bounding caps (footprints are bounded to 1,000 km across), so the error stays under the
0.5 % budget anywhere on the globe, antimeridian included (PROJ wraps longitudes itself).
A plane centred on a circle's centre does better still: the circle is exactly a circle there,
and whatever it shares with another footprint lies within its radius (<= 500 km) of the centre.
Edges are geodesics: they are densified to short segments before projection, so straight
segments in the plane follow the geodesic to well under a metre.

The `*_many` functions do the same work for many footprints or points in one call to
GeographicLib each (a call costs microseconds, a point a fraction of one); element by element
they compute exactly what the one-at-a-time functions compute.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import lru_cache
from typing import Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt
from pyproj import Geod, Transformer

from deconflict.geometry.model import Circle, Footprint, LatLng, Polygon

GEOD = Geod(ellps="WGS84")
WGS84_A = 6_378_137.0
WGS84_E2 = 6.694379990141316e-3
MAX_SEGMENT_M = 5_000.0  # densify geodesic edges to this length (sagitta well under 1 m)
CIRCLE_TOLERANCE_M = 1.0  # a circle's polygon may stray at most this far from the true circle

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded memo of `fn` that batch functions can fill as well as read (lru_cache cannot);
    when full it forgets the older half."""

    def __init__(self, fn: Callable[[K], V], maxsize: int) -> None:
        self._fn, self._maxsize = fn, maxsize
        self._data: dict[K, V] = {}
        self.__doc__ = fn.__doc__

    def __call__(self, key: K) -> V:
        try:
            return self._data[key]
        except KeyError:
            value = self._fn(key)
            self.put(key, value)
            return value

    def get(self, key: K) -> V | None:
        return self._data.get(key)

    def put(self, key: K, value: V) -> None:
        if len(self._data) >= self._maxsize:
            keep = list(self._data.items())[self._maxsize // 2 :]
            self._data = dict(keep)
        self._data[key] = value

    def cache_clear(self) -> None:
        self._data = {}


def memo(maxsize: int) -> Callable[[Callable[[K], V]], Memo[K, V]]:
    return lambda fn: Memo(fn, maxsize)


@lru_cache(maxsize=4096)
def aeqd(lat: float, lng: float) -> Transformer:
    """Transformer (lng, lat degrees) -> (x, y metres) in an AEQD centred at (lat, lng)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        # float(): a NumPy scalar's repr ("np.float64(...)") is not a number PROJ can read.
        f"+step +proj=aeqd +lat_0={float(lat)!r} +lon_0={float(lng)!r} +ellps=WGS84"
    )


def project(t: Transformer, lats: FloatArray, lngs: FloatArray) -> FloatArray:
    """Project arrays of lat/lng into an (n, 2) array of metres."""
    x, y = t.transform(lngs, lats)
    return np.column_stack([x, y])


def project_many(lat0: Any, lng0: Any, lats: Any, lngs: Any) -> FloatArray:
    """Each point (lats[i], lngs[i]) into the AEQD centred at (lat0[i], lng0[i]): (n, 2) metres.

    Ellipsoidal AEQD is the geodesic azimuth and distance from the centre, which PROJ also
    computes with GeographicLib, so this agrees with `project(aeqd(...))` to float noise,
    without building a Transformer (~50 us each)."""
    az, _, d = GEOD.inv(lng0, lat0, lngs, lats)
    a = np.radians(az)
    return np.column_stack([d * np.sin(a), d * np.cos(a)])


def project_from(center: LatLng, lats: FloatArray, lngs: FloatArray) -> FloatArray:
    """`project(aeqd(center), ...)` for one centre (see `project_many`)."""
    n = len(lats)
    return project_many(np.full(n, center.lat), np.full(n, center.lng), lats, lngs)


def unproject(t: Transformer, xy: FloatArray) -> FloatArray:
    """Inverse of `project`: (n, 2) metres -> (n, 2) [lat, lng] degrees."""
    lng, lat = t.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
    return np.column_stack([lat, lng])


def unproject_many(lat0: FloatArray, lng0: FloatArray, xy: FloatArray) -> FloatArray:
    """Inverse of `project_many`: each (x, y) from its own centre -> (n, 2) [lat, lng]; the
    geodesic direct problem, as PROJ's ellipsoidal AEQD inverse does it."""
    x, y = xy[:, 0], xy[:, 1]
    lng, lat, _ = GEOD.fwd(lng0, lat0, np.degrees(np.arctan2(x, y)), np.hypot(x, y))
    return np.column_stack([lat, lng])


def ecef_unit(lat: Any, lng: Any) -> FloatArray:
    """Unit vectors (n, 3) on the sphere for lat/lng arrays (used for centres and hashing)."""
    la, ln = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(la) * np.cos(ln), np.cos(la) * np.sin(ln), np.sin(la)], axis=-1)


def vertices_array(p: Polygon) -> FloatArray:
    """(n, 2) [lat, lng] of a polygon's vertices."""
    return np.array([(v.lat, v.lng) for v in p.vertices], dtype=np.float64)


def _runs(counts: IntArray) -> tuple[IntArray, IntArray]:
    """For runs of the given lengths: each element's run and its position within the run."""
    run = np.repeat(np.arange(len(counts)), counts)
    return run, np.arange(len(run)) - np.repeat(np.cumsum(counts) - counts, counts)


def _densify_many(ps: Sequence[Polygon]) -> list[FloatArray]:
    """`densified` of many polygons with one GeographicLib call per step for all their edges."""
    v = [vertices_array(p) for p in ps]
    sizes = np.array([len(a) for a in v], dtype=np.int64)
    start = np.vstack(v)
    # Each vertex's successor around its own ring.
    succ = np.arange(len(start)) + 1
    ends = np.cumsum(sizes)
    succ[ends - 1] = ends - sizes
    end = start[succ]
    az, _, length = GEOD.inv(start[:, 1], start[:, 0], end[:, 1], end[:, 0])
    inner = (np.asarray(length) // MAX_SEGMENT_M).astype(np.int64)
    # Per edge: its start vertex, then `inner` points spaced length / (inner + 1) along it.
    edge, k = _runs(inner + 1)
    step = np.asarray(length)[edge] / (inner[edge] + 1)
    lng, lat, _ = GEOD.fwd(start[edge, 1], start[edge, 0], np.asarray(az)[edge], k * step)
    pts = np.column_stack([lat, lng])
    pts[k == 0] = start  # vertices stay exactly as given
    per_ring = np.add.reduceat(inner + 1, ends - sizes)
    rings = np.split(pts, np.cumsum(per_ring)[:-1])
    return [np.vstack([r, r[:1]]) for r in rings]


@memo(maxsize=65_536)
def densified(p: Polygon) -> FloatArray:
    """Closed ring (n+1, 2) [lat, lng] with every geodesic edge split into <= 5 km segments."""
    return _densify_many([p])[0]


def circle_segments(radius_m: float) -> int:
    """Vertices a circumscribed polygon needs to stay within CIRCLE_TOLERANCE_M of the circle."""
    # Overshoot of a circumscribed n-gon is r (1/cos(pi/n) - 1) ~ r pi^2 / (2 n^2).
    n = int(np.ceil(np.pi * np.sqrt(radius_m / (2 * CIRCLE_TOLERANCE_M))))
    return int(min(max(n, 16), 2048))


def circle_polar(radius_m: float) -> tuple[FloatArray, float]:
    """Azimuths (degrees) and distance of the vertices of a circle's circumscribed polygon."""
    n = circle_segments(radius_m)
    return np.linspace(0.0, 360.0, n, endpoint=False), radius_m / np.cos(np.pi / n)


def circle_planes(radii: Sequence[float]) -> list[FloatArray]:
    """Circles' closed rings (see `circle_ring`) each in the AEQD centred on its own centre,
    where the vertices are exactly their azimuth and distance from the centre."""
    polar = [circle_polar(r) for r in radii]
    sizes = np.array([len(az) for az, _ in polar], dtype=np.int64)
    a = np.radians(np.concatenate([az for az, _ in polar]))
    r = np.repeat(np.array([d for _, d in polar]), sizes)
    rings = np.split(np.column_stack([r * np.sin(a), r * np.cos(a)]), np.cumsum(sizes)[:-1])
    return [np.vstack([xy, xy[:1]]) for xy in rings]


def _circle_rings_many(cs: Sequence[Circle]) -> list[FloatArray]:
    polar = [circle_polar(c.radius_m) for c in cs]
    sizes = np.array([len(az) for az, _ in polar], dtype=np.int64)
    run, _ = _runs(sizes)
    lat0 = np.array([c.center.lat for c in cs])[run]
    lng0 = np.array([c.center.lng for c in cs])[run]
    dist = np.array([r for _, r in polar])[run]
    lng, lat, _ = GEOD.fwd(lng0, lat0, np.concatenate([az for az, _ in polar]), dist)
    rings = np.split(np.column_stack([lat, lng]), np.cumsum(sizes)[:-1])
    return [np.vstack([r, r[:1]]) for r in rings]


@memo(maxsize=65_536)
def circle_ring(c: Circle) -> FloatArray:
    """Closed ring [lat, lng] of a polygon circumscribing the geodesic circle (contains it)."""
    return _circle_rings_many([c])[0]


def clear_caches() -> None:
    """Forget every memoised ring, cap and projection (benchmarks start cold with this)."""
    for m in (densified, circle_ring, _polygon_cap):
        m.cache_clear()
    aeqd.cache_clear()


def boundary(f: Footprint) -> FloatArray:
    """A closed [lat, lng] ring that follows the footprint's boundary (see densified/circle)."""
    return circle_ring(f) if isinstance(f, Circle) else densified(f)


def _fill(memo_: Memo[K, V], keys: Iterable[K], make: Callable[[list[K]], list[V]]) -> None:
    """Memoise `make`'s values for the keys not memoised yet, all in one call."""
    todo = [k for k in keys if memo_.get(k) is None]
    if todo:
        todo = list(dict.fromkeys(todo))
        for k, v in zip(todo, make(todo), strict=True):
            memo_.put(k, v)


def boundaries(fs: Sequence[Footprint]) -> list[FloatArray]:
    """`boundary` of each footprint, computing what is not memoised yet in one batch per kind."""
    if len(fs) == 1:
        return [boundary(fs[0])]
    _fill(circle_ring, (f for f in fs if isinstance(f, Circle)), _circle_rings_many)
    _fill(densified, (f for f in fs if isinstance(f, Polygon)), _densify_many)
    return [boundary(f) for f in fs]


def _caps_many(ps: Sequence[Polygon]) -> list[tuple[LatLng, float]]:
    rings = [r[:-1] for r in boundaries(ps)]
    sizes = np.array([len(r) for r in rings], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    pts = np.vstack(rings)
    total = np.add.reduceat(ecef_unit(pts[:, 0], pts[:, 1]), starts, axis=0)
    lat = np.degrees(np.arctan2(total[:, 2], np.hypot(total[:, 0], total[:, 1])))
    lng = np.degrees(np.arctan2(total[:, 1], total[:, 0]))
    run, _ = _runs(sizes)
    _, _, d = GEOD.inv(lng[run], lat[run], pts[:, 1], pts[:, 0])
    # Caps smaller than a hemisphere are convex, so geodesic edges between densified points
    # stay inside; 1 m covers the ellipsoid's departure from that.
    radius = np.maximum.reduceat(np.asarray(d), starts) + 1.0
    return [
        (LatLng(la, ln), r)
        for la, ln, r in zip(lat.tolist(), lng.tolist(), radius.tolist(), strict=True)
    ]


@memo(maxsize=65_536)
def _polygon_cap(p: Polygon) -> tuple[LatLng, float]:
    return _caps_many([p])[0]


def cap(f: Footprint) -> tuple[LatLng, float]:
    """A bounding cap: (centre, radius in metres) containing the whole footprint."""
    return (f.center, f.radius_m) if isinstance(f, Circle) else _polygon_cap(f)


def caps(fs: Sequence[Footprint]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """`cap` of each footprint as (lat, lng, radius) arrays, polygons' in one batch."""
    _fill(_polygon_cap, (f for f in fs if isinstance(f, Polygon)), _caps_many)
    out = np.array([(c.lat, c.lng, r) for c, r in map(cap, fs)], dtype=np.float64)
    out = out.reshape(-1, 3)
    return out[:, 0], out[:, 1], out[:, 2]


def distance_m(a: LatLng, b: LatLng) -> float:
    """Geodesic distance in metres."""
    _, _, d = GEOD.inv(a.lng, a.lat, b.lng, b.lat)
    return float(d)


def midpoints(lat1: Any, lng1: Any, lat2: Any, lng2: Any) -> tuple[FloatArray, FloatArray]:
    """Geodesic midpoints (lat, lng arrays) of each pair of points."""
    az, _, d = GEOD.inv(lng1, lat1, lng2, lat2)
    lng, lat, _ = GEOD.fwd(lng1, lat1, az, np.asarray(d) / 2)
    return np.asarray(lat, dtype=np.float64), np.asarray(lng, dtype=np.float64)


def midpoint(a: LatLng, b: LatLng) -> LatLng:
    """Geodesic midpoint of a and b."""
    lat, lng = midpoints(a.lat, a.lng, b.lat, b.lng)
    return LatLng(float(lat), float(lng))
