"""Geodesic helpers on WGS84: local azimuthal equidistant projections, densify, caps, ECEF.

Why an azimuthal equidistant (AEQD) projection centred on each pair: distances from its centre
are exact geodesic distances (PROJ computes ellipsoidal AEQD with GeographicLib), and scale
error elsewhere grows as (d/R)/sin(d/R) - 1: 0.1 % at 500 km, 0.4 % at 1,000 km from the
centre. Two footprints that can still conflict fit inside about 1,000 km of the midpoint of
their bounding caps (footprints are bounded to 1,000 km across), so the error stays under the
0.5 % budget anywhere on the globe, antimeridian included (PROJ wraps longitudes itself).
Edges are geodesics: they are densified to short segments before projection, so straight
segments in the plane follow the geodesic to well under a metre.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

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


def project_from(center: LatLng, lats: FloatArray, lngs: FloatArray) -> FloatArray:
    """`project(aeqd(center), ...)` without building a Transformer (~50 us each): ellipsoidal
    AEQD is the geodesic azimuth and distance from the centre, which PROJ also computes with
    GeographicLib, so the two agree to float noise."""
    n = len(lats)
    az, _, d = GEOD.inv(np.full(n, center.lng), np.full(n, center.lat), lngs, lats)
    a = np.radians(az)
    return np.column_stack([d * np.sin(a), d * np.cos(a)])


def unproject(t: Transformer, xy: FloatArray) -> FloatArray:
    """Inverse of `project`: (n, 2) metres -> (n, 2) [lat, lng] degrees."""
    lng, lat = t.transform(xy[:, 0], xy[:, 1], direction="INVERSE")
    return np.column_stack([lat, lng])


def ecef_unit(lat: Any, lng: Any) -> FloatArray:
    """Unit vectors (n, 3) on the sphere for lat/lng arrays (used for centres and hashing)."""
    la, ln = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(la) * np.cos(ln), np.cos(la) * np.sin(ln), np.sin(la)], axis=-1)


def vertices_array(p: Polygon) -> FloatArray:
    """(n, 2) [lat, lng] of a polygon's vertices."""
    return np.array([(v.lat, v.lng) for v in p.vertices], dtype=np.float64)


@lru_cache(maxsize=65_536)
def densified(p: Polygon) -> FloatArray:
    """Closed ring (n+1, 2) [lat, lng] with every geodesic edge split into <= 5 km segments."""
    v = vertices_array(p)
    ring = np.vstack([v, v[:1]])
    out: list[FloatArray] = []
    lat1, lng1, lat2, lng2 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
    _, _, lengths = GEOD.inv(lng1, lat1, lng2, lat2)
    for i, length in enumerate(np.atleast_1d(lengths)):
        out.append(ring[i : i + 1])
        n = int(length // MAX_SEGMENT_M)
        if n > 0:
            pts = GEOD.npts(lng1[i], lat1[i], lng2[i], lat2[i], n)
            out.append(np.array([(la, ln) for ln, la in pts], dtype=np.float64))
    out.append(ring[-1:])
    return np.vstack(out)


def circle_segments(radius_m: float) -> int:
    """Vertices a circumscribed polygon needs to stay within CIRCLE_TOLERANCE_M of the circle."""
    # Overshoot of a circumscribed n-gon is r (1/cos(pi/n) - 1) ~ r pi^2 / (2 n^2).
    n = int(np.ceil(np.pi * np.sqrt(radius_m / (2 * CIRCLE_TOLERANCE_M))))
    return int(min(max(n, 16), 2048))


@lru_cache(maxsize=65_536)
def circle_ring(c: Circle) -> FloatArray:
    """Closed ring [lat, lng] of a polygon circumscribing the geodesic circle (contains it)."""
    n = circle_segments(c.radius_m)
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    r = c.radius_m / np.cos(np.pi / n)
    lng, lat, _ = GEOD.fwd(np.full(n, c.center.lng), np.full(n, c.center.lat), az, np.full(n, r))
    ring = np.column_stack([lat, lng])
    return np.vstack([ring, ring[:1]])


def boundary(f: Footprint) -> FloatArray:
    """A closed [lat, lng] ring that follows the footprint's boundary (see densified/circle)."""
    return circle_ring(f) if isinstance(f, Circle) else densified(f)


@lru_cache(maxsize=65_536)
def cap(f: Footprint) -> tuple[LatLng, float]:
    """A bounding cap: (centre, radius in metres) containing the whole footprint."""
    if isinstance(f, Circle):
        return f.center, f.radius_m
    ring = densified(f)[:-1]
    mean = ecef_unit(ring[:, 0], ring[:, 1]).mean(axis=0)
    lat = float(np.degrees(np.arctan2(mean[2], np.hypot(mean[0], mean[1]))))
    lng = float(np.degrees(np.arctan2(mean[1], mean[0])))
    n = len(ring)
    _, _, d = GEOD.inv(np.full(n, lng), np.full(n, lat), ring[:, 1], ring[:, 0])
    # Caps smaller than a hemisphere are convex, so geodesic edges between densified points
    # stay inside; 1 m covers the ellipsoid's departure from that.
    return LatLng(lat, lng), float(np.max(d)) + 1.0


def distance_m(a: LatLng, b: LatLng) -> float:
    """Geodesic distance in metres."""
    _, _, d = GEOD.inv(a.lng, a.lat, b.lng, b.lat)
    return float(d)


def midpoint(a: LatLng, b: LatLng) -> LatLng:
    """Geodesic midpoint of a and b."""
    az, _, d = GEOD.inv(a.lng, a.lat, b.lng, b.lat)
    lng, lat, _ = GEOD.fwd(a.lng, a.lat, az, d / 2)
    return LatLng(float(lat), float(lng))
