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
Regions are drawn in the same planes (two circles: the larger one's), where a circle is the
exact circle and whatever it shares lies within its radius of the centre; a pair is projected
once for both its test and its region.

Everything runs on many pairs at once (`pairs_conflict`, `conflict_regions`, `pair_regions`):
one GeographicLib call and one Shapely call per step for all of them. The one-pair functions
are these with a single pair, so a pair gets the same answer, bit for bit, alone or in a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import shapely
from attrs import frozen
from shapely.geometry.base import BaseGeometry

from deconflict.geometry.geodesy import (
    GEOD,
    boundaries,
    caps,
    circle_planes,
    project_many,
    unproject_many,
)
from deconflict.geometry.model import Circle, Footprint, LatLng, Region, Volume

THICKNESS_M = 0.01  # overlaps thinner than 1 cm are touching edges, not conflicts

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
GeomArray = npt.NDArray[np.object_]


def _polygons(rings: Sequence[FloatArray]) -> GeomArray:
    """Shapely polygons from closed (n, 2) rings, in one call."""
    sizes = np.array([len(r) for r in rings], dtype=np.int64)
    lines = shapely.linearrings(np.vstack(rings), indices=np.repeat(np.arange(len(rings)), sizes))
    return np.asarray(shapely.polygons(lines), dtype=object)


def planes(fs: Sequence[Footprint], lat0: FloatArray, lng0: FloatArray) -> GeomArray:
    """Each footprint as a Shapely polygon in metres, in the AEQD centred at (lat0, lng0)[i].

    A circle in its own centre's plane needs no geodesy (see `circle_planes`)."""
    out = np.empty(len(fs), dtype=object)
    own = np.array(
        [
            isinstance(f, Circle) and f.center.lat == la and f.center.lng == ln
            for f, la, ln in zip(fs, lat0.tolist(), lng0.tolist(), strict=True)
        ],
        dtype=np.bool_,
    ).reshape(-1)
    if own.any():
        radii = [f.radius_m for f, o in zip(fs, own, strict=True) if o and isinstance(f, Circle)]
        out[own] = _polygons(circle_planes(radii))
    rest = np.flatnonzero(~own)
    if len(rest):
        rings = boundaries([fs[i] for i in rest.tolist()])
        sizes = np.array([len(r) for r in rings], dtype=np.int64)
        pts = np.vstack(rings)
        xy = project_many(
            np.repeat(lat0[rest], sizes), np.repeat(lng0[rest], sizes), pts[:, 0], pts[:, 1]
        )
        polys = _polygons(np.split(xy, np.cumsum(sizes)[:-1]))
        bad = ~shapely.is_valid(polys)
        if bad.any():
            # A ring checked simple around its own centre can pinch by float noise when
            # projected elsewhere (a hairpin corridor); repair it keeping every covered point.
            polys[bad] = shapely.make_valid(polys[bad], method="structure")
        out[rest] = polys
    return out


@lru_cache(maxsize=131_072)
def planar(f: Footprint, center: LatLng) -> BaseGeometry:
    """The footprint as a (prepared) Shapely polygon in metres, in the AEQD centred at `center`."""
    poly: BaseGeometry = planes([f], np.array([center.lat]), np.array([center.lng]))[0]
    shapely.prepare(poly)
    return poly


@frozen
class _Layout:
    """Pairs of footprints: their caps, the cap distance and the plane each pair is drawn in."""

    circle_a: BoolArray
    circle_b: BoolArray
    radius_a: FloatArray
    radius_b: FloatArray
    distance: FloatArray  # between the caps' centres (the circles' centres, for circles)
    lat: FloatArray  # the plane's centre
    lng: FloatArray

    @staticmethod
    def of(fa: Sequence[Footprint], fb: Sequence[Footprint]) -> _Layout:
        alat, alng, ar = caps(fa)
        blat, blng, br = caps(fb)
        az, _, d = GEOD.inv(alng, alat, blng, blat)
        # The midpoint of the caps' centres, as `geodesy.midpoint` finds it.
        mlng, mlat, _ = GEOD.fwd(alng, alat, az, np.asarray(d) / 2)
        ca = np.array([isinstance(f, Circle) for f in fa], dtype=np.bool_).reshape(-1)
        cb = np.array([isinstance(f, Circle) for f in fb], dtype=np.bool_).reshape(-1)
        on_a = ca & (~cb | (ar >= br))
        on_b = cb & ~on_a
        lat = np.where(on_a, alat, np.where(on_b, blat, mlat))
        lng = np.where(on_a, alng, np.where(on_b, blng, mlng))
        return _Layout(ca, cb, ar, br, np.asarray(d, dtype=np.float64), lat, lng)

    def take(self, i: IntArray) -> _Layout:
        return _Layout(*(np.asarray(getattr(self, k))[i] for k in _LAYOUT_FIELDS))


_LAYOUT_FIELDS = ("circle_a", "circle_b", "radius_a", "radius_b", "distance", "lat", "lng")


def pair_center(a: Footprint, b: Footprint) -> LatLng:
    """The plane a pair is drawn in: a circle's centre (the larger circle's, for two circles),
    otherwise the midpoint of the two bounding caps' centres."""
    layout = _Layout.of([a], [b])
    return LatLng(float(layout.lat[0]), float(layout.lng[0]))


@frozen
class _Tested:
    """What the footprint test of some pairs leaves for their regions: the planar polygons
    (None where not built) and the intersections (None where not computed)."""

    a: GeomArray
    b: GeomArray
    shared: GeomArray


def _thick(shared: GeomArray) -> BoolArray:
    """Which planar intersections have some part wider than THICKNESS_M (2 area / perimeter)."""
    parts, owner = shapely.get_parts(shared, return_index=True)
    areas, lengths = shapely.area(parts), shapely.length(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        width = np.where(lengths > 0, 2 * areas / lengths, 0.0)
    return np.bincount(owner[width > THICKNESS_M], minlength=len(shared)) > 0


def _test_footprints(
    fa: Sequence[Footprint], fb: Sequence[Footprint], sep: FloatArray, at: _Layout
) -> tuple[BoolArray, _Tested]:
    n = len(fa)
    ok = np.zeros(n, dtype=np.bool_)
    none = np.full(n, None, dtype=object)
    tested = _Tested(none.copy(), none.copy(), none.copy())
    r_a, r_b, d = at.radius_a, at.radius_b, at.distance
    near = ~(d >= r_a + r_b + sep)  # bounding caps apart: nothing inside them can be closer
    apart = sep > 0
    both = near & at.circle_a & at.circle_b
    ok[both] = np.where(apart, d < r_a + r_b + sep, r_a + r_b - d > THICKNESS_M)[both]
    for circle, other, r, polys, fs in (
        (at.circle_a, at.circle_b, r_a, tested.b, fb),
        (at.circle_b, at.circle_a, r_b, tested.a, fa),
    ):
        # In the circle's own plane distances from the origin are geodesic distances.
        i = np.flatnonzero(near & circle & ~other)
        if len(i) == 0:
            continue
        polys[i] = planes([fs[k] for k in i.tolist()], at.lat[i], at.lng[i])
        inside = shapely.contains_xy(polys[i], 0.0, 0.0)
        gap = shapely.distance(polys[i], shapely.Point(0.0, 0.0))
        s, rad = sep[i], r[i]
        far = np.where(s > 0, gap < rad + s, rad - gap > THICKNESS_M)
        ok[i] = np.where(inside, (s > 0) | (rad > THICKNESS_M), far)
    i = np.flatnonzero(near & ~at.circle_a & ~at.circle_b)
    if len(i):
        tested.a[i] = planes([fa[k] for k in i.tolist()], at.lat[i], at.lng[i])
        tested.b[i] = planes([fb[k] for k in i.tolist()], at.lat[i], at.lng[i])
        j = i[apart[i]]
        ok[j] = shapely.distance(tested.a[j], tested.b[j]) < sep[j]
        j = i[~apart[i]]
        j = j[shapely.intersects(tested.a[j], tested.b[j])]
        tested.shared[j] = shapely.intersection(tested.a[j], tested.b[j])
        ok[j] = _thick(tested.shared[j])
    return ok, tested


def footprints_conflict(a: Footprint, b: Footprint, sep_m: float = 0.0) -> bool:
    """Footprints overlap with positive extent (sep 0) or come closer than sep_m metres."""
    ok, _ = _test_footprints([a], [b], np.array([sep_m]), _Layout.of([a], [b]))
    return bool(ok[0])


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


def _floats(xs: Sequence[float] | FloatArray | float, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(xs, dtype=np.float64), (n,))


def conflict_regions(
    a: Sequence[Volume],
    b: Sequence[Volume],
    h_sep_m: Sequence[float] | FloatArray | float = 0.0,
    v_sep_m: Sequence[float] | FloatArray | float = 0.0,
) -> list[Region | None]:
    """For each pair (a[i], b[i]): its region if the two volumes conflict, else None.

    The full 4D test, time and altitude first (cheapest), then the footprints of the pairs
    that remain, all at once; the regions reuse the test's planes."""
    n = len(a)
    h, v = _floats(h_sep_m, n), _floats(v_sep_m, n)
    live = np.flatnonzero(
        [
            times_overlap(x, y) and altitudes_conflict(x, y, s)
            for x, y, s in zip(a, b, v.tolist(), strict=True)
        ]
    )
    out: list[Region | None] = [None] * n
    if len(live) == 0:
        return out
    fa = [a[i].footprint for i in live.tolist()]
    fb = [b[i].footprint for i in live.tolist()]
    layout = _Layout.of(fa, fb)
    ok, tested = _test_footprints(fa, fb, h[live], layout)
    hit = np.flatnonzero(ok)
    found = _regions(
        [a[i] for i in live[hit].tolist()],
        [b[i] for i in live[hit].tolist()],
        h[live[hit]],
        layout.take(hit),
        _Tested(tested.a[hit], tested.b[hit], tested.shared[hit]),
    )
    for i, r in zip(live[hit].tolist(), found, strict=True):
        out[i] = r
    return out


def pairs_conflict(
    a: Sequence[Volume],
    b: Sequence[Volume],
    h_sep_m: Sequence[float] | FloatArray | float = 0.0,
    v_sep_m: Sequence[float] | FloatArray | float = 0.0,
) -> BoolArray:
    """`volumes_conflict` of each pair (a[i], b[i]), all at once."""
    n = len(a)
    h, v = _floats(h_sep_m, n), _floats(v_sep_m, n)
    ok = np.array(
        [
            times_overlap(x, y) and altitudes_conflict(x, y, s)
            for x, y, s in zip(a, b, v.tolist(), strict=True)
        ],
        dtype=np.bool_,
    ).reshape(-1)
    live = np.flatnonzero(ok)
    if len(live):
        fa = [a[i].footprint for i in live.tolist()]
        fb = [b[i].footprint for i in live.tolist()]
        ok[live], _ = _test_footprints(fa, fb, h[live], _Layout.of(fa, fb))
    return ok


def volumes_conflict(a: Volume, b: Volume, h_sep_m: float = 0.0, v_sep_m: float = 0.0) -> bool:
    """The full 4D test: time, then altitude, then footprint (cheapest first)."""
    return bool(pairs_conflict([a], [b], h_sep_m, v_sep_m)[0])


def pair_regions(
    a: Sequence[Volume], b: Sequence[Volume], h_sep_m: Sequence[float] | FloatArray | float = 0.0
) -> list[Region]:
    """`region` of each pair (a[i], b[i]), all at once."""
    n = len(a)
    if n == 0:
        return []
    none = np.full(n, None, dtype=object)
    fa, fb = [x.footprint for x in a], [y.footprint for y in b]
    layout = _Layout.of(fa, fb)
    return _regions(a, b, _floats(h_sep_m, n), layout, _Tested(none, none.copy(), none.copy()))


def region(a: Volume, b: Volume, h_sep_m: float = 0.0) -> Region:
    """The shared region of two conflicting volumes, and nothing more of either.

    Footprint: the intersection at separation 0; with a separation, where the two footprints
    grown by half the separation meet (the zone both protected halves claim).
    """
    return pair_regions([a], [b], h_sep_m)[0]


def _regions(
    a: Sequence[Volume], b: Sequence[Volume], h: FloatArray, at: _Layout, tested: _Tested
) -> list[Region]:
    pa, pb, shared = tested.a.copy(), tested.b.copy(), tested.shared.copy()
    for polys, fs in ((pa, a), (pb, b)):
        i = np.flatnonzero(shapely.is_missing(polys))
        if len(i):
            polys[i] = planes([fs[k].footprint for k in i.tolist()], at.lat[i], at.lng[i])
    grow = np.flatnonzero(h > 0)
    if len(grow):
        pa[grow] = shapely.buffer(pa[grow], h[grow] / 2)
        pb[grow] = shapely.buffer(pb[grow], h[grow] / 2)
        shared[grow] = None
    i = np.flatnonzero(shapely.is_missing(shared))
    shared[i] = shapely.intersection(pa[i], pb[i])
    rings = _rings(shared, at)
    out = []
    for x, y, rs in zip(a, b, rings, strict=True):
        lo = max(x.alt_lower_m, y.alt_lower_m)
        hi = min(x.alt_upper_m, y.alt_upper_m)
        out.append(
            Region(
                rings=rs,
                alt_lower_m=min(lo, hi),
                alt_upper_m=max(lo, hi),
                time_start=max(x.time_start, y.time_start),
                time_end=min(x.time_end, y.time_end),
            )
        )
    return out


def _rings(shared: GeomArray, at: _Layout) -> list[tuple[tuple[LatLng, ...], ...]]:
    """The polygons of each planar intersection, as outer rings in lat/lng."""
    parts, owner = shapely.get_parts(shared, return_index=True)
    keep = (shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 0)
    parts, owner = parts[keep], owner[keep]
    out: list[list[tuple[LatLng, ...]]] = [[] for _ in shared]
    if len(parts) == 0:
        return [()] * len(shared)
    xy, ring = shapely.get_coordinates(shapely.get_exterior_ring(parts), return_index=True)
    latlng = unproject_many(at.lat[owner[ring]], at.lng[owner[ring]], xy)
    cuts = np.cumsum(np.bincount(ring, minlength=len(parts)))[:-1]
    lats = np.split(latlng[:, 0], cuts)
    lngs = np.split(latlng[:, 1], cuts)
    for k, la, ln in zip(owner.tolist(), lats, lngs, strict=True):
        out[k].append(tuple(map(LatLng, la.tolist(), ln.tolist())))
    return [tuple(r) for r in out]
