"""Is a 4D point inside a volume? Checked against `pyproj.Geod`: points laid out at known
geodesic distances inside and outside circles and polygon edges, anywhere from 85° S to 85° N,
often straddling the antimeridian."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import EPOCH, GEOD, examples, latlngs, offset, radii, wrap

from deconflict.geometry import Circle, LatLng, Polygon, Volume, contains, contains_points

T0, T1 = EPOCH, EPOCH + timedelta(hours=1)
MID = (EPOCH + timedelta(minutes=30)).timestamp()


def volume(f: Circle | Polygon) -> Volume:
    return Volume(f, 100.0, 500.0, T0, T1)


@settings(max_examples=examples(100))
@given(latlngs, radii, st.floats(0.0, 360.0), st.floats(1e-3, 0.9), st.booleans())
def test_circle_by_geodesic_distance(
    center: LatLng, r: float, azimuth: float, fraction: float, inside: bool
) -> None:
    # At least 1 mm (and 1e-9 r) off the rim: the test is exact up to Geod's round trip.
    margin = max(fraction * r, 1e-3 + 1e-9 * r) if inside else max(fraction * r, 1e-3)
    d = r - margin if inside else r + margin
    p = offset(center, azimuth, max(d, 0.0))
    assert contains(volume(Circle(center, r)), p.lat, p.lng, 300.0, MID) is inside


@st.composite
def regular_polygons(draw: st.DrawFn) -> tuple[LatLng, Polygon]:
    """A convex polygon of 3..12 vertices on a geodesic circle of 5..500 km around a centre."""
    center = draw(latlngs)
    r = 10.0 ** draw(st.floats(np.log10(5_000.0), np.log10(500_000.0)))
    n, start = draw(st.integers(3, 12)), draw(st.floats(0.0, 360.0))
    azimuths = (start + 360.0 * np.arange(n) / n) % 360.0
    return center, Polygon(tuple(offset(center, float(az), r) for az in azimuths))


def along_edge(poly: Polygon, k: int, u: float) -> tuple[LatLng, float]:
    """The point a fraction `u` along edge k (a geodesic) and the edge's azimuth there."""
    a, b = poly.vertices[k], poly.vertices[(k + 1) % len(poly.vertices)]
    az, _, length = GEOD.inv(a.lng, a.lat, b.lng, b.lat)
    lng, lat, back = GEOD.fwd(a.lng, a.lat, az, u * length)
    return LatLng(float(lat), wrap(float(lng))), (float(back) + 180.0) % 360.0


@settings(max_examples=examples(100))
@given(
    regular_polygons(), st.integers(0, 11), st.floats(0.1, 0.9), st.floats(2.0, 20.0), st.booleans()
)
def test_polygon_edges_by_geodesic_offset(
    shape: tuple[LatLng, Polygon], k: int, u: float, d: float, inside: bool
) -> None:
    """2..20 m off a geodesic edge, inward or outward: densified edges stay within 1 m."""
    center, poly = shape
    p, heading = along_edge(poly, k % len(poly.vertices), u)
    # Of the two normals, inward is the one that brings the point nearer the centre.
    sides = [offset(p, heading + turn, 1000.0) for turn in (90.0, -90.0)]
    dist = [GEOD.inv(center.lng, center.lat, s.lng, s.lat)[2] for s in sides]
    inward = heading + (90.0 if dist[0] < dist[1] else -90.0)
    q = offset(p, inward if inside else inward + 180.0, d)
    assert contains(volume(poly), q.lat, q.lng, 300.0, MID) is inside
    assert contains(volume(poly), center.lat, center.lng, 300.0, MID)


def test_altitude_band_is_closed_and_time_window_half_open() -> None:
    v = volume(Circle(LatLng(36.2, 37.1), 1000.0))
    t0, t1 = T0.timestamp(), T1.timestamp()
    alts = [99.9, 100.0, 500.0, 500.1, 300.0, 300.0, 300.0]
    times = [MID, MID, MID, MID, t0, t1, t0 - 1e-3]
    got = contains_points(v, np.full(7, 36.2), np.full(7, 37.1), alts, times)
    assert got.tolist() == [False, True, True, False, True, False, False]


def test_a_polygon_across_the_antimeridian() -> None:
    square = Polygon(
        (LatLng(-1.0, 179.5), LatLng(-1.0, -179.5), LatLng(1.0, -179.5), LatLng(1.0, 179.5))
    )
    lat = np.array([0.0, 0.0, 0.0, 0.0, 1.5])
    lng = np.array([180.0, -179.9, 179.9, 179.0, 180.0])
    got = contains_points(volume(square), lat, lng, np.full(5, 300.0), np.full(5, MID))
    assert got.tolist() == [True, True, True, False, False]
