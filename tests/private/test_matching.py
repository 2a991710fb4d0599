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
import shapely
from hypothesis import given, settings
from strategies import examples, private_cases

from deconflict.engine import Conflict, Kind, Operation, Rules, conflicts_between
from deconflict.geometry import Region, Volume, footprints_conflict
from deconflict.geometry.geodesy import project_from
from deconflict.private.cover import CoverSettings, plan_cover
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
