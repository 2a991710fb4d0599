"""Distances and areas agree with `pyproj.Geod` to 0.5 % or 10 m, whichever is larger.

Footprints up to 1,000 km across, 85° S to 85° N, across the antimeridian. The truth is built
with Geod alone: rings densified by our own `oracle.ring_pieces`, gaps laid out with Geod.fwd.
"""

from __future__ import annotations

import math

import numpy as np
import oracle
from catalogue import apex_pair
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import GEOD, examples, footprints, latlngs, offset

from deconflict.geometry import (
    Circle,
    Footprint,
    LatLng,
    Polygon,
    footprint_area_m2,
    footprints_conflict,
)


def tolerance(m: float) -> float:
    return max(0.005 * m, 10.0)


def geod_area(f: Footprint) -> float:
    if isinstance(f, Circle):
        n = 4096
        az = np.linspace(0.0, 360.0, n, endpoint=False)
        lng, lat, _ = GEOD.fwd(
            np.full(n, f.center.lng), np.full(n, f.center.lat), az, np.full(n, f.radius_m)
        )
        area, _ = GEOD.polygon_area_perimeter(lng, lat)
    else:
        pieces = oracle.ring_pieces(f, min(1_000.0, oracle.perimeter_m(f) / 100))
        area, _ = GEOD.polygon_area_perimeter(pieces.lng, pieces.lat)
    return abs(float(area))


@settings(max_examples=examples(150))
@given(footprints())
def test_area_agrees_with_geod(f: Footprint) -> None:
    truth = geod_area(f)
    # 0.5 %, or what 10 m of the boundary's width adds, whichever is larger (tiny footprints).
    assert math.isclose(footprint_area_m2(f), truth, rel_tol=0.005, abs_tol=1e-6)


gaps = st.floats(0.0, 6.0).map(lambda e: 10.0**e)  # 1 m to 1,000 km
sizes = st.floats(0.0, math.log10(400_000.0)).map(lambda e: 10.0**e)
anywhere = st.one_of(
    latlngs,
    st.builds(LatLng, st.floats(75.0, 85.0) | st.floats(-85.0, -75.0), st.floats(-180.0, 180.0)),
    st.builds(LatLng, st.floats(-85.0, 85.0), st.floats(179.0, 180.0) | st.floats(-180.0, -179.0)),
)


def _at_gap(
    kind: str, at: LatLng, azimuth: float, gap: float, size: float
) -> tuple[Footprint, Footprint]:
    """Two footprints whose geodesic gap is exactly `gap` (closest points on one geodesic)."""
    pa, pb = apex_pair(at, azimuth, gap, size)
    if kind == "polygons":
        return pa, pb
    # A circle through `at`, centred behind it on the same geodesic, has the same gap to pb.
    ca = Circle(offset(at, azimuth + 180.0, size), size)
    if kind == "circle-polygon":
        return ca, pb
    lng, lat, baz = GEOD.fwd(at.lng, at.lat, azimuth, gap)
    cb = Circle(offset(LatLng(float(lat), float(lng)), float(baz) + 180.0, size), size)
    return ca, cb


@settings(max_examples=examples(150))
@given(
    st.sampled_from(["polygons", "circle-polygon", "circles"]),
    anywhere,
    st.floats(0, 360),
    gaps,
    sizes,
)
def test_separation_distance_agrees_with_geod(
    kind: str, at: LatLng, az: float, gap: float, size: float
) -> None:
    a, b = _at_gap(kind, at, az, gap, size)
    tol = tolerance(gap)
    assert footprints_conflict(a, b, gap + tol)
    assert footprints_conflict(b, a, gap + tol)
    if gap - tol > 0:
        assert not footprints_conflict(a, b, gap - tol)
        assert not footprints_conflict(b, a, gap - tol)


@settings(max_examples=examples(60))
@given(anywhere, st.floats(0, 360), st.floats(100_000.0, 1_000_000.0))
def test_huge_footprints_far_apart(at: LatLng, az: float, gap: float) -> None:
    # 1,000 km across (kites of 520 km by 640 km and circles of 500 km), up to 1,000 km apart.
    for kind in ("polygons", "circle-polygon"):
        a, b = _at_gap(kind, at, az, gap, 400_000.0 if kind == "polygons" else 500_000.0)
        tol = tolerance(gap)
        assert footprints_conflict(a, b, gap + tol), kind
        assert not footprints_conflict(a, b, gap - tol), kind


def test_apex_gap_is_the_geodesic_gap() -> None:
    # The construction the tests above rely on, checked by the oracle at its hardest place.
    a, b = apex_pair(LatLng(84.0, 179.5), 10.0, 700_000.0, 400_000.0)
    lo, hi = oracle.footprint_gap(a, b, eps=0.5)
    assert lo - 1 <= 700_000.0 <= hi + 1
    assert isinstance(a, Polygon)
