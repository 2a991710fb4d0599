"""An independent brute-force oracle for footprint distances, overlaps and containment.

It shares no code with `deconflict.geometry`: no AEQD, no Shapely, no densification of its own.
Truth comes from `pyproj.Geod` alone (geodesic distances, forward problem) plus:
- a branch and bound over pieces of the boundaries: a piece of geodesic of length l around its
  midpoint m holds only points within l/2 of m, so d(m_a, m_b) - (l_a + l_b)/2 is a lower bound
  on every distance between two pieces, and d(m_a, m_b) an upper bound on the minimum;
- point-in-polygon by even-odd ray casting in a gnomonic plane of our own (on the sphere
  through unit vectors), over a ring cut into pieces of at most 1 km: a homeomorphism
  keeps inside and outside, and the pieces are straight there to well under a metre.
Circles are exact: a point's distance to a circle is |d(centre, p) - r|.

Every answer is a pair of bounds (lo, hi) on the truth, so tests stay sound when a hard case
(e.g. long parallel edges) stops the refinement early: they only grow weaker.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from attrs import frozen
from pyproj import Geod

from deconflict.geometry import Circle, Footprint, LatLng, Polygon

GEOD = Geod(ellps="WGS84")
PIP_STEP_M = 1_000.0
BUDGET = 400_000  # piece pairs per refinement round
Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@frozen
class Pieces:
    """Geodesic pieces: start point, forward azimuth there, and length (0 for a lone point)."""

    lat: Array
    lng: Array
    az: Array
    length: Array

    def __len__(self) -> int:
        return len(self.lat)

    def at(self, fraction: float) -> tuple[Array, Array]:
        """The points `fraction` of the way along each piece: (lat, lng)."""
        lng, lat, _ = GEOD.fwd(self.lng, self.lat, self.az, self.length * fraction)
        return np.asarray(lat), np.asarray(lng)

    def halves(self) -> Pieces:
        """Each piece split in two, the halves of piece i at 2i and 2i+1."""
        lng, lat, baz = GEOD.fwd(self.lng, self.lat, self.az, self.length / 2)
        half = self.length / 2
        out_lat = np.column_stack([self.lat, lat]).ravel()
        out_lng = np.column_stack([self.lng, lng]).ravel()
        out_az = np.column_stack([self.az, (np.asarray(baz) + 180.0) % 360.0]).ravel()
        return Pieces(out_lat, out_lng, out_az, np.repeat(half, 2))

    def take(self, idx: IntArray) -> Pieces:
        return Pieces(self.lat[idx], self.lng[idx], self.az[idx], self.length[idx])


def point_pieces(p: LatLng) -> Pieces:
    z = np.zeros(1)
    return Pieces(np.array([p.lat]), np.array([p.lng]), z, z.copy())


def ring_pieces(p: Polygon, step_m: float) -> Pieces:
    """The polygon's closed boundary cut into geodesic pieces of at most `step_m`."""
    lat = np.array([v.lat for v in p.vertices])
    lng = np.array([v.lng for v in p.vertices])
    lat2, lng2 = np.roll(lat, -1), np.roll(lng, -1)
    az, _, length = GEOD.inv(lng, lat, lng2, lat2)
    k = np.maximum(1, np.ceil(np.asarray(length) / step_m)).astype(np.int64)
    edge = np.repeat(np.arange(len(lat)), k)
    frac = np.concatenate([np.arange(n) / n for n in k])
    dist = np.asarray(length)[edge] * frac
    plng, plat, baz = GEOD.fwd(lng[edge], lat[edge], np.asarray(az)[edge], dist)
    faz = (np.asarray(baz) + 180.0) % 360.0
    return Pieces(np.asarray(plat), np.asarray(plng), faz, (np.asarray(length) / k)[edge])


def perimeter_m(p: Polygon) -> float:
    lat = [v.lat for v in p.vertices]
    lng = [v.lng for v in p.vertices]
    _, _, length = GEOD.inv(lng, lat, np.roll(lng, -1), np.roll(lat, -1))
    return float(np.sum(length))


def pieces_gap(a: Pieces, b: Pieces, eps: float) -> tuple[float, float]:
    """Bounds (lo, hi) on the least geodesic distance between two sets of pieces."""
    ia, ib = (x.ravel() for x in np.meshgrid(np.arange(len(a)), np.arange(len(b)), indexing="ij"))
    hi = math.inf
    for _ in range(60):
        ma, mb = a.at(0.5), b.at(0.5)
        _, _, d = GEOD.inv(ma[1][ia], ma[0][ia], mb[1][ib], mb[0][ib])
        d = np.asarray(d)
        hi = min(hi, float(d.min()))
        lb = d - (a.length[ia] + b.length[ib]) / 2
        lo = max(0.0, float(lb.min()))
        if hi - lo <= eps:
            return lo, hi
        live = lb < hi
        ia, ib = ia[live], ib[live]
        if 4 * len(ia) > BUDGET:
            return lo, hi
        a, ia2 = _split(a, ia)
        b, ib2 = _split(b, ib)
        # Every live pair becomes the cross product of its halves.
        ia = np.broadcast_to(ia2[:, :, None], (len(ia2), ia2.shape[1], ib2.shape[1])).ravel()
        ib = np.broadcast_to(ib2[:, None, :], (len(ib2), ia2.shape[1], ib2.shape[1])).ravel()
    return lo, hi


def _split(p: Pieces, idx: IntArray) -> tuple[Pieces, IntArray]:
    """Halve the pieces `idx` refers to; per entry of `idx`, the indices of its halves (n, 2).

    Points (length 0) stay whole: (n, 1).
    """
    if not np.any(p.length > 0):
        return p, idx[:, None]
    used, inv = np.unique(idx, return_inverse=True)
    halves = p.take(used).halves()
    return halves, np.stack([2 * inv, 2 * inv + 1], axis=-1)


# -- a gnomonic plane of our own -------------------------------------------------------------


def unit(lat: Array, lng: Array) -> Array:
    la, ln = np.radians(lat), np.radians(lng)
    return np.stack([np.cos(la) * np.cos(ln), np.cos(la) * np.sin(ln), np.sin(la)], axis=-1)


@frozen
class Plane:
    """A gnomonic plane tangent to the unit sphere at `n` (lat/lng read as spherical)."""

    n: Array
    e1: Array
    e2: Array

    @staticmethod
    def at(lat: Array, lng: Array) -> Plane:
        n = unit(lat, lng).reshape(-1, 3).mean(axis=0)
        n = n / np.linalg.norm(n)
        e1 = np.cross([0.0, 0.0, 1.0], n)
        if np.linalg.norm(e1) < 1e-9:
            e1 = np.array([1.0, 0.0, 0.0])
        e1 = e1 / np.linalg.norm(e1)
        return Plane(n, e1, np.cross(n, e1))

    def xy(self, lat: Array, lng: Array) -> Array:
        u = unit(lat, lng)
        s = u @ self.n
        return np.column_stack([(u @ self.e1) / s, (u @ self.e2) / s])

    def latlng(self, xy: Array) -> tuple[Array, Array]:
        u = self.n + xy[:, :1] * self.e1 + xy[:, 1:] * self.e2
        u = u / np.linalg.norm(u, axis=1, keepdims=True)
        return np.degrees(np.arcsin(u[:, 2])), np.degrees(np.arctan2(u[:, 1], u[:, 0]))


def ring_in_plane(p: Polygon, plane: Plane) -> Array:
    pieces = ring_pieces(p, min(PIP_STEP_M, perimeter_m(p) / 64))
    return plane.xy(pieces.lat, pieces.lng)


def inside_ring(ring: Array, pts: Array) -> npt.NDArray[np.bool_]:
    """Even-odd ray casting of points (m, 2) against a closed ring of vertices (n, 2)."""
    x1, y1 = ring[:, 0], ring[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    px, py = pts[:, :1], pts[:, 1:]
    straddle = (y1 > py) != (y2 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        xcross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
    hits = straddle & (px < xcross)
    result: npt.NDArray[np.bool_] = np.count_nonzero(hits, axis=1) % 2 == 1
    return result


def contains(f: Footprint, p: LatLng) -> bool:
    """`p` lies inside `f` (up to well under a metre from a polygon's boundary)."""
    if isinstance(f, Circle):
        return distance(f.center, p) < f.radius_m
    plane = Plane.at(np.array([p.lat]), np.array([p.lng]))
    pt = plane.xy(np.array([p.lat]), np.array([p.lng]))
    return bool(inside_ring(ring_in_plane(f, plane), pt)[0])


def distance(a: LatLng, b: LatLng) -> float:
    _, _, d = GEOD.inv(a.lng, a.lat, b.lng, b.lat)
    return float(d)


# -- footprint distances -----------------------------------------------------------------------


def _core(f: Footprint, step_m: float) -> tuple[Pieces, float]:
    """What the distance is measured from, and how much to take off: circles are their centre."""
    if isinstance(f, Circle):
        return point_pieces(f.center), f.radius_m
    return ring_pieces(f, step_m), 0.0


def _step(f: Footprint) -> float:
    return 1.0 if isinstance(f, Circle) else perimeter_m(f) / 200


def footprint_gap(a: Footprint, b: Footprint, eps: float = 1.0) -> tuple[float, float]:
    """Bounds (lo, hi) on the geodesic distance between two footprints (0 when they overlap)."""
    if isinstance(a, Circle) and isinstance(b, Circle):
        g = max(0.0, distance(a.center, b.center) - a.radius_m - b.radius_m)
        return g, g
    if contains(b, _anchor(a)) or contains(a, _anchor(b)):
        return 0.0, 0.0
    pa, ra = _core(a, _step(a))
    pb, rb = _core(b, _step(b))
    lo, hi = pieces_gap(pa, pb, eps)
    return max(0.0, lo - ra - rb), max(0.0, hi - ra - rb)


def _anchor(f: Footprint) -> LatLng:
    """A point of the footprint's closure: a circle's centre, a polygon's first vertex."""
    return f.center if isinstance(f, Circle) else f.vertices[0]


def point_gap(f: Footprint, p: LatLng, eps: float = 1.0) -> tuple[float, float]:
    """Bounds on the distance from `p` to footprint `f` (0 inside)."""
    if contains(f, p):
        return 0.0, 0.0
    if isinstance(f, Circle):
        g = max(0.0, distance(f.center, p) - f.radius_m)
        return g, g
    return pieces_gap(ring_pieces(f, _step(f)), point_pieces(p), eps)


def depth(f: Footprint, p: LatLng, eps: float = 1.0) -> float:
    """A lower bound on how deep `p` lies inside `f` (0 when outside)."""
    if not contains(f, p):
        return 0.0
    if isinstance(f, Circle):
        return max(0.0, f.radius_m - distance(f.center, p))
    lo, _ = pieces_gap(ring_pieces(f, _step(f)), point_pieces(p), eps)
    return lo


def _outline(f: Footprint) -> tuple[Array, Array]:
    """Boundary samples (lat, lng) for placing a plane and a grid."""
    if isinstance(f, Circle):
        az = np.linspace(0.0, 360.0, 64, endpoint=False)
        n = len(az)
        lng, lat, _ = GEOD.fwd(
            np.full(n, f.center.lng), np.full(n, f.center.lat), az, np.full(n, f.radius_m)
        )
        return np.asarray(lat), np.asarray(lng)
    pieces = ring_pieces(f, perimeter_m(f) / 256)
    return pieces.lat, pieces.lng


def overlap_depth(a: Footprint, b: Footprint, grid: int = 24, tries: int = 3) -> float:
    """A lower bound on the depth, inside both footprints, of the deepest point a grid finds."""
    (la, na), (lb, nb) = _outline(a), _outline(b)
    plane = Plane.at(np.concatenate([la, lb]), np.concatenate([na, nb]))
    xa, xb = plane.xy(la, na), plane.xy(lb, nb)
    lo = np.maximum(xa.min(axis=0), xb.min(axis=0))
    hi = np.minimum(xa.max(axis=0), xb.max(axis=0))
    if np.any(lo >= hi):
        return 0.0
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], grid + 2)[1:-1], np.linspace(lo[1], hi[1], grid + 2)[1:-1]
    )
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    ok = inside_ring(xa, pts) & inside_ring(xb, pts)
    pts = pts[ok]
    if len(pts) == 0:
        return 0.0
    # Rank by planar clearance from both outlines, then bound the best few exactly.
    clear = np.minimum(_clearance(xa, pts), _clearance(xb, pts))
    best = pts[np.argsort(-clear)[:tries]]
    lat, lng = plane.latlng(best)
    found = 0.0
    for p in (LatLng(float(y), float(x)) for y, x in zip(lat, lng, strict=True)):
        found = max(found, min(depth(a, p), depth(b, p)))
    return found


def _clearance(ring: Array, pts: Array) -> Array:
    d = np.linalg.norm(pts[:, None, :] - ring[None, :, :], axis=2)
    result: Array = d.min(axis=1)
    return result
