"""Write-turn regions (`engine.regions`): every point a write's candidate search can reach lies
in one of its regions, so two writes that could conflict always share one — across the
antimeridian and at the poles too; writes far apart share none."""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import EPOCH, examples, footprints, offset, separations, volume_pairs, volumes

from deconflict.engine import Kind, Operation, Rules, Separation, conflicts_between
from deconflict.engine.regions import MAX_REGIONS, region_of, regions
from deconflict.geometry import Circle, LatLng, Volume
from deconflict.geometry.geodesy import cap

near_poles = st.builds(
    LatLng, st.floats(80.0, 90.0) | st.floats(-90.0, -80.0), st.floats(-180, 180)
)


def _volume(center: LatLng, radius_m: float) -> Volume:
    return Volume(Circle(center, radius_m), 0.0, 100.0, EPOCH, EPOCH + timedelta(hours=1))


@settings(max_examples=examples(100))
@given(
    st.one_of(volumes(), volumes(footprints(max_radius_m=60_000.0))),
    separations,
    st.lists(st.tuples(st.floats(0, 360), st.floats(0, 1)), min_size=1, max_size=8),
)
def test_every_point_within_reach_lies_in_a_region(
    v: Volume, margin: float, probes: list[tuple[float, float]]
) -> None:
    covered = regions([v], margin)
    if covered is None:  # too wide: the write takes the world's turn, which meets every other
        return
    center, radius = cap(v.footprint)
    for azimuth, share in probes:
        p = offset(center, azimuth, share * (radius + margin))
        assert region_of(p.lat, p.lng) in covered


@settings(max_examples=examples(100))
@given(near_poles, st.floats(1.0, 60_000.0), st.floats(0, 360), st.floats(0, 1))
def test_near_the_poles(center: LatLng, radius: float, azimuth: float, share: float) -> None:
    covered = regions([_volume(center, radius)], 0.0)
    assert covered is not None
    p = offset(center, azimuth, share * radius)
    assert region_of(p.lat, p.lng) in covered


@settings(max_examples=examples(100))
@given(volume_pairs(), separations)
def test_two_volumes_that_conflict_share_a_region(pair: tuple[Volume, Volume], sep: float) -> None:
    a, b = pair
    rules = Rules({frozenset({Kind.FLIGHT}): Separation(sep, math.inf)})
    ops = [Operation(n, n, Kind.FLIGHT, (v,)) for n, v in (("a", a), ("b", b))]
    if conflicts_between(ops[0], ops[1], rules) is None:
        return
    ra, rb = regions([a], sep), regions([b], sep)
    assert ra is None or rb is None or ra & rb


def test_a_footprint_across_the_antimeridian_takes_regions_on_both_sides() -> None:
    covered = regions([_volume(LatLng(0.0, 179.9), 50_000.0)], 0.0)
    assert covered is not None
    assert {region_of(0.0, 179.9), region_of(0.0, -179.9)} <= covered
    assert region_of(0.0, 179.9) != region_of(0.0, -179.9)


def test_a_footprint_on_the_pole_takes_every_side_of_it() -> None:
    covered = regions([_volume(LatLng(90.0, 0.0), 30_000.0)], 0.0)
    assert covered is not None
    assert {region_of(89.8, lng) for lng in range(-180, 180, 15)} <= covered


def test_far_apart_writes_share_no_region() -> None:
    aleppo = regions([_volume(LatLng(36.2, 37.1), 50_000.0)], 0.0)
    paris = regions([_volume(LatLng(48.85, 2.35), 50_000.0)], 0.0)
    assert aleppo is not None and paris is not None and not aleppo & paris


def test_many_spread_volumes_take_the_worlds_turn() -> None:
    spread = [_volume(LatLng(-60.0 + 2.5 * i, 5.0 * i), 10_000.0) for i in range(MAX_REGIONS + 1)]
    assert regions(spread, 0.0) is None
