"""Do two volumes conflict, and what region do they share? Exact in geodesic terms.

Conflict at separation 0 needs overlap with positive extent in all three dimensions: time
windows are half-open, altitude bands must share more than a point, and footprints must share
an area thicker than `THICKNESS_M` (edges that merely touch, up to float noise, do not count).
With a separation s > 0 the footprints conflict when their geodesic gap is < s, and altitude
bands when their gap is < the vertical separation.

Footprint tests pick the projection that makes them exact where it matters:
- circle x circle: geodesic distance between centres (no projection at all);
- circle x polygon: AEQD centred on the circle, where distance from the centre is geodesic;
- polygon x polygon: AEQD centred between their bounding caps (<= 0.5 % scale error);
  intersection itself is topological, so it survives projection unchanged.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from deconflict.geometry.geodesy import (
    aeqd,
    boundary,
    cap,
    distance_m,
    midpoint,
    project_from,
    unproject,
)
from deconflict.geometry.model import Circle, Footprint, LatLng, Polygon, Region, Volume

THICKNESS_M = 0.01  # overlaps thinner than 1 cm are touching edges, not conflicts


@lru_cache(maxsize=131_072)
def planar(f: Footprint, center: LatLng) -> BaseGeometry:
    """The footprint as a Shapely polygon in metres, in the AEQD centred at `center`."""
    ring = boundary(f)
    poly: BaseGeometry = shapely.Polygon(project_from(center, ring[:, 0], ring[:, 1]))
    if not poly.is_valid:
        # A ring checked simple around its own centre can pinch by float noise when projected
        # elsewhere (a hairpin corridor); repair it keeping every covered point, never fail.
        poly = shapely.make_valid(poly, method="structure")
    shapely.prepare(poly)
    return poly


def pair_center(a: Footprint, b: Footprint) -> LatLng:
    """Projection centre for a pair: the midpoint of their bounding caps' centres."""
    return midpoint(cap(a)[0], cap(b)[0])


def times_overlap(a: Volume, b: Volume) -> bool:
    """Half-open windows [start, end) share an instant."""
    return max(a.t0, b.t0) < min(a.t1, b.t1)


def altitudes_conflict(a: Volume, b: Volume, v_sep_m: float) -> bool:
    """Bands overlap with positive extent (v_sep 0), or their gap is below v_sep.

    A flat band (lower == upper, e.g. a camp on the ground at [0, 0]) has no extent to share:
    it conflicts with every band that holds its height, boundaries included, or a ground
    presence would never meet the hazard above it.
    """
    gap = max(a.alt_lower_m, b.alt_lower_m) - min(a.alt_upper_m, b.alt_upper_m)
    if v_sep_m > 0:
        return gap < v_sep_m
    flat = a.alt_lower_m == a.alt_upper_m or b.alt_lower_m == b.alt_upper_m
    return gap < 0 or (gap == 0 and flat)


def _thick(g: BaseGeometry) -> bool:
    """A planar intersection with some part wider than THICKNESS_M (2 area / perimeter)."""
    parts = shapely.get_parts(g)
    areas, lengths = shapely.area(parts), shapely.length(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(lengths > 0, 2 * areas / lengths, 0.0)
    return bool(np.any(width > THICKNESS_M))


def _circle_circle(a: Circle, b: Circle, sep: float) -> bool:
    d = distance_m(a.center, b.center)
    if sep > 0:
        return d < a.radius_m + b.radius_m + sep
    return a.radius_m + b.radius_m - d > THICKNESS_M


def _circle_polygon(c: Circle, p: Polygon, sep: float) -> bool:
    plane = planar(p, c.center)  # distances from the origin here are geodesic distances
    origin = shapely.Point(0.0, 0.0)
    if plane.contains(origin):
        return sep > 0 or c.radius_m > THICKNESS_M
    d = float(plane.distance(origin))
    return d < c.radius_m + sep if sep > 0 else c.radius_m - d > THICKNESS_M


def _polygon_polygon(a: Polygon, b: Polygon, sep: float) -> bool:
    center = pair_center(a, b)
    pa, pb = planar(a, center), planar(b, center)
    if sep > 0:
        return bool(pa.distance(pb) < sep)
    if not pa.intersects(pb):
        return False
    return _thick(pa.intersection(pb))


def footprints_conflict(a: Footprint, b: Footprint, sep_m: float = 0.0) -> bool:
    """Footprints overlap with positive extent (sep 0) or come closer than sep_m metres."""
    ca, cb = cap(a), cap(b)
    if distance_m(ca[0], cb[0]) >= ca[1] + cb[1] + sep_m:
        return False  # bounding caps apart: nothing inside them can be closer
    if isinstance(a, Circle) and isinstance(b, Circle):
        return _circle_circle(a, b, sep_m)
    if isinstance(a, Circle) and isinstance(b, Polygon):
        return _circle_polygon(a, b, sep_m)
    if isinstance(a, Polygon) and isinstance(b, Circle):
        return _circle_polygon(b, a, sep_m)
    assert isinstance(a, Polygon) and isinstance(b, Polygon)
    return _polygon_polygon(a, b, sep_m)


def volumes_conflict(a: Volume, b: Volume, h_sep_m: float = 0.0, v_sep_m: float = 0.0) -> bool:
    """The full 4D test: time, then altitude, then footprint (cheapest first)."""
    return (
        times_overlap(a, b)
        and altitudes_conflict(a, b, v_sep_m)
        and footprints_conflict(a.footprint, b.footprint, h_sep_m)
    )


def region(a: Volume, b: Volume, h_sep_m: float = 0.0) -> Region:
    """The shared region of two conflicting volumes, and nothing more of either.

    Footprint: the intersection at separation 0; with a separation, where the two footprints
    grown by half the separation meet (the zone both protected halves claim).
    """
    center = pair_center(a.footprint, b.footprint)
    pa, pb = planar(a.footprint, center), planar(b.footprint, center)
    if h_sep_m > 0:
        pa, pb = pa.buffer(h_sep_m / 2), pb.buffer(h_sep_m / 2)
    shared = shapely.intersection(pa, pb)
    t = aeqd(center.lat, center.lng)
    rings = []
    for part in shapely.get_parts(shared):
        if isinstance(part, shapely.Polygon) and part.area > 0:
            latlng = unproject(t, np.asarray(part.exterior.coords))
            rings.append(tuple(LatLng(float(la), float(ln)) for la, ln in latlng))
    lo = max(a.alt_lower_m, b.alt_lower_m)
    hi = min(a.alt_upper_m, b.alt_upper_m)
    return Region(
        rings=tuple(rings),
        alt_lower_m=min(lo, hi),
        alt_upper_m=max(lo, hi),
        time_start=max(a.time_start, b.time_start),
        time_end=min(a.time_end, b.time_end),
    )
