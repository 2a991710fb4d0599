"""The store's candidate search with a bounded cost: sorted, disjoint key ranges covering every
stored volume within reach of a request, at most `MAX_RANGES` of them for any request.

A stored key is (level pair, cell x, y, z, time bucket), most significant first, so the keys of
one cell at consecutive buckets are one range, however long the window: time never multiplies
the count. Space can: a 500 km cap at the 4 km level covers ~50,000 cells. Where a volume's
cells at one space level would be more than `FINE_COLUMNS` columns, that level is searched by
slabs instead (one range per cell x, every y, z and time in the cube of reach between its
corners: a superset, since keys are ordered lexicographically), or by one range across the
whole cube when even the slabs are more than `MAX_SLABS`. Last, ranges are merged across their
smallest gaps until at most `MAX_RANGES` remain. Every step only widens ranges, so no stored
volume within reach is ever left out; what a coarse range takes in beyond reach (other times,
other cells) the store's time filter and the exact test drop.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from deconflict.engine.index import (
    CELL_BITS,
    EARTH_M,
    SCALAR_COLUMNS,
    SIZES,
    TIME_BITS,
    box_cells,
    cell_box,
    cell_reach,
    join_buckets,
    plan_of,
    scalar_cells,
    sorted_levels,
)
from deconflict.geometry import Volume
from deconflict.geometry.geodesy import caps, ecef_unit

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

MAX_RANGES = 4_096
FINE_COLUMNS = 64  # per volume and space level: beyond, slabs
MAX_SLABS = 16  # per volume and space level: beyond, one range across the cube
_OFF = 1 << (CELL_BITS - 1)
_Y_SHIFT = TIME_BITS + CELL_BITS
_X_SHIFT = TIME_BITS + 2 * CELL_BITS
_LOW = (1 << TIME_BITS) - 1
_ROUNDING_M = 2.0  # keys' centres are on the sphere to well within this


def query_ranges(
    vs: Sequence[Volume],
    margin_m: float,
    levels: Iterable[tuple[int, int]],
    max_ranges: int = MAX_RANGES,
) -> tuple[IntArray, IntArray]:
    """Inclusive key ranges (lo, hi: sorted, disjoint, not adjacent, at most `max_ranges`)
    holding every stored key of a volume within `margin_m` of one of `vs` overlapping it in
    time, at the given level pairs."""
    lv = sorted_levels(levels)
    if not lv or not vs:
        return _empty(), _empty()
    plan = plan_of(lv)
    lat, lng, radius = caps([v.footprint for v in vs])
    xyz = ecef_unit(lat, lng) * EARTH_M
    few = scalar_cells(xyz, radius + margin_m, plan.spaces, SCALAR_COLUMNS)
    if few is not None:  # the usual write: a few cells at a few levels, walked in plain Python
        los, his, _ = join_buckets(plan, vs, *few)
        return bounded(*merged(los, his), max_ranges)
    n_s = plan.n_spaces
    size = np.tile(SIZES[plan.spaces], len(vs))
    centre = np.repeat(xyz, n_s, axis=0)
    reach = cell_reach(np.repeat(radius + margin_m, n_s), size)
    lo, hi = on_sphere(centre, reach, size, *cell_box(centre, reach, size))
    extent = hi - lo + 1
    major = np.argmax(np.abs(centre), axis=1)
    columns = extent.prod(axis=1) // np.take_along_axis(extent, major[:, None], 1)[:, 0]
    coarse = np.flatnonzero(columns > FINE_COLUMNS)
    fine = np.flatnonzero(columns <= FINE_COLUMNS)
    cells, row = box_cells(centre[fine], reach[fine], size[fine])
    los, his, _ = join_buckets(plan, vs, cells, fine[row])
    clo, chi = _coarse(plan.pair_base, plan.pair_space, n_s, coarse, lo, hi)
    return bounded(*merged(np.concatenate([los, clo]), np.concatenate([his, chi])), max_ranges)


def on_sphere(
    centre: FloatArray, reach: FloatArray, size: FloatArray, lo: IntArray, hi: IntArray
) -> tuple[IntArray, IntArray]:
    """The cell box `lo`..`hi` clipped, per axis, to the points of the sphere within `reach`
    of `centre` (on the sphere): where every key's centre lies. A point at angle a from an
    axis within angle t of the centre (at angle c) has a in [c - t, c + t]."""
    t = 2 * np.arcsin(np.minimum(1.0, reach / (2 * EARTH_M)))[:, None]
    c = np.arccos(np.clip(centre / EARTH_M, -1.0, 1.0))
    top = EARTH_M * np.cos(np.maximum(c - t, 0.0)) + _ROUNDING_M
    bottom = EARTH_M * np.cos(np.minimum(c + t, np.pi)) - _ROUNDING_M
    lo = np.maximum(lo, np.floor(bottom / size[:, None]).astype(np.int64))
    hi = np.minimum(hi, np.floor(top / size[:, None]).astype(np.int64))
    return lo, hi


def _coarse(
    pair_base: IntArray,
    pair_space: IntArray,
    n_s: int,
    rows: IntArray,
    lo: IntArray,
    hi: IntArray,
) -> tuple[IntArray, IntArray]:
    """Slab or cube ranges for the (volume, space level) rows `rows`, at each of their pairs."""
    n_p = len(pair_base)
    # Every (row, pair of the row's space level).
    r, p = np.repeat(rows, n_p), np.tile(np.arange(n_p), len(rows))
    keep = pair_space[p] == r % n_s
    r, p = r[keep], p[keep]
    a, b = lo[r] + _OFF, hi[r] + _OFF
    slabs = b[:, 0] - a[:, 0] + 1
    cube = slabs > MAX_SLABS
    # Slabs: one per x, from (x, y0, z0, first bucket) to (x, y1, z1, last bucket).
    s = np.flatnonzero(~cube)
    n = slabs[s]
    at = np.repeat(s, n)
    x = np.repeat(a[s, 0], n) + np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    base = pair_base[p[at]] | (x << _X_SHIFT)
    s_lo = base | (a[at, 1] << _Y_SHIFT) | (a[at, 2] << TIME_BITS)
    s_hi = base | (b[at, 1] << _Y_SHIFT) | (b[at, 2] << TIME_BITS) | _LOW
    # A cube: one range from its first corner to its last.
    c = np.flatnonzero(cube)
    head = pair_base[p[c]]
    c_lo = head | (a[c, 0] << _X_SHIFT) | (a[c, 1] << _Y_SHIFT) | (a[c, 2] << TIME_BITS)
    c_hi = head | (b[c, 0] << _X_SHIFT) | (b[c, 1] << _Y_SHIFT) | (b[c, 2] << TIME_BITS) | _LOW
    return np.concatenate([s_lo, c_lo]), np.concatenate([s_hi, c_hi])


def merged(los: IntArray, his: IntArray) -> tuple[IntArray, IntArray]:
    """The union of inclusive ranges as sorted, disjoint, non-adjacent ranges."""
    if len(los) == 0:
        return los, his
    order = np.argsort(los, kind="stable")
    los, his = los[order], his[order]
    reach = np.maximum.accumulate(his)
    # A range starts a new run when it begins past everything before it (and not adjacent).
    start = np.ones(len(los), dtype=np.bool_)
    start[1:] = los[1:] > reach[:-1] + 1
    first = np.flatnonzero(start)
    last = np.append(first[1:] - 1, len(los) - 1)
    return los[first], reach[last]


def bounded(los: IntArray, his: IntArray, max_ranges: int) -> tuple[IntArray, IntArray]:
    """At most `max_ranges` ranges covering `los`/`his` (sorted, disjoint): the ranges are
    joined across all gaps but the `max_ranges - 1` widest."""
    if len(los) <= max_ranges:
        return los, his
    cut = _empty()
    if max_ranges > 1:
        gaps = los[1:] - his[:-1]
        cut = np.sort(np.argpartition(-gaps, max_ranges - 2)[: max_ranges - 1])
    first = np.concatenate([np.zeros(1, dtype=np.int64), cut + 1])
    last = np.append(first[1:] - 1, len(los) - 1)
    return los[first], his[last]


def _empty() -> IntArray:
    return np.empty(0, dtype=np.int64)
