"""Private matching against the plain engine on the same volumes (Hypothesis): no conflict is
ever missed, extra candidates stand within a cell of each other, and the exact regions the
clients compute from clipped volumes are the engine's regions.

The blinded intersection equals the intersection of the two covers' keys (see test_psi), so
these properties run on the keys, without the scalar multiplications.
"""

from __future__ import annotations

import math
from typing import Any

import h3
import pytest
import shapely
from hypothesis import given, settings
from strategies import examples, private_cases

from deconflict.engine import Conflict, Kind, Operation, Rules, conflicts_between
from deconflict.geometry import Region, Volume, footprints_conflict
from deconflict.geometry.geodesy import project_from
from deconflict.private.cover import CoverSettings, Level, plan_cover
from deconflict.private.refine import (
    clipped_plan,
    plan_from_json,
    plan_to_json,
    private_conflicts,
    shared_by_volume,
)


def private_match(
    a: Volume, b: Volume, ka: Kind, kb: Kind, rules: Rules, cells: CoverSettings
) -> tuple[set[str], Conflict | None]:
    """The shared cells of the two one-volume plans, and the conflict both clients compute."""
    low, high = [Operation("a", "low", ka, (a,))], [Operation("b", "high", kb, (b,))]
    cover_low = plan_cover(low, True, rules, cells)
    cover_high = plan_cover(high, False, rules, cells)
    shared = set(cover_low) & set(cover_high)
    sent_low = clipped_plan(low, shared_by_volume(shared, cover_low), cells)
    sent_high = clipped_plan(high, shared_by_volume(shared, cover_high), cells)
    found = private_conflicts(
        plan_from_json(plan_to_json(sent_low), "low"),
        plan_from_json(plan_to_json(sent_high), "high"),
        rules,
    )
    return shared, (found[0] if found else None)


def _union(regions: tuple[Region, ...], centre: Any) -> Any:
    polys = [
        shapely.Polygon(project_from(centre, [p.lat for p in r], [p.lng for p in r]))
        for reg in regions
        for r in reg.rings
    ]
    return shapely.union_all([shapely.make_valid(p) for p in polys])


def same_regions(x: tuple[Region, ...], y: tuple[Region, ...]) -> bool:
    """The same altitudes and times exactly, and footprints equal to float and densification
    noise (symmetric difference under 0.1 % of the area, or 1 m²)."""
    spans = {(r.alt_lower_m, r.alt_upper_m, r.time_start, r.time_end) for r in x}
    if spans != {(r.alt_lower_m, r.alt_upper_m, r.time_start, r.time_end) for r in y}:
        return False
    rings = [r for reg in x for r in reg.rings]
    if not rings:
        return not any(reg.rings for reg in y)
    centre = rings[0][0]
    ux, uy = _union(x, centre), _union(y, centre)
    return bool(shapely.symmetric_difference(ux, uy).area <= max(1.0, 1e-3 * ux.area))


@settings(max_examples=examples(40))
@given(private_cases())
def test_private_matching_finds_every_conflict_and_the_same_regions(case: Any) -> None:
    a, b, ka, kb, rules, cells = case
    plain = conflicts_between(
        Operation("a", "low", ka, (a,)), Operation("b", "high", kb, (b,)), rules
    )
    shared, found = private_match(a, b, ka, kb, rules, cells)
    if plain is not None:
        assert shared, "a conflict the plain engine finds must share a cell"
        assert found is not None, "and must be found after refinement"
        assert same_regions(found.regions, plain.regions)
    else:
        assert found is None
    if shared:  # extra candidates only within the cell size
        sep = rules.separation(ka, kb)
        assert sep is not None
        coarse = any(k.startswith(("Z", "PL", "PH")) for k in shared) and not any(
            k.startswith("F") for k in shared
        )
        level = cells.coarse if coarse else cells.fine
        reach = 2.5 * h3.average_hexagon_edge_length(level.resolution, unit="m") * 2
        assert footprints_conflict(a.footprint, b.footprint, sep.horizontal_m + reach)
        assert max(a.t0, b.t0) - min(a.t1, b.t1) < level.bucket_s
        gap = max(a.alt_lower_m, b.alt_lower_m) - min(a.alt_upper_m, b.alt_upper_m)
        assert gap < level.band_m + sep.vertical_m + 1e-6
        assert math.isfinite(gap)


def _vol(f: Any, alt: tuple[float, float], hours: tuple[float, float]) -> Volume:
    from datetime import timedelta

    from private_samples import T0

    return Volume(f, alt[0], alt[1], T0 + timedelta(hours=hours[0]), T0 + timedelta(hours=hours[1]))


def _cases() -> list[tuple[str, Volume, Volume, Kind, Kind, Rules, CoverSettings]]:
    from private_samples import POLE, square
    from strategies import offset

    from deconflict.engine import Separation
    from deconflict.geometry import Circle, LatLng

    near = LatLng(36.2, 37.1)
    wide = Rules({frozenset((Kind.FLIGHT,)): Separation(3_000.0, 300.0)})
    cells = CoverSettings()
    thin = CoverSettings(Level(8, 1_800.0, 100.0))
    tiny = CoverSettings(max_cells=2_000)  # forces the coarse level on the larger volume
    flight, hazard, presence = Kind.FLIGHT, Kind.HAZARD, Kind.PRESENCE
    return [
        ("2.8 km apart, 3 km separation", _vol(Circle(near, 200.0), (1000, 1200), (0, 1)),
         _vol(Circle(offset(near, 90, 3_200.0), 200.0), (1000, 1200), (0, 1)),
         flight, flight, wide, cells),
        ("250 m of altitude apart, 300 m separation", _vol(Circle(near, 500.0), (0, 1000), (0, 1)),
         _vol(Circle(near, 500.0), (1250, 2000), (0, 1)), flight, flight, wide, thin),
        ("across the antimeridian", _vol(square(LatLng(-17.7, 179.99), 2_000.0), (0, 500), (0, 2)),
         _vol(Circle(LatLng(-17.71, -179.99), 900.0), (0, 0), (1, 9)), hazard, presence,
         Rules(), cells),
        ("80°+ across ±180°", _vol(Circle(POLE, 3_000.0), (0, 2_000), (0, 4)),
         _vol(Circle(offset(POLE, 270, 3_500.0), 1_000.0), (0, 50), (1, 6)), hazard, presence,
         Rules(), cells),
        ("a ground camp on a hazard's floor", _vol(Circle(near, 1_000.0), (0, 3_000), (0, 2)),
         _vol(Circle(offset(near, 0, 900.0), 300.0), (0, 0), (1, 30)), hazard, presence,
         Rules(), cells),
        ("a coarse volume against a fine one", _vol(Circle(near, 15_000.0), (0, 9_000), (0, 12)),
         _vol(Circle(offset(near, 45, 14_000.0), 1_500.0), (500, 900), (3, 4)), flight, hazard,
         Rules(), tiny),
    ]  # fmt: skip


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_private_matching_at_the_edges(case: Any) -> None:
    _, a, b, ka, kb, rules, cells = case
    for low, high, kl, kh in ((a, b, ka, kb), (b, a, kb, ka)):  # either party the lower id
        plain = conflicts_between(
            Operation("a", "low", kl, (low,)), Operation("b", "high", kh, (high,)), rules
        )
        assert plain is not None, "each edge case is a conflict"
        _, found = private_match(low, high, kl, kh, rules, cells)
        assert found is not None
        assert same_regions(found.regions, plain.regions)
