"""The bounded candidate search (`query_ranges`) and the grid hold every stored volume within
reach, judged by the brute-force oracle: any size, window (to years and open-ended), margin,
place (the antimeridian, 80°+), and range cap; the grid both through its key ranges (scan limit
0) and with its default scan limit."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import footprint_gap
from strategies import examples, far_latlngs, far_volumes, offset, radii, reach_cases

from deconflict.engine import ALL_LEVELS, Kind, Operation, VolumeIndex, key_levels, volume_key
from deconflict.engine.index import sorted_query_keys
from deconflict.engine.ranges import MAX_RANGES, bounded, merged, query_ranges
from deconflict.geometry import OPEN_END, Circle, LatLng, Volume, volumes_conflict
from deconflict.geometry.overlap import times_overlap

levels = st.lists(st.sampled_from(ALL_LEVELS), max_size=10)
caps = st.sampled_from([1, 2, 7, 64, MAX_RANGES])


def held(key: int, ranges: tuple[np.ndarray, np.ndarray]) -> bool:
    los, his = ranges
    at = int(np.searchsorted(los, key, side="right")) - 1
    return at >= 0 and key <= int(his[at])


def within_reach(stored: Volume, query: Volume, margin: float) -> bool:
    """The truth: the windows overlap and the footprints are less than `margin` apart (oracle)."""
    if not times_overlap(stored, query):
        return False
    _, hi = footprint_gap(stored.footprint, query.footprint, eps=max(1.0, margin * 1e-3))
    return hi < margin


def grids(stored: list[Volume]) -> list[VolumeIndex]:
    """The in-memory grid with the stored volumes, through its key ranges and by default."""
    out = []
    for limit in (0, VolumeIndex.SCAN_LIMIT):
        index = VolumeIndex()
        index.SCAN_LIMIT = limit
        for i, v in enumerate(stored):
            index.upsert(Operation(f"s{i}", "north", Kind.FLIGHT, (v,)))
        out.append(index)
    return out


@settings(max_examples=examples(300))
@given(case=reach_cases(), extra=levels, cap=caps, data=st.data())
def test_no_volume_within_reach_is_left_out(
    case: tuple[Volume, Volume, float], extra: list[tuple[int, int]], cap: int, data: st.DataObject
) -> None:
    stored, query, margin = case
    must = within_reach(stored, query, margin) or volumes_conflict(stored, query, margin, 0.0)
    key = volume_key(stored)
    # Other query volumes around (so ranges merge and the cap bites), at other levels too.
    more = [
        data.draw(far_volumes(data.draw(far_latlngs), data.draw(radii)))
        for _ in range(data.draw(st.integers(0, 3)))
    ]
    lv = [key_levels(key), *extra]
    ranges = query_ranges([query, *more], margin, lv, cap)
    assert len(ranges[0]) <= cap
    assert all(a < b for a, b in zip(ranges[1][:-1] + 1, ranges[0][1:], strict=True))
    if must:
        assert held(key, ranges)
        for index in grids([stored]):
            assert index.candidates(query, margin, 0.0) == [(index.get("s0"), 0)]


@settings(max_examples=examples(100))
@given(case=reach_cases(), extra=levels)
def test_ranges_hold_the_keys_of_the_unbounded_search(
    case: tuple[Volume, Volume, float], extra: list[tuple[int, int]]
) -> None:
    """Every key the unbounded search (one key per cell and bucket) asks for is in a range;
    where it asks for few enough to list, the ranges hold no other key."""
    stored, query, margin = case
    lv = [key_levels(volume_key(stored)), *extra]
    ranges = query_ranges([query], margin, lv)
    count = int((ranges[1] - ranges[0] + 1).sum())
    if count <= 100_000:  # (else the ranges are coarse: slabs or a cube)
        keys = sorted_query_keys([query], margin, lv)
        assert all(held(k, ranges) for k in keys)


def test_a_large_long_request_is_bounded() -> None:
    """The request that took the server down (100 circles of 56 km over 89 days: 3 million
    keys) and the largest the bounds allow (500 km caps, every level, open-ended): at most
    `MAX_RANGES` ranges."""
    t0 = OPEN_END.replace(year=2026)
    wide = [
        Volume(Circle(LatLng(-80 + i * 1.6, -179.5 + i * 3.6), r), 0, 1, t0, end)
        for i in range(100)
        for r, end in ((56_000.0, t0.replace(month=4)), (500_000.0, OPEN_END))
    ]
    for vs in (wide[::2], wide[1::2]):
        los, _ = query_ranges(vs, 100_000.0, ALL_LEVELS)
        assert 0 < len(los) <= MAX_RANGES


def test_merged_and_bounded_only_widen() -> None:
    los = np.array([5, 1, 30, 3, 12, 50], dtype=np.int64)
    his = np.array([8, 2, 40, 4, 12, 60], dtype=np.int64)
    m = merged(los, his)
    assert m[0].tolist() == [1, 12, 30, 50] and m[1].tolist() == [8, 12, 40, 60]
    for cap in (1, 2, 3, 4, 9):
        b = bounded(*m, cap)
        assert len(b[0]) == min(cap, 4)
        covered = {k for lo, hi in zip(*b, strict=True) for k in range(lo, hi + 1)}
        assert {k for lo, hi in zip(los, his, strict=True) for k in range(lo, hi + 1)} <= covered
    assert bounded(*m, 2)[0].tolist() == [1, 30]  # the widest gap (12..30) is kept
    assert all(len(x) == 0 for x in itertools.chain(merged(los[:0], his[:0])))


PLACES = (
    LatLng(0.0, 0.0),
    LatLng(0.0, 90.0),
    LatLng(45.0, 45.0),
    LatLng(-17.7, 179.99),
    LatLng(65.0, -179.6),
    LatLng(84.0, 20.0),
    LatLng(89.99, 0.0),
    LatLng(-89.9, 120.0),
)


def test_volumes_just_within_reach_all_around_are_held() -> None:
    """Small volumes just inside the reach of a large query, in 72 directions: the edges of
    every coarse mode (slabs, one cube, the range cap) at the finest level."""
    t0 = OPEN_END.replace(year=2026)
    t1 = t0.replace(month=9)
    for place, radius, margin, cap in itertools.product(
        PLACES, (30_000.0, 200_000.0, 500_000.0), (0.0, 50_000.0), (7, MAX_RANGES)
    ):
        query = Volume(Circle(place, radius), 0, 1, t0, t1)
        ring = [
            Volume(Circle(offset(place, az, radius + margin + 9.0), 10.0), 0, 1, t1, OPEN_END)
            for az in range(0, 360, 5)
        ]
        keys = [volume_key(v) for v in ring]
        ranges = query_ranges([query], margin, {key_levels(k) for k in keys}, cap)
        assert all(held(k, ranges) for k in keys), (place, radius, margin, cap)
