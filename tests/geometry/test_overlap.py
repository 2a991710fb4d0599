"""Overlap and region against the catalogue and against the brute-force oracle (no false negatives).

Tolerance, as DESIGN.md states it: 0.5 % or 10 m, whichever is larger, of the separation.
"""

from __future__ import annotations

from datetime import timedelta

import oracle
import pytest
from catalogue import CASES, Case
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import EPOCH, examples, footprint_pairs, separations, volume_pairs

from deconflict.geometry import (
    Footprint,
    LatLng,
    Volume,
    footprints_conflict,
    region,
    volumes_conflict,
)


def tolerance(sep_m: float) -> float:
    return max(0.005 * sep_m, 10.0)


def times_overlap(a: Volume, b: Volume) -> bool:
    return max(a.time_start, b.time_start) < min(a.time_end, b.time_end)


def bands_conflict(a: Volume, b: Volume, v_sep_m: float) -> bool:
    """Independent statement of the altitude rule: a gap below v_sep, or shared height at 0."""
    lo, hi = max(a.alt_lower_m, b.alt_lower_m), min(a.alt_upper_m, b.alt_upper_m)
    if v_sep_m > 0:
        return lo - hi < v_sep_m
    flat = a.alt_lower_m == a.alt_upper_m or b.alt_lower_m == b.alt_upper_m
    return lo < hi or (lo == hi and flat)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_catalogue(case: Case) -> None:
    got = volumes_conflict(case.a, case.b, case.h_sep_m, case.v_sep_m)
    assert got is case.conflict
    assert volumes_conflict(case.b, case.a, case.h_sep_m, case.v_sep_m) is case.conflict


@pytest.mark.parametrize("case", [c for c in CASES if c.gap_m is not None], ids=lambda c: c.name)
def test_catalogue_gaps_are_what_the_oracle_measures(case: Case) -> None:
    # Guards the catalogue itself: its constructions mean what their names say.
    assert case.gap_m is not None
    lo, hi = oracle.footprint_gap(case.a.footprint, case.b.footprint, eps=0.1)
    tol = max(0.001 * case.gap_m, 0.5)
    assert lo - tol <= case.gap_m <= hi + tol


@pytest.mark.parametrize("case", [c for c in CASES if c.conflict], ids=lambda c: c.name)
def test_catalogue_regions_are_non_empty_and_within_both(case: Case) -> None:
    r = region(case.a, case.b, case.h_sep_m)
    assert r.rings
    assert_within_both(r.rings, case.a, case.b, case.h_sep_m)


def assert_within_both(
    rings: tuple[tuple[LatLng, ...], ...], a: Volume, b: Volume, sep: float
) -> None:
    reach = sep / 2 + tolerance(sep)
    points = [p for ring in rings for p in ring]
    step = max(1, len(points) // 40)  # a sample keeps the oracle quick on 2,000-vertex regions
    for p in points[::step]:
        for f in (a.footprint, b.footprint):
            lo, _ = oracle.point_gap(f, p, eps=reach / 4)
            assert lo <= reach, (p, f)


def _judge(a: Volume, b: Volume, h_sep: float, v_sep: float) -> None:
    got = volumes_conflict(a, b, h_sep, v_sep)
    assert got is volumes_conflict(b, a, h_sep, v_sep)  # (c) symmetry
    when = times_overlap(a, b) and bands_conflict(a, b, v_sep)
    event(f"sep {'> 0' if h_sep > 0 else '0'}, {'in conflict' if got else 'apart'}")
    if not when:
        event("apart in time or altitude")
        assert got is False
        return
    tol = tolerance(h_sep)
    lo, hi = oracle.footprint_gap(a.footprint, b.footprint, eps=tol / 2)
    if h_sep > 0:
        event("decided" if hi < h_sep - tol or lo > h_sep + tol else "within tolerance")
        if hi < h_sep - tol:
            assert got, f"false negative: footprints {hi:.1f} m apart, separation {h_sep:.1f} m"
        if got:
            assert lo < h_sep + tol, f"false positive: footprints >= {lo:.1f} m apart"
    else:
        if not got and hi == 0.0:
            deep = oracle.overlap_depth(a.footprint, b.footprint)
            event("overlap missed" if deep > tol else "shallow overlap")
            assert deep <= tol, f"false negative: overlap {deep:.1f} m deep"
        if got:
            assert lo < tol, f"false positive: footprints >= {lo:.1f} m apart"
    if got:  # (d) the region is non-empty and lies within both footprints
        r = region(a, b, h_sep)
        assert r.rings
        assert_within_both(r.rings, a, b, h_sep)
        assert r.time_start < r.time_end
        # The shared band, or with a vertical separation the gap between the two bands.
        lo, hi = max(a.alt_lower_m, b.alt_lower_m), min(a.alt_upper_m, b.alt_upper_m)
        assert (r.alt_lower_m, r.alt_upper_m) == (min(lo, hi), max(lo, hi))
        assert (r.time_start, r.time_end) == (
            max(a.time_start, b.time_start),
            min(a.time_end, b.time_end),
        )


@settings(max_examples=examples(120))
@given(volume_pairs(), separations, st.one_of(st.just(0.0), st.floats(1.0, 600.0)))
def test_volumes_conflict_agrees_with_the_oracle(
    pair: tuple[Volume, Volume], h_sep: float, v_sep: float
) -> None:
    _judge(*pair, h_sep, v_sep)


@settings(max_examples=examples(150))
@given(footprint_pairs(), separations)
def test_footprints_conflict_agrees_with_the_oracle(
    pair: tuple[Footprint, Footprint], h_sep: float
) -> None:
    a, b = pair
    t1 = EPOCH + timedelta(hours=1)
    _judge(Volume(a, 0, 1, EPOCH, t1), Volume(b, 0, 1, EPOCH, t1), h_sep, 0.0)


@settings(max_examples=examples(100))
@given(footprint_pairs(), separations)
def test_footprints_conflict_is_symmetric_and_monotone(
    pair: tuple[Footprint, Footprint], h_sep: float
) -> None:
    a, b = pair
    got = footprints_conflict(a, b, h_sep)
    assert got is footprints_conflict(b, a, h_sep)
    if got:  # a larger separation never removes a conflict
        assert footprints_conflict(a, b, h_sep * 2 + 1)
