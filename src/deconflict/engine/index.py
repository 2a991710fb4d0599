"""Spatial-temporal index of stored volumes: a loose multi-level grid of ECEF cells x time buckets.

Each volume gets exactly one integer key: the cell of its bounding cap's centre at the finest
space level whose cells are at least twice the cap's radius, and the bucket of its start at the
finest time level whose buckets are at least its duration. A volume therefore never reaches
beyond half a cell or one bucket past its key, so a query enumerates, per occupied level pair,
the cells and buckets within that reach: a handful of integer look-ups, then a vectorised
pre-filter (time, altitude, cap distance) and the exact test on what remains.

Why this method (see BENCHMARKS.md): one key per volume keeps inserts, replaces and removes O(1)
and the index tiny at a million volumes; ECEF cells have no antimeridian or pole seams; and the
key is a plain BIGINT, so the store persists the same index as a b-tree column and asks
`WHERE cell_key = ANY(:keys)` in plain SQL on SQLite or PostgreSQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from deconflict.geometry import Volume
from deconflict.geometry.geodesy import GEOD, cap, caps, ecef_unit

EARTH_M = 6_371_008.8
SPACE_LEVELS_M = (4_000.0, 16_000.0, 64_000.0, 256_000.0, 1_024_000.0, 4_096_000.0)
# The last time level has one bucket for all time: a volume longer than 3.7 years (a permanent
# one, see geometry.OPEN_END) keeps one key, and a search costs the same whatever its duration.
TIME_LEVELS_S = (
    3_600.0,
    28_800.0,
    230_400.0,
    1_843_200.0,
    14_745_600.0,
    117_964_800.0,
    math.inf,
)
TIME_ORIGIN = 946_684_800.0  # 2000-01-01T00:00:00Z: keeps bucket numbers small and positive
# Cell coordinates are computed on a sphere; geodesic distances on WGS84 differ by < 0.7 %.
SLACK = 1.02
SLACK_M = 1_000.0
CELL_BITS, TIME_BITS = 12, 20
_TIME_MASK = (1 << TIME_BITS) - 1
_CELL_MASK = (1 << CELL_BITS) - 1
SIZES = np.array(SPACE_LEVELS_M)
_SPANS = np.array(TIME_LEVELS_S)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def space_level(radius_m: float) -> int:
    """The finest space level whose cells are at least twice `radius_m`."""
    for i, size in enumerate(SPACE_LEVELS_M):
        if size >= 2 * radius_m * SLACK:
            return i
    raise ValueError(f"footprint radius {radius_m:.0f} m exceeds the index's largest cell")


def time_level(duration_s: float) -> int:
    """The finest time level whose buckets are at least `duration_s`."""
    for i, size in enumerate(TIME_LEVELS_S):
        if size >= duration_s:
            return i
    raise ValueError(f"duration {duration_s:.0f} s exceeds the index's largest bucket")


def pack(ls: int, lt: int, cx: int, cy: int, cz: int, tb: int) -> int:
    """A 62-bit key; cells are offset to be non-negative (|c| < 2^11 at the finest level)."""
    off = 1 << (CELL_BITS - 1)
    key = (ls << 3) | lt
    for c in (cx, cy, cz):
        key = (key << CELL_BITS) | (c + off)
    return (key << TIME_BITS) | (tb & ((1 << TIME_BITS) - 1))


def _cell(center_xyz: npt.NDArray[np.float64], size_m: float) -> tuple[int, int, int]:
    c = np.floor(center_xyz * EARTH_M / size_m).astype(np.int64)
    return int(c[0]), int(c[1]), int(c[2])


def volume_key(v: Volume) -> int:
    """The one index key of a stored volume."""
    center, radius = cap(v.footprint)
    ls, lt = space_level(radius), time_level(v.t1 - v.t0)
    cx, cy, cz = _cell(ecef_unit(center.lat, center.lng), SPACE_LEVELS_M[ls])
    tb = math.floor((v.t0 - TIME_ORIGIN) / TIME_LEVELS_S[lt])
    return pack(ls, lt, cx, cy, cz, tb)


def key_levels(key: int) -> tuple[int, int]:
    """(space level, time level) of a key."""
    top = key >> (3 * CELL_BITS + TIME_BITS)
    return top >> 3, top & 7


def slices(starts: IntArray, stops: IntArray) -> IntArray:
    """The concatenation of arange(start, stop) for each pair, without a Python loop."""
    lengths = stops - starts
    keep = lengths > 0
    starts, lengths = starts[keep], lengths[keep]
    if len(starts) == 0:
        return np.empty(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    # Each run restarts at its own start: offset positions by (start - first position of run).
    shift = np.repeat(starts - (ends - lengths), lengths)
    out: IntArray = np.arange(int(ends[-1]), dtype=np.int64) + shift
    return out


# The sphere every key's centre lies on, 1 m thick each way: squared outer and inner radii.
_OUTER2 = (EARTH_M + 1.0) ** 2
_INNER2 = (EARTH_M - 1.0) ** 2
# The sum of three squares is rounded twice, in an order NumPy's einsum picks per platform: a
# distance this close to the reach (relative) could fall either way, so it is left to einsum.
_TIE = 1e-12
# Up to this many columns, plain Python beats NumPy's per-call cost: for cells, and for keys
# (where NumPy would also join cells with time buckets and expand ranges).
SCALAR_COLUMNS = 48
_SCALAR_KEY_COLUMNS = 128
_PY_KEYS = 128  # up to this many keys (with repeats), a Python set sorts them faster
# Where x, y and z sit in a key (see `_cell_bits`).
_CODE_SHIFTS = np.array([TIME_BITS + 2 * CELL_BITS, TIME_BITS + CELL_BITS, TIME_BITS])


def _shell_cells(
    xyz: FloatArray,
    reach_m: FloatArray,
    spaces: IntArray,
    max_scalar_columns: int = SCALAR_COLUMNS,
) -> tuple[IntArray, IntArray]:
    """Cells (n, 3) within reach of each query centre `xyz[q]` that touch the sphere (where
    every key's centre is), for each space level in `spaces`, with their row q * S + s
    (S = len(spaces)); rows come out sorted.

    Walks columns along the two minor axes of each centre and keeps, per column, only the cells
    the sphere crosses along the major axis: ~(reach / size)^2 cells instead of the cube.
    Up to `max_scalar_columns` columns in all, plain Python does it faster than NumPy calls;
    two ways, one answer (see each)."""
    if max_scalar_columns:
        found = scalar_cells(xyz, reach_m, spaces, max_scalar_columns)
        if found is not None:
            return found
    return _shell_cells_runs(xyz, reach_m, spaces)


def scalar_cells(
    xyz: FloatArray, reach_m: FloatArray, spaces: IntArray, max_columns: int
) -> tuple[IntArray, IntArray] | None:
    """`_shell_cells` walked in plain Python, or None beyond `max_columns` columns in all."""
    per_row = _shell_cells_scalar(xyz, reach_m, spaces.tolist(), max_columns)
    if per_row is None:
        return None
    codes = np.array([c for codes in per_row for c in codes], dtype=np.int64)
    cells = ((codes[:, None] >> _CODE_SHIFTS) & _CELL_MASK) - (1 << (CELL_BITS - 1))
    rows = np.arange(len(per_row)).repeat([len(codes) for codes in per_row])
    return cells, rows


def _shell_cells_scalar(
    xyz: FloatArray, reach_m: FloatArray, spaces: Sequence[int], max_columns: int
) -> list[list[int]] | None:
    """`_shell_cells_runs` in plain Python floats, for the fewest columns (a write's look-up):
    below a few dozen columns, NumPy's per-call cost outweighs the arithmetic. Each row's
    cells come as their key bits (`_cell_bits` of the offset cell, shifted past the time
    bucket), in the same order.

    Every value goes through the same IEEE operations (+ - * / floor sqrt, and comparisons
    for min and max: ties and signed zeros aside, which squares and floors erase), so the
    cells are identical; only the final sum of three squares may round differently from
    einsum's, so a cell within a relative `_TIE` of the reach gives up (None), as does more
    than `max_columns` columns in all."""
    rows = []
    columns = 0
    for c, r in zip(xyz.tolist(), reach_m.tolist(), strict=True):
        order = sorted(range(3), key=lambda d: -abs(c[d]))  # major axis first, stable
        pc = [c[d] for d in order]
        for ls in spaces:
            size = SPACE_LEVELS_M[ls]
            reach = (r + size / 2) * SLACK + SLACK_M
            lo = [math.floor((x - reach) / size) for x in pc]
            hi = [math.floor((x + reach) / size) for x in pc]
            columns += (hi[1] - lo[1] + 1) * (hi[2] - lo[2] + 1)
            rows.append((order, pc, size, reach, lo, hi))
    if columns > max_columns:
        return None
    off = 1 << (CELL_BITS - 1)
    out: list[list[int]] = []
    for order, pc, size, reach, lo, hi in rows:
        # x, y and z's places in the key, for the major and the two minor axes.
        major, a, b = (TIME_BITS + (2 - d) * CELL_BITS for d in order)
        # Per minor axis and column: the column's key bits, its nearest and farthest squared
        # distance from the major axis, and the squared distance from the centre along that
        # axis (the cell test's term).
        minor = []
        for axis, shift in ((1, a), (2, b)):
            x, cols = pc[axis], []
            for k in range(lo[axis], hi[axis] + 1):
                e0, e1 = k * size, (k + 1) * size
                sq0, sq1 = e0 * e0, e1 * e1
                t, u = e0 - x, x - e0 - size
                t = t if t > u else u
                t = t if t > 0.0 else 0.0
                near = 0.0 if e0 * e1 <= 0 else (sq0 if sq0 < sq1 else sq1)
                cols.append(((k + off) << shift, near, sq0 if sq0 > sq1 else sq1, t * t))
            minor.append(cols)
        x0, positive, lo0, hi0 = pc[0], pc[0] >= 0, lo[0], hi[0]
        keep2 = reach * reach * (1 - _TIE)
        drop2 = reach * reach * (1 + _TIE)
        codes: list[int] = []
        for code_a, near_a, far_a, ta2 in minor[0]:
            for code_b, near_b, far_b, tb2 in minor[1]:
                near2 = near_a + near_b
                side2 = ta2 + tb2
                if not near2 <= _OUTER2 or side2 > drop2:  # no cell of this column is kept
                    continue
                top = math.sqrt(_OUTER2 - near2)
                low2 = _INNER2 - (far_a + far_b)
                if low2 > 0:  # the sphere lies on the centre's side only
                    bottom = math.sqrt(low2)
                    d0, d1 = (bottom, top) if positive else (-top, -bottom)
                else:
                    d0, d1 = -top, top
                first, last = math.floor(d0 / size), math.floor(d1 / size)
                column = code_a | code_b
                for k in range(first if first > lo0 else lo0, (last if last < hi0 else hi0) + 1):
                    e0 = k * size
                    t, u = e0 - x0, x0 - e0 - size
                    t = t if t > u else u
                    d2 = side2 + t * t if t > 0.0 else side2
                    if d2 > keep2:
                        if d2 <= drop2:
                            return None
                        continue
                    codes.append(column | (k + off) << major)
        out.append(codes)
    return out


def _shell_cells_runs(
    xyz: FloatArray, reach_m: FloatArray, spaces: IntArray
) -> tuple[IntArray, IntArray]:
    """`_shell_cells` for any reach: each row's columns, and the cells along each column,
    as ragged runs."""
    n_q, n_s = len(xyz), len(spaces)
    size = np.tile(SIZES[spaces], n_q)
    centre = np.repeat(xyz, n_s, axis=0)
    return box_cells(centre, cell_reach(np.repeat(reach_m, n_s), size), size)


def cell_reach(reach_m: FloatArray, size: FloatArray) -> FloatArray:
    """How far from a query centre the centre of a cell of `size` holding a key may lie."""
    out: FloatArray = (reach_m + size / 2) * SLACK + SLACK_M
    return out


def cell_box(centre: FloatArray, reach: FloatArray, size: FloatArray) -> tuple[IntArray, IntArray]:
    """The first and last cell (n, 3) along each axis of the cube of `reach` around `centre`."""
    lo = np.floor((centre - reach[:, None]) / size[:, None]).astype(np.int64)
    hi = np.floor((centre + reach[:, None]) / size[:, None]).astype(np.int64)
    return lo, hi


def box_cells(centre: FloatArray, reach: FloatArray, size: FloatArray) -> tuple[IntArray, IntArray]:
    """Per row: the cells of `size` within `reach` (`cell_reach`) of `centre` that touch the
    sphere, with their row; rows come out sorted."""
    lo, hi = cell_box(centre, reach, size)
    axes = np.argsort(-abs(centre), axis=1, kind="stable")  # major axis first
    lo, hi = np.take_along_axis(lo, axes, 1), np.take_along_axis(hi, axes, 1)
    na, nb = hi[:, 1] - lo[:, 1] + 1, hi[:, 2] - lo[:, 2] + 1
    count = na * nb
    row = np.repeat(np.arange(len(size)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    ca, cb = lo[row, 1] + k // nb[row], lo[row, 2] + k % nb[row]
    sz = size[row]
    # Squared distance of each column from the major axis: nearest and farthest.
    a0, a1, b0, b1 = ca * sz, (ca + 1) * sz, cb * sz, (cb + 1) * sz
    near2 = np.where(a0 * a1 <= 0, 0.0, np.minimum(a0 * a0, a1 * a1))
    near2 += np.where(b0 * b1 <= 0, 0.0, np.minimum(b0 * b0, b1 * b1))
    far2 = np.maximum(a0 * a0, a1 * a1) + np.maximum(b0 * b0, b1 * b1)
    top = np.sqrt(np.maximum((EARTH_M + 1.0) ** 2 - near2, 0.0))
    low2 = (EARTH_M - 1.0) ** 2 - far2
    bottom = np.sqrt(np.maximum(low2, 0.0))
    # Along the major axis the sphere lies within +-[bottom, top]: on the centre's side only,
    # unless the column reaches the great circle where that coordinate changes sign.
    positive = np.take_along_axis(centre, axes[:, :1], 1)[row, 0] >= 0
    d0 = np.where(low2 <= 0, -top, np.where(positive, bottom, -top))
    d1 = np.where(low2 <= 0, top, np.where(positive, top, -bottom))
    first = np.maximum(np.floor(d0 / sz).astype(np.int64), lo[row, 0])
    last = np.minimum(np.floor(d1 / sz).astype(np.int64), hi[row, 0])
    first = np.where(near2 <= (EARTH_M + 1.0) ** 2, first, last + 1)
    n = np.maximum(last - first + 1, 0)
    col = np.repeat(np.arange(len(k)), n)
    sorted_cells = np.column_stack(
        [first[col] + np.arange(len(col)) - np.repeat(np.cumsum(n) - n, n), ca[col], cb[col]]
    )
    row = row[col]
    cells = np.empty_like(sorted_cells)
    np.put_along_axis(cells, axes[row], sorted_cells, 1)
    lower = cells * size[row, None]
    to_query = np.maximum(np.maximum(lower - centre[row], centre[row] - lower - size[row, None]), 0)
    ok = np.einsum("ij,ij->i", to_query, to_query) <= reach[row] ** 2
    return cells[ok], row[ok]


def _bucket_ranges(b0: int, b1: int) -> list[tuple[int, int]]:
    """Inclusive [lo, hi] ranges of masked time buckets b0..b1 (split where the mask wraps)."""
    if b1 - b0 >= _TIME_MASK:
        return [(0, _TIME_MASK)]
    lo, hi = b0 & _TIME_MASK, b1 & _TIME_MASK
    return [(lo, hi)] if lo <= hi else [(lo, _TIME_MASK), (0, hi)]


def _bucket_rows(
    pairs: IntArray, t0: FloatArray, t1: FloatArray, span: FloatArray | None = None
) -> tuple[IntArray, IntArray, IntArray]:
    """(q * P + pair, first bucket, last bucket) rows: the buckets a stored window overlapping
    [t0[q], t1[q]) can start in, per query and level pair (one row each unless they wrap).
    `span` is the pairs' bucket length, when the caller has it already."""
    if span is None:
        span = _SPANS[pairs[:, 1]]
    # A stored window starts in its bucket and lasts at most one bucket.
    b0 = (np.floor((t0[:, None] - TIME_ORIGIN) / span).astype(np.int64) - 1).ravel()
    b1 = np.floor((t1[:, None] - TIME_ORIGIN) / span).astype(np.int64).ravel()
    if b0.min() >= 0 and b1.max() <= _TIME_MASK:
        return np.arange(len(b0)), b0, b1
    rows = [
        (p, lo, hi)
        for p, (a, b) in enumerate(zip(b0.tolist(), b1.tolist(), strict=True))
        for lo, hi in _bucket_ranges(a, b)
    ]
    pid, lo, hi = (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
    return pid, lo, hi


class Occupancy:
    """How many stored keys fall in each (space level, cell), hashed into a fixed table of
    counters: a look-up skips every cell whose counter is 0 before asking for its key ranges.

    Collisions only keep an empty cell in (never drop a full one), so the answer is unchanged;
    at a million volumes most of a query's cells are empty and cost nothing further."""

    BITS = 21
    _GOLDEN = 0x9E3779B97F4A7C15

    def __init__(self) -> None:
        self.counts = np.zeros(1 << self.BITS, dtype=np.int32)

    def add(self, key: int, n: int = 1) -> None:
        """Count `key`'s cell `n` more times (n = -1 when it is removed)."""
        ls = key >> (3 * CELL_BITS + TIME_BITS + 3)
        cell = (key >> TIME_BITS) & ((1 << 3 * CELL_BITS) - 1)
        code = (ls << 3 * CELL_BITS) | cell
        self.counts[((code * self._GOLDEN) & ((1 << 64) - 1)) >> (64 - self.BITS)] += n

    def occupied(self, ls: IntArray, cells: IntArray) -> BoolArray:
        """Which (space level, cell (n, 3) in offset coordinates) may hold a stored key."""
        code = (ls << 3 * CELL_BITS) | _cell_bits(cells)
        with np.errstate(over="ignore"):
            h = (code.astype(np.uint64) * np.uint64(self._GOLDEN)) >> np.uint64(64 - self.BITS)
        return np.asarray(self.counts[h.astype(np.int64)] > 0)


class BucketOccupancy:
    """How many stored keys fall in each run of 2^SHIFT consecutive time buckets of a
    (level pair, cell) -- the key shifted right by SHIFT -- hashed into a fixed table of
    counters: a key range is skipped when every run it spans is empty, so a cell occupied only
    at other times costs no search. Like `Occupancy`, collisions only keep ranges in."""

    BITS = 22
    SHIFT = 3
    PROBES = 4  # ranges spanning more runs than this are kept without probing
    _GOLDEN = 0x9E3779B97F4A7C15

    def __init__(self) -> None:
        self.counts = np.zeros(1 << self.BITS, dtype=np.int32)

    def add(self, key: int, n: int = 1) -> None:
        """Count `key`'s run `n` more times (n = -1 when it is removed)."""
        code = key >> self.SHIFT
        self.counts[((code * self._GOLDEN) & ((1 << 64) - 1)) >> (64 - self.BITS)] += n

    def _hit(self, code: IntArray) -> BoolArray:
        with np.errstate(over="ignore"):
            h = (code.astype(np.uint64) * np.uint64(self._GOLDEN)) >> np.uint64(64 - self.BITS)
        return np.asarray(self.counts[h.astype(np.int64)] > 0)

    def occupied(self, los: IntArray, his: IntArray) -> BoolArray:
        """Which inclusive key ranges [los[i], his[i]] (within one level pair and cell) may
        hold a stored key."""
        first, last = los >> self.SHIFT, his >> self.SHIFT
        keep = last - first >= self.PROBES
        for k in range(self.PROBES):
            probe = ~keep & (first + k <= last)
            if probe.any():
                keep[probe] = self._hit(first[probe] + k)
        return keep


def _cell_bits(c: IntArray) -> IntArray:
    """The 36 cell bits of a key, from cells already offset to be non-negative."""
    out: IntArray = ((c[:, 0] << CELL_BITS) | c[:, 1]) << CELL_BITS | c[:, 2]
    return out


class Plan:
    """What a set of level pairs asks of every look-up, worked out once per set."""

    def __init__(self, lv: tuple[tuple[int, int], ...]) -> None:
        spaces = sorted({ls for ls, _ in lv})
        self.n_pairs, self.n_spaces = len(lv), len(spaces)
        self.pairs = np.array(lv, dtype=np.int64).reshape(-1, 2)
        self.spaces = np.array(spaces, dtype=np.int64)
        self.span = _SPANS[self.pairs[:, 1]]
        # Per pair: its space level's place in `spaces`, and the key's level bits.
        self.pair_space = np.array([spaces.index(ls) for ls, _ in lv], dtype=np.int64)
        shift = 3 * CELL_BITS + TIME_BITS
        self.pair_base = np.array([((ls << 3) | lt) << shift for ls, lt in lv], dtype=np.int64)
        self.space_list = spaces
        # Per space level: (level bits, bucket length) of each of its pairs.
        self.by_space = [
            [(((ls << 3) | lt) << shift, TIME_LEVELS_S[lt]) for ls, lt in lv if ls == s]
            for s in spaces
        ]
        for a in (self.pairs, self.spaces, self.span, self.pair_space, self.pair_base):
            a.flags.writeable = False  # shared by every look-up at these levels


@lru_cache(maxsize=256)
def plan_of(lv: tuple[tuple[int, int], ...]) -> Plan:
    return Plan(lv)


def sorted_levels(levels: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    return tuple(sorted({(int(ls), int(lt)) for ls, lt in levels}))


def many_key_ranges(
    vs: Sequence[Volume],
    margin_m: float,
    levels: Iterable[tuple[int, int]],
    occupancy: Occupancy | None = None,
) -> tuple[IntArray, IntArray, IntArray]:
    """`key_ranges` of many volumes at once: (lo, hi, index into `vs`) arrays, vectorised across
    volumes as well as levels; cells `occupancy` knows to be empty are left out."""
    lv = sorted_levels(levels)
    if not lv or not vs:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    lat, lng, radius = caps([v.footprint for v in vs])
    xyz = ecef_unit(lat, lng) * EARTH_M
    return _key_ranges(plan_of(lv), vs, xyz, radius + margin_m, occupancy)


def _key_ranges(
    plan: Plan,
    vs: Sequence[Volume],
    xyz: FloatArray,
    reach: FloatArray,
    occupancy: Occupancy | None = None,
    max_scalar_columns: int = SCALAR_COLUMNS,
) -> tuple[IntArray, IntArray, IntArray]:
    """`many_key_ranges` once the caps' centres `xyz` and reaches are known."""
    cells, cell_row = _shell_cells(xyz, reach, plan.spaces, max_scalar_columns)
    return join_buckets(plan, vs, cells, cell_row, occupancy)


def join_buckets(
    plan: Plan,
    vs: Sequence[Volume],
    cells: IntArray,
    cell_row: IntArray,
    occupancy: Occupancy | None = None,
) -> tuple[IntArray, IntArray, IntArray]:
    """Key ranges (lo, hi, index into `vs`): each cell (row q * S + s, sorted) joined with the
    time buckets of its volume q at each level pair of space level `plan.spaces[s]`."""
    c = cells + (1 << (CELL_BITS - 1))
    if occupancy is not None:
        keep = occupancy.occupied(plan.spaces[cell_row % plan.n_spaces], c)
        c, cell_row = c[keep], cell_row[keep]
    code = _cell_bits(c) << TIME_BITS
    t = np.array([(v.t0, v.t1) for v in vs], dtype=np.float64)
    qp, blo, bhi = _bucket_rows(plan.pairs, t[:, 0], t[:, 1], plan.span)
    q, p = np.divmod(qp, plan.n_pairs)
    # Join each bucket row with the cells of its query and space level (a contiguous run).
    want = q * plan.n_spaces + plan.pair_space[p]
    first = np.searchsorted(cell_row, want)
    last = np.searchsorted(cell_row, want, side="right")
    cell = slices(first, last)
    r = np.arange(len(qp)).repeat(last - first)
    head = plan.pair_base[p][r] | code[cell]
    return head | blo[r], head | bhi[r], q[r]


def key_ranges(
    v: Volume, margin_m: float, levels: Iterable[tuple[int, int]]
) -> tuple[IntArray, IntArray]:
    """Inclusive key ranges (lo, hi arrays) holding every volume within `margin_m` of `v` that
    overlaps it in time: per level pair, one range of time buckets per cell near `v`."""
    lo, hi, _ = many_key_ranges([v], margin_m, levels)
    return lo, hi


def query_keys(v: Volume, margin_m: float, levels: Iterable[tuple[int, int]]) -> Iterator[int]:
    """Every key under which a volume within `margin_m` of `v`, overlapping it in time, is kept."""
    los, his = key_ranges(v, margin_m, levels)
    for lo, hi in zip(los.tolist(), his.tolist(), strict=True):
        yield from range(lo, hi + 1)


class Columns:
    """Growable NumPy columns describing stored volumes, for the vectorised pre-filter."""

    NAMES = ("t0", "t1", "alo", "ahi", "lat", "lng", "r", "ux", "uy", "uz")

    def __init__(self) -> None:
        self.data = np.zeros((len(self.NAMES), 1024), dtype=np.float64)
        self.free: list[int] = []
        self.size = 0

    def add(self, v: Volume) -> int:
        c, r = cap(v.footprint)
        la, ln = math.radians(c.lat), math.radians(c.lng)
        u = (math.cos(la) * math.cos(ln), math.cos(la) * math.sin(ln), math.sin(la))
        row = (v.t0, v.t1, v.alt_lower_m, v.alt_upper_m, c.lat, c.lng, r, *u)
        if self.free:
            slot = self.free.pop()
        else:
            if self.size == self.data.shape[1]:
                self.data = np.concatenate([self.data, np.zeros_like(self.data)], axis=1)
            slot, self.size = self.size, self.size + 1
        self.data[:, slot] = row
        return slot

    def drop(self, slot: int) -> None:
        self.data[:, slot] = np.nan  # NaN fails every comparison, so a dropped slot never passes

    def release(self, slot: int) -> None:
        """Let `add` reuse a dropped slot (once no index entry points at it any more)."""
        self.free.append(slot)

    def near(self, slots: IntArray, v: Volume, h_margin_m: float, v_margin_m: float) -> IntArray:
        """The slots whose time, altitude and bounding cap can still conflict with `v`."""
        keep, _ = self.near_many(slots, np.zeros(len(slots), np.int64), [v], h_margin_m, v_margin_m)
        return keep

    def near_many(
        self,
        slots: IntArray,
        which: IntArray,
        vs: Sequence[Volume],
        h_margin_m: float,
        v_margin_m: float,
    ) -> tuple[IntArray, IntArray]:
        """The (slot, volume index) pairs, slot `slots[i]` against `vs[which[i]]`, whose time,
        altitude and bounding caps can still conflict."""
        q = np.array([(v.t0, v.t1, v.alt_lower_m, v.alt_upper_m) for v in vs]).reshape(-1, 4)
        # Time first: it drops most pairs, so the other columns are gathered for few.
        t0, t1 = self.data[0, slots], self.data[1, slots]
        ok = np.maximum(t0, q[which, 0]) < np.minimum(t1, q[which, 1])
        slots, which = slots[ok], which[ok]
        alo, ahi = self.data[2, slots], self.data[3, slots]
        gap = np.maximum(alo, q[which, 2]) - np.minimum(ahi, q[which, 3])
        # At separation 0 a flat band conflicts with a band it touches (see altitudes_conflict).
        ok = gap < v_margin_m if v_margin_m > 0 else gap <= 0
        slots, which = slots[ok], which[ok]
        if len(slots) == 0:
            return slots, which
        clat, clng, cr = caps([v.footprint for v in vs])
        # Caps apart on the sphere by more than the grid's slack cannot be near on WGS84.
        qu = ecef_unit(clat, clng)[which]
        reach = (self.data[6, slots] + cr[which] + h_margin_m) * SLACK + SLACK_M
        cos = np.einsum("ij,ji->i", qu, self.data[7:10, slots])
        ok = cos >= np.cos(np.minimum(reach / EARTH_M, np.pi))
        slots, which = slots[ok], which[ok]
        lat, lng, r = self.data[4, slots], self.data[5, slots], self.data[6, slots]
        _, _, d = GEOD.inv(clng[which], clat[which], lng, lat)
        ok = np.asarray(d) < r + cr[which] + h_margin_m
        return slots[ok], which[ok]

    def scan(
        self, vs: Sequence[Volume], h_margin_m: float, v_margin_m: float
    ) -> tuple[IntArray, IntArray]:
        """`near_many` against every stored slot: for a small index, reading all the columns
        costs less than asking the grid its few key ranges."""
        q = np.array([(v.t0, v.t1) for v in vs]).reshape(-1, 2)
        t0, t1 = self.data[0, : self.size], self.data[1, : self.size]
        ok = np.maximum(t0, q[:, :1]) < np.minimum(t1, q[:, 1:])
        which, slots = np.nonzero(ok)
        return self.near_many(slots, which, vs, h_margin_m, v_margin_m)


ALL_LEVELS = tuple(
    (ls, lt) for ls in range(len(SPACE_LEVELS_M)) for lt in range(len(TIME_LEVELS_S))
)


def query_key_ranges(
    v: Volume, margin_m: float, levels: Iterable[tuple[int, int]] = ALL_LEVELS
) -> list[tuple[int, int]]:
    """`key_ranges` sorted and merged into inclusive [lo, hi] ranges (consecutive time buckets
    are adjacent keys), for `WHERE cell_key BETWEEN lo AND hi OR ...` in SQL."""
    los, his = key_ranges(v, margin_m, levels)
    order = np.argsort(los, kind="stable")
    ranges: list[tuple[int, int]] = []
    for lo, hi in zip(los[order].tolist(), his[order].tolist(), strict=True):
        if ranges and lo <= ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], max(hi, ranges[-1][1]))
        else:
            ranges.append((lo, hi))
    return ranges


def sorted_query_keys(
    vs: Sequence[Volume], margin_m: float, levels: Iterable[tuple[int, int]]
) -> list[int]:
    """Every key under which a volume within `margin_m` of any of `vs`, overlapping it in time,
    is kept, sorted and each once: `sorted({k for v in vs for k in query_keys(v, ...)})`, the
    same ints, for a write's look-up, in one pass over all the volumes (`levels` is read once).

    Up to `_SCALAR_KEY_COLUMNS` columns (the usual write: a few cells at a few levels), the
    cells come from plain Python, and so do the keys when they are few; beyond, from one
    vectorised `many_key_ranges` pass."""
    lv = sorted_levels(levels)
    if not lv or not vs:
        return []
    plan = plan_of(lv)
    lat, lng, radius = caps([v.footprint for v in vs])
    xyz = ecef_unit(lat, lng) * EARTH_M
    reach = radius + margin_m
    found = _shell_cells_scalar(xyz, reach, plan.space_list, _SCALAR_KEY_COLUMNS)
    if found is None:
        los, his, _ = _key_ranges(plan, vs, xyz, reach, max_scalar_columns=0)
        n = his - los + 1  # ranges are never empty
        start = np.cumsum(n) - n
        return _sorted_unique([los.repeat(n) + (np.arange(int(n.sum())) - start.repeat(n))])
    # Per (query, space level) row: the key bits other than the cell's, for each level pair and
    # time bucket (the three fields are disjoint, so a key is their bitwise or).
    tails: list[list[int]] = []
    for v in vs:
        for pairs in plan.by_space:
            tail: list[int] = []
            for base, span in pairs:
                b0 = math.floor((v.t0 - TIME_ORIGIN) / span) - 1
                b1 = math.floor((v.t1 - TIME_ORIGIN) / span)
                for lo, hi in _bucket_ranges(b0, b1):
                    tail.extend(range(base | lo, (base | hi) + 1))
            tails.append(tail)
    if sum(len(codes) * len(tail) for codes, tail in zip(found, tails, strict=True)) > _PY_KEYS:
        # More keys (longer windows, larger margins): NumPy sorts them faster than Python.
        return _sorted_unique(
            [
                (np.array(codes, dtype=np.int64)[:, None] | np.array(tail, dtype=np.int64)).ravel()
                for codes, tail in zip(found, tails, strict=True)
            ]
        )
    keys: set[int] = set()
    for codes, tail in zip(found, tails, strict=True):
        for bits in tail:
            keys.update(map(bits.__or__, codes))
    return sorted(keys)


def _sorted_unique(parts: list[IntArray]) -> list[int]:
    """The distinct values of `parts`, sorted, as Python ints (sort and compare neighbours:
    np.unique hashes first, several times slower on a few thousand keys)."""
    every = np.concatenate([np.empty(0, dtype=np.int64), *parts])
    every.sort()
    keep = np.ones(len(every), dtype=np.bool_)
    keep[1:] = every[1:] != every[:-1]
    out: list[int] = every[keep].tolist()
    return out
