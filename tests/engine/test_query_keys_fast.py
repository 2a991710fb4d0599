"""The write path's key enumeration, `sorted_query_keys`, and the fast cell walks behind it give
exactly the keys of before.

`sorted_query_keys` must equal the union of `query_keys` of each volume, sorted (the
expression it replaces). The plain-Python walk of the cells near a centre must
give the cells, rows and order of the ragged-runs walk (`_shell_cells_runs`, the original).
A digest of the keys of seeded volumes, computed before the fast paths existed, pins the whole
chain: which keys a volume is queried at must not change, since the index's no-false-negative
guarantee rests on them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import CITIES, EPOCH, examples, footprints, offset, random_volume, volumes

from deconflict.engine import index
from deconflict.engine.index import (
    TIME_LEVELS_S,
    TIME_ORIGIN,
    many_key_ranges,
    query_keys,
    sorted_query_keys,
)
from deconflict.geometry import Circle, LatLng, Polygon, Volume, geodesy
from deconflict.geometry.geodesy import ecef_unit

Levels = Iterable[tuple[int, int]]
TYPICAL = [(0, 0), (1, 0), (1, 3), (2, 1)]


def reference(vs: Sequence[Volume], margin_m: float, levels: Levels) -> list[int]:
    """The expression `sorted_query_keys` replaces, volume by volume."""
    return sorted({k for v in vs for k in query_keys(v, margin_m, list(levels))})


def cold(vs: Sequence[Volume], margin_m: float, levels: Levels) -> list[int]:
    """`sorted_query_keys` with empty geometry caches: polygons' caps are computed together,
    where the reference computes them one at a time."""
    geodesy.clear_caches()
    got = sorted_query_keys(vs, margin_m, levels)
    geodesy.clear_caches()
    return got


def check(vs: Sequence[Volume], margin_m: float, levels: Levels) -> list[int]:
    levels = list(levels)
    got = cold(vs, margin_m, levels)
    assert got == reference(vs, margin_m, levels)
    assert all(type(k) is int for k in got)
    return got


level_sets = st.sets(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=8)
margins = st.one_of(st.just(0.0), st.floats(0.0, 20_000.0))


@settings(max_examples=examples(60))
@given(
    st.lists(volumes(footprints(max_radius_m=20_000.0)), min_size=1, max_size=5),
    margins,
    level_sets,
)
def test_sorted_query_keys_is_the_union_of_query_keys(
    vs: list[Volume], margin: float, levels: set[tuple[int, int]]
) -> None:
    check(vs, margin, levels)


def _flight(rng: random.Random) -> list[Volume]:
    """1-3 consecutive legs like the API load benchmark's: the write path's usual look-up."""
    centre = LatLng(rng.uniform(49.0, 52.0), rng.uniform(6.0, 12.0))
    t = EPOCH + timedelta(seconds=rng.uniform(0, 6 * 86_400))
    legs = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        end = t + timedelta(seconds=rng.uniform(900, 3_600))
        f = Circle(centre, rng.uniform(300, 2_000))
        legs.append(Volume(f, 0.0, 300.0, t, end))
        t, centre = end, offset(centre, rng.uniform(0, 360), rng.uniform(0, 5_000))
    return legs


@settings(max_examples=examples(60))
@given(st.integers(0, 2**32 - 1), st.sampled_from([0.0, 1_000.0, 9_260.0]))
def test_sorted_query_keys_of_flights(seed: int, margin: float) -> None:
    check(_flight(random.Random(seed)), margin, TYPICAL)


def _around(centre: LatLng, radius_m: float, t0: datetime, t1: datetime) -> list[Volume]:
    """A circle and a quadrilateral polygon around `centre`."""
    square = Polygon(tuple(offset(centre, az, radius_m) for az in (10.0, 100.0, 190.0, 280.0)))
    return [Volume(Circle(centre, radius_m), 0.0, 500.0, t0, t1), Volume(square, 0, 500, t0, t1)]


POLES_AND_SEAM = [
    LatLng(90.0, 0.0),
    LatLng(-90.0, 0.0),
    LatLng(89.999, 179.9),
    LatLng(-89.95, -45.0),
    LatLng(0.0, 180.0),
    LatLng(0.0, -180.0),
    LatLng(-17.7, -179.999),
    LatLng(65.0, 179.99),
    LatLng(52.0, -180.0),
]


@pytest.mark.parametrize("centre", POLES_AND_SEAM, ids=str)
@pytest.mark.parametrize("radius_m", [1_500.0, 40_000.0])
@pytest.mark.parametrize("margin", [0.0, 9_260.0])
def test_poles_and_antimeridian(centre: LatLng, radius_m: float, margin: float) -> None:
    t0 = EPOCH + timedelta(hours=5)
    vs = _around(centre, radius_m, t0, t0 + timedelta(minutes=50))
    # Legs on both sides of the seam or the pole, so the volumes' keys overlap.
    later = t0 + timedelta(minutes=30)
    vs.append(
        Volume(
            Circle(offset(centre, 75.0, 3_000.0), 800.0),
            0.0,
            500.0,
            later,
            later + 2 * (later - t0),
        )
    )
    assert check(vs, margin, TYPICAL)


@pytest.mark.parametrize("days", [2, 10, 45])
def test_multi_day_windows(days: int) -> None:
    t0 = EPOCH + timedelta(hours=7, minutes=13)
    vs = _around(LatLng(36.2, 37.15), 2_000.0, t0, t0 + timedelta(days=days))
    vs += _around(LatLng(36.25, 37.1), 600.0, t0 + timedelta(days=1), t0 + timedelta(days=3))
    assert check(vs, 1_000.0, [(0, 0), (0, 3), (1, 2), (2, 4), (3, 5)])


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


# Time buckets are masked to 20 bits: before 2000 they go negative, and hour buckets wrap after
# 2^20 hours (2119). Either way a window's buckets split into two ranges.
WRAP = TIME_ORIGIN + (1 << 20) * TIME_LEVELS_S[0]


@pytest.mark.parametrize(
    "t0, t1",
    [(TIME_ORIGIN - 5_400, TIME_ORIGIN + 3_000), (WRAP - 4_000, WRAP + 9_000)],
    ids=["before-2000", "bucket-wrap"],
)
def test_time_buckets_that_wrap(t0: float, t1: float) -> None:
    vs = _around(LatLng(50.0, 8.0), 1_200.0, _at(t0), _at(t1))
    vs.append(Volume(Circle(LatLng(10.0, 8.0), 500.0), 0.0, 10.0, _at(t0 + 600), _at(t1)))
    assert check(vs, 0.0, [(0, 0), (1, 0), (1, 1), (2, 2)])


def test_levels_are_read_once_and_empty_inputs() -> None:
    vs = _flight(random.Random(1)) + _flight(random.Random(2))
    assert sorted_query_keys(vs, 0.0, iter(TYPICAL)) == reference(vs, 0.0, TYPICAL)
    assert sorted_query_keys(vs, 0.0, []) == [] == reference(vs, 0.0, [])
    assert sorted_query_keys([], 0.0, TYPICAL) == []


def test_near_ties_fall_back_to_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cell as far as the reach (within _TIE) is left to einsum: with a huge _TIE, the
    plain-Python walk gives up on every look-up, and the answer must not change."""
    rng = random.Random(3)
    cases = [(_flight(rng), m) for m in (0.0, 9_260.0) for _ in range(10)]
    want = [sorted_query_keys(vs, m, TYPICAL) for vs, m in cases]
    monkeypatch.setattr(index, "_TIE", 0.5)
    lat, lng = np.array([50.0]), np.array([8.0])
    assert (
        index._shell_cells_scalar(ecef_unit(lat, lng) * index.EARTH_M, np.array([5e3]), [0], 10**6)
        is None
    )
    assert [sorted_query_keys(vs, m, TYPICAL) for vs, m in cases] == want
    assert want == [reference(vs, m, TYPICAL) for vs, m in cases]


lats = st.one_of(st.floats(-90.0, 90.0), st.sampled_from([-90.0, -89.999, 0.0, 45.0, 90.0]))
lngs = st.one_of(st.floats(-180.0, 180.0), st.sampled_from([-180.0, -135.0, 0.0, 90.0, 180.0]))
# Log-uniform reaches, 1 m to 700 km, and 0.
reaches = st.one_of(st.just(0.0), st.floats(0.0, 5.85).map(lambda e: 10.0**e))


@settings(max_examples=examples(150))
@given(
    st.lists(st.tuples(lats, lngs, reaches), min_size=1, max_size=5),
    st.sets(st.integers(0, 5), min_size=1),
)
def test_fast_cell_walks_equal_the_runs(
    centres: list[tuple[float, float, float]], spaces: set[int]
) -> None:
    lat, lng, reach = (np.array(c) for c in zip(*centres, strict=True))
    xyz = ecef_unit(lat, lng) * index.EARTH_M
    levels = np.array(sorted(spaces), dtype=np.int64)
    cells, rows = index._shell_cells_runs(xyz, reach, levels)
    assert len(cells) > 0  # every centre is on the sphere: its own cell is within reach
    scalar = index._shell_cells_scalar(xyz, reach, sorted(spaces), 4_000)
    if scalar is not None:  # each row's cells, as key bits
        assert [len(r) for r in scalar] == np.bincount(rows, minlength=len(scalar)).tolist()
        bits = index._cell_bits(cells + (1 << (index.CELL_BITS - 1))) << index.TIME_BITS
        assert [c for r in scalar for c in r] == bits.tolist()
    for limit in (0, index.SCALAR_COLUMNS, 4_000):
        got = index._shell_cells(xyz, reach, levels, limit)
        assert np.array_equal(got[0], cells) and np.array_equal(got[1], rows)


def _seeded_groups() -> list[list[Volume]]:
    rng = random.Random(2026)
    return [
        [random_volume(rng, city, 30_000.0, 3.0) for _ in range(1 + i % 3)]
        for i, city in enumerate(CITIES * 3)
    ]


# Computed with the key enumeration as it was before `sorted_query_keys` and the fast walks.
PINNED_KEYS = 75_152
PINNED_DIGEST = "b6da1f7ad58a152fb55232c8743319298a66ba24c8787a55fb354e55e7faa23d"


def test_the_keys_of_seeded_volumes_are_pinned() -> None:
    levels = [(0, 0), (0, 1), (1, 0), (1, 3), (2, 1), (3, 3), (4, 4)]
    digest, count = hashlib.sha256(), 0
    groups = _seeded_groups()
    for margin in (0.0, 9_260.0):
        for vs in groups:
            keys = sorted_query_keys(vs, margin, levels)
            count += len(keys)
            digest.update(",".join(map(str, keys)).encode() + b";")
            # many_key_ranges (the index's look-up) holds the same keys, in no particular order.
            lo, hi, _ = many_key_ranges(vs, margin, levels)
            ranges = zip(lo.tolist(), hi.tolist(), strict=True)
            assert {k for a, b in ranges for k in range(a, b + 1)} == set(keys)
    assert (count, digest.hexdigest()) == (PINNED_KEYS, PINNED_DIGEST)
