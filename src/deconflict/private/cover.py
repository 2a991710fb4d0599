"""Covers: each volume as the space-time-altitude cells it touches, for private matching.

A cell is an H3 cell at a level's resolution x a time bucket x an altitude band. A volume's
cover holds every cell the volume, grown by half its kind pair's separation, touches: two
volumes that conflict under the rules share at least one cell (their closest points' midpoint
lies in both grown volumes), so matching covers never misses a conflict.

Cells are tagged so that they match only where the rules table says: the tag names the kind
pair as (lower party's kind > higher party's kind), with the party order of the two parties
matching, so a hazard's cells meet a presence's and a flight's, never another hazard's.

A volume whose cover would exceed the budget at the fine level is covered at the coarse one.
Coarse cells still meet the other party's fine volumes: every volume also emits its coarse
cover tagged with its party's side ("P" + L/H), and a coarse volume emits its cells under
the other side's tag too, so fine x coarse pairs meet at the coarse level while fine x fine
pairs meet only at the fine level (their "P" tags differ).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import h3
import numpy as np
import shapely
from attrs import field, frozen
from shapely.geometry.base import BaseGeometry

from deconflict.engine import Kind, Operation, Rules
from deconflict.errors import InvalidVolume
from deconflict.geometry import Footprint, LatLng, Volume
from deconflict.geometry.geodesy import cap, project_from, unproject_many
from deconflict.geometry.overlap import planar

# Boundary samples this fraction of a cell's edge apart: each boundary point is then within
# a tenth of an edge of a sample, far inside the one-cell ring added around each sample's cell.
SAMPLE_STEP = 0.2


@frozen
class Level:
    """One cell size: H3 resolution, time bucket (seconds) and altitude band (metres)."""

    resolution: int
    bucket_s: float
    band_m: float


@frozen
class CoverSettings:
    """The two levels and the per-volume budget of cells (all configurable, shared by all)."""

    fine: Level = field(factory=lambda: Level(8, 1_800.0, 500.0))
    coarse: Level = field(factory=lambda: Level(5, 21_600.0, 5_000.0))
    max_cells: int = 10_000  # per volume and kind pair


@frozen
class Source:
    """Where a cell came from: an operation and volume of the plan, with its growth."""

    op: int
    volume: int
    coarse: bool
    grow_h_m: float
    grow_v_m: float


def pair_tag(mine: Kind, theirs: Kind, low: bool) -> str:
    """The kind pair as (lower party's kind > higher party's kind)."""
    return f"{mine}>{theirs}" if low else f"{theirs}>{mine}"


def cell_key(tag: str, pair: str, cell: str, bucket: int, band: int) -> str:
    """One element of a cover: what both sides hash, identical for the same cell."""
    return f"{tag}|{pair}|{cell}|{bucket}|{band}"


def parse_key(key: str) -> tuple[str, str, str, int, int]:
    tag, pair, cell, bucket, band = key.split("|")
    return tag, pair, cell, int(bucket), int(band)


def buckets(v: Volume, bucket_s: float) -> range:
    """Time buckets that hold an instant of [start, end)."""
    return range(math.floor(v.t0 / bucket_s), math.ceil(v.t1 / bucket_s))


def bands(v: Volume, grow_m: float, band_m: float) -> range:
    """Altitude bands that hold a height of [lower - grow, upper + grow] (closed)."""
    lo = math.floor((v.alt_lower_m - grow_m) / band_m)
    return range(lo, math.floor((v.alt_upper_m + grow_m) / band_m) + 1)


def grown_plane(f: Footprint, grow_m: float) -> tuple[BaseGeometry, LatLng]:
    """The footprint grown by `grow_m` in its own AEQD plane, with the plane's centre."""
    centre = cap(f)[0]
    poly = planar(f, centre)
    if grow_m > 0:
        poly = shapely.buffer(poly, grow_m)
    return poly, centre


def footprint_cells(f: Footprint, grow_m: float, resolution: int) -> set[str]:
    """H3 cells touched by the footprint grown by `grow_m` metres (a superset, never less).

    Boundary: cells of dense boundary samples and their neighbours. Interior: cells reached
    from there whose centre is inside (a cell off the boundary is wholly in or wholly out)."""
    poly, centre = grown_plane(f, grow_m)
    step = SAMPLE_STEP * h3.average_hexagon_edge_length(resolution, unit="m")
    xy = shapely.get_coordinates(shapely.segmentize(shapely.boundary(poly), step))
    pts = unproject_many(np.full(len(xy), centre.lat), np.full(len(xy), centre.lng), xy)
    seeds = {h3.latlng_to_cell(la, ln, resolution) for la, ln in pts.tolist()}
    band = {n for c in seeds for n in h3.grid_disk(c, 1)}
    inside, seen, frontier = set(band), set(band), band
    shapely.prepare(poly)
    while frontier:
        todo = [n for c in frontier for n in h3.grid_ring(c, 1) if n not in seen]
        todo = list(dict.fromkeys(todo))
        seen.update(todo)
        if not todo:
            break
        centres = np.array([h3.cell_to_latlng(c) for c in todo], dtype=np.float64)
        cxy = project_from(centre, centres[:, 0], centres[:, 1])
        ok = shapely.contains_xy(poly, cxy[:, 0], cxy[:, 1])
        frontier = {c for c, o in zip(todo, ok.tolist(), strict=True) if o}
        inside |= frontier
    return inside


def estimate(v: Volume, grow_h: float, grow_v: float, level: Level) -> float:
    """About how many cells the volume's cover holds at `level` (to pick the level cheaply)."""
    poly, _ = grown_plane(v.footprint, grow_h)
    area = float(h3.average_hexagon_area(level.resolution, unit="m^2"))
    edge = float(h3.average_hexagon_edge_length(level.resolution, unit="m"))
    spatial = float(poly.area) / area + 2 * float(poly.length) / edge + 7
    return spatial * len(buckets(v, level.bucket_s)) * len(bands(v, grow_v, level.band_m))


def _growths(kind: Kind, rules: Rules) -> list[tuple[Kind, float, float]]:
    out = []
    for partner in sorted(rules.partners(kind)):
        sep = rules.separation(kind, partner)
        assert sep is not None
        out.append((partner, sep.horizontal_m / 2, sep.vertical_m / 2))
    return out


def _cells(v: Volume, grow_h: float, grow_v: float, level: Level) -> Iterable[tuple[str, int, int]]:
    space = footprint_cells(v.footprint, grow_h, level.resolution)
    ts, zs = buckets(v, level.bucket_s), bands(v, grow_v, level.band_m)
    return ((c, t, z) for c in sorted(space) for t in ts for z in zs)


def volume_cover(
    v: Volume, kind: Kind, low: bool, rules: Rules, settings: CoverSettings
) -> dict[str, tuple[bool, float, float]]:
    """The cells of one volume: key -> (coarse?, horizontal growth, vertical growth)."""
    out: dict[str, tuple[bool, float, float]] = {}
    mine, other = ("PL", "PH") if low else ("PH", "PL")
    for partner, gh, gv in _growths(kind, rules):
        pair = pair_tag(kind, partner, low)
        coarse = estimate(v, gh, gv, settings.fine) > settings.max_cells
        if estimate(v, gh, gv, settings.coarse) > settings.max_cells:
            raise InvalidVolume("too_many_cells", "volume too large to cover privately", "volume")
        for c, t, z in _cells(v, gh, gv, settings.coarse):
            out[cell_key(mine, pair, c, t, z)] = (True, gh, gv)
            if coarse:
                out[cell_key(other, pair, c, t, z)] = (True, gh, gv)
                out[cell_key("Z", pair, c, t, z)] = (True, gh, gv)
        if not coarse:
            for c, t, z in _cells(v, gh, gv, settings.fine):
                out[cell_key("F", pair, c, t, z)] = (False, gh, gv)
    return out


# Covers of volumes met before, so that a changed plan re-covers only its new volumes.
_MEMO: dict[tuple[Volume, Kind, bool, str, CoverSettings], dict[str, tuple[bool, float, float]]]
_MEMO = {}
MEMO_SIZE = 20_000


def cached_cover(
    v: Volume, kind: Kind, low: bool, rules: Rules, settings: CoverSettings
) -> dict[str, tuple[bool, float, float]]:
    """`volume_cover`, memoised (the result is shared: read it, never change it)."""
    key = (v, kind, low, repr(sorted((sorted(p), s) for p, s in rules.pairs.items())), settings)
    found = _MEMO.get(key)
    if found is None:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        found = _MEMO[key] = volume_cover(v, kind, low, rules, settings)
    return found


def plan_cover(
    ops: Sequence[Operation], low: bool, rules: Rules, settings: CoverSettings
) -> dict[str, list[Source]]:
    """Every cell of a plan's live operations, with the volumes it came from."""
    out: dict[str, list[Source]] = {}
    for i, op in enumerate(ops):
        if not op.state.live:
            continue
        for j, v in enumerate(op.volumes):
            for key, (coarse, gh, gv) in cached_cover(v, op.kind, low, rules, settings).items():
                out.setdefault(key, []).append(Source(i, j, coarse, gh, gv))
    return out
