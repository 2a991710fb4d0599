"""Refinement: a party's volumes clipped to the cells it shares with the other party, and the
exact conflicts both clients compute from the two clipped plans with the engine.

Clipping keeps the exact region: where two volumes conflict lies in shared cells, and each
volume's part within (shared cells + its growth) holds all of its points that matter, so the
engine finds the same region from the clipped volumes as from the whole ones. A clipped
footprint is cut into simple polygons (no holes: the volume model has none).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import h3
import numpy as np
import shapely
from attrs import evolve, frozen
from shapely.geometry.base import BaseGeometry

from deconflict.engine import Conflict, Kind, Operation, Rules, VolumeIndex, detect_many
from deconflict.errors import DomainError, InvalidVolume
from deconflict.geometry import Bounds, LatLng, Polygon, Volume, parse_volume, volume_to_json
from deconflict.geometry.geodesy import project_from, unproject_many
from deconflict.private.cover import (
    CoverSettings,
    Level,
    Source,
    cached_cover,
    grown_plane,
    parse_key,
)

# Clip margin beyond the growth: H3 edges drawn straight in the plane stray from the cells'
# own (great-circle) edges by far less; anything extra kept only costs a little disclosure.
MARGIN_FRACTION = 0.02
MARGIN_M = 2.0
MIN_PIECE_M2 = 1e-4
# What a clipped volume from the other party may hold (they are checked, not trusted).
RECEIVED = Bounds(max_vertices=200_000, max_volumes=100_000, max_area_m2=1e13)


@frozen
class Shared:
    """The shared cells of one of my volumes, by level: H3 cells, time buckets, bands."""

    cells: frozenset[str]
    buckets: frozenset[int]
    bands: frozenset[int]
    grow_h_m: float
    grow_v_m: float
    coarse: bool


def shared_by_volume(
    shared_keys: Iterable[str], cover: Mapping[str, Sequence[Source]]
) -> dict[tuple[int, int], list[Shared]]:
    """For each (operation, volume) of mine behind a shared cell: what it shares, by level."""
    acc: dict[tuple[int, int, bool], list[Any]] = {}
    for key in shared_keys:
        _, _, cell, bucket, band = parse_key(key)
        for src in cover.get(key, ()):
            slot = acc.setdefault((src.op, src.volume, src.coarse), [set(), set(), set(), 0.0, 0.0])
            slot[0].add(cell)
            slot[1].add(bucket)
            slot[2].add(band)
            slot[3] = max(slot[3], src.grow_h_m)
            slot[4] = max(slot[4], src.grow_v_m)
    out: dict[tuple[int, int], list[Shared]] = {}
    for (op, vol, coarse), (cells, bs, zs, gh, gv) in sorted(acc.items()):
        out.setdefault((op, vol), []).append(
            Shared(frozenset(cells), frozenset(bs), frozenset(zs), gh, gv, coarse)
        )
    return out


def _simple_parts(geom: BaseGeometry) -> list[shapely.Polygon]:
    """The polygons of `geom`, each cut through its holes until it has none."""
    out: list[shapely.Polygon] = []
    for part in shapely.get_parts(geom).tolist():
        if not isinstance(part, shapely.Polygon) or part.area <= MIN_PIECE_M2:
            continue
        if not part.interiors:
            out.append(part)
            continue
        x = shapely.Polygon(part.interiors[0]).representative_point().x
        x0, y0, x1, y1 = part.bounds
        for half in (
            shapely.box(x0 - 1, y0 - 1, x, y1 + 1),
            shapely.box(x, y0 - 1, x1 + 1, y1 + 1),
        ):
            out.extend(_simple_parts(shapely.intersection(part, half)))
    return out


def _cells_plane(cells: Iterable[str], centre: LatLng) -> BaseGeometry:
    rings = []
    for c in cells:
        pts = np.array(h3.cell_to_boundary(c), dtype=np.float64)
        rings.append(shapely.Polygon(project_from(centre, pts[:, 0], pts[:, 1])))
    return shapely.union_all(rings)


def _to_polygon(part: shapely.Polygon, centre: LatLng) -> Polygon:
    xy = np.asarray(part.exterior.coords, dtype=np.float64)[:-1]
    pts = unproject_many(np.full(len(xy), centre.lat), np.full(len(xy), centre.lng), xy)
    return Polygon(tuple(LatLng(la, ln) for la, ln in pts.tolist()))


def _valid(v: Volume) -> Volume | None:
    """`v` if it survives the strict parser (as the other party will parse it), else None."""
    try:
        return parse_volume(volume_to_json(v), "volume", RECEIVED)
    except DomainError:
        return None


def clip_footprint(v: Volume, cells: Iterable[str], grow_m: float, res: int) -> list[Volume]:
    """The volume's footprint within `grow_m` (+ margin) of the cells, as simple pieces."""
    plane, centre = grown_plane(v.footprint, 0.0)
    margin = MARGIN_M + MARGIN_FRACTION * h3.average_hexagon_edge_length(res, unit="m")
    zone = shapely.buffer(_cells_plane(cells, centre), grow_m + margin)
    if shapely.covers(zone, plane):
        return [v]  # the whole footprint: send it as it is (a circle stays a circle)
    out = []
    for part in _simple_parts(shapely.intersection(plane, zone)):
        piece = _valid(evolve(v, footprint=_to_polygon(part, centre)))
        if piece is None:  # a sliver the projection bent: its convex hull still holds it
            piece = _valid(evolve(v, footprint=_to_polygon(part.convex_hull, centre)))
        if piece is not None:
            out.append(piece)
    return out


@lru_cache(maxsize=4096)
def clip(v: Volume, shared: Shared, level: Level) -> tuple[Volume, ...]:
    """`v` cut to its shared cells: time to their buckets, altitude to their bands (+ growth),
    footprint to their H3 cells (+ growth). Memoised: a pass re-clips only the volumes whose
    shared cells changed."""
    t0 = max(v.t0, min(shared.buckets) * level.bucket_s)
    t1 = min(v.t1, (max(shared.buckets) + 1) * level.bucket_s)
    lo = max(v.alt_lower_m, min(shared.bands) * level.band_m - shared.grow_v_m)
    hi = min(v.alt_upper_m, (max(shared.bands) + 1) * level.band_m + shared.grow_v_m)
    if t0 >= t1 or lo > hi:
        return ()
    start = v.time_start if t0 == v.t0 else datetime.fromtimestamp(t0, UTC)
    end = v.time_end if t1 == v.t1 else datetime.fromtimestamp(t1, UTC)
    cut = evolve(v, alt_lower_m=lo, alt_upper_m=hi, time_start=start, time_end=end)
    return tuple(clip_footprint(cut, shared.cells, shared.grow_h_m, level.resolution))


def clipped_plan(
    ops: Sequence[Operation],
    shared: Mapping[tuple[int, int], Sequence[Shared]],
    settings: CoverSettings,
) -> list[Operation]:
    """My operations as the other party may see them: only their clipped volumes."""
    pieces: dict[int, list[Volume]] = {}
    for (i, j), parts in shared.items():
        for s in parts:
            level = settings.coarse if s.coarse else settings.fine
            pieces.setdefault(i, []).extend(clip(ops[i].volumes[j], s, level))
    return [evolve(ops[i], volumes=tuple(vs), label="") for i, vs in sorted(pieces.items()) if vs]


def plan_to_json(ops: Sequence[Operation]) -> list[dict[str, Any]]:
    return [
        {"id": op.id, "kind": op.kind.value, "volumes": [volume_to_json(v) for v in op.volumes]}
        for op in ops
    ]


def plan_from_json(data: Any, party: str) -> list[Operation]:
    """A clipped plan received from `party`, checked as strictly as any input."""
    if not isinstance(data, list):
        raise InvalidVolume("invalid_type", "must be an array", "ops")
    out = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict) or not isinstance(raw.get("volumes"), list):
            raise InvalidVolume("invalid_type", "must be an object with volumes", f"ops[{i}]")
        try:
            kind = Kind(str(raw.get("kind")))
        except ValueError:
            raise InvalidVolume("invalid_kind", "unknown kind", f"ops[{i}].kind") from None
        vols = tuple(
            parse_volume(v, f"ops[{i}].volumes[{k}]", RECEIVED)
            for k, v in enumerate(raw["volumes"])
        )
        out.append(Operation(str(raw.get("id", "")), party, kind, vols))
    return out


def private_conflicts(
    low: Sequence[Operation], high: Sequence[Operation], rules: Rules
) -> list[Conflict]:
    """The exact conflicts between the two clipped plans, the lower party's side as `a`, so
    both clients compute exactly the same regions (the engine's batch detection)."""
    index = VolumeIndex()
    for op in high:
        index.upsert(op)
    return [c for found in detect_many(list(low), index, rules) for c in found]


def _near(key: str) -> list[tuple[str, str, int, int]]:
    """A shared cell and its neighbours in space, time and altitude (tags aside)."""
    _, pair, cell, t, z = parse_key(key)
    return [
        (pair, n, t + dt, z + dz)
        for n in h3.grid_disk(cell, 1)
        for dt in (-1, 0, 1)
        for dz in (-1, 0, 1)
    ]


def unexplained(
    keys: Iterable[str],
    theirs: Sequence[Operation],
    their_low: bool,
    rules: Rules,
    settings: CoverSettings,
) -> list[str]:
    """Shared cells that no clipped volume the other party sent could have produced (give or
    take a cell): cells it planted to learn where ours are. Sorted."""
    keys = sorted(keys)
    if not keys:
        return []
    covered: set[tuple[str, str, int, int]] = set()
    for op in theirs:
        for v in op.volumes:
            try:
                cells = cached_cover(v, op.kind, their_low, rules, settings)
            except DomainError:
                return []  # a volume too large to cover would explain anything
            covered.update(parse_key(k)[1:] for k in cells)
    return [
        k
        for k in keys
        if parse_key(k)[1:] not in covered and not any(n in covered for n in _near(k))
    ]
