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
from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

from deconflict.geometry import Volume
from deconflict.geometry.geodesy import GEOD, cap, ecef_unit

EARTH_M = 6_371_008.8
SPACE_LEVELS_M = (4_000.0, 16_000.0, 64_000.0, 256_000.0, 1_024_000.0, 4_096_000.0)
TIME_LEVELS_S = (3_600.0, 28_800.0, 230_400.0, 1_843_200.0, 14_745_600.0, 117_964_800.0)
TIME_ORIGIN = 946_684_800.0  # 2000-01-01T00:00:00Z: keeps bucket numbers small and positive
# Cell coordinates are computed on a sphere; geodesic distances on WGS84 differ by < 0.7 %.
SLACK = 1.02
SLACK_M = 1_000.0
_CELL_BITS, _TIME_BITS = 12, 20


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
    off = 1 << (_CELL_BITS - 1)
    key = (ls << 3) | lt
    for c in (cx, cy, cz):
        key = (key << _CELL_BITS) | (c + off)
    return (key << _TIME_BITS) | (tb & ((1 << _TIME_BITS) - 1))


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
    top = key >> (3 * _CELL_BITS + _TIME_BITS)
    return top >> 3, top & 7


def query_keys(v: Volume, margin_m: float, levels: Iterable[tuple[int, int]]) -> Iterator[int]:
    """Every key under which a volume within `margin_m` of `v`, overlapping it in time, is kept."""
    center, radius = cap(v.footprint)
    xyz = ecef_unit(center.lat, center.lng) * EARTH_M
    for ls, lt in levels:
        size, span = SPACE_LEVELS_M[ls], TIME_LEVELS_S[lt]
        reach = (radius + margin_m + size / 2) * SLACK + SLACK_M
        lo = np.floor((xyz - reach) / size).astype(np.int64)
        hi = np.floor((xyz + reach) / size).astype(np.int64)
        # A stored window starts in its bucket and lasts at most one bucket.
        b0 = math.floor((v.t0 - TIME_ORIGIN) / span) - 1
        b1 = math.floor((v.t1 - TIME_ORIGIN) / span)
        for cx in range(int(lo[0]), int(hi[0]) + 1):
            for cy in range(int(lo[1]), int(hi[1]) + 1):
                for cz in range(int(lo[2]), int(hi[2]) + 1):
                    for tb in range(b0, b1 + 1):
                        yield pack(ls, lt, cx, cy, cz, tb)


class Columns:
    """Growable NumPy columns describing stored volumes, for the vectorised pre-filter."""

    NAMES = ("t0", "t1", "alo", "ahi", "lat", "lng", "r")

    def __init__(self) -> None:
        self.data = np.zeros((len(self.NAMES), 1024), dtype=np.float64)
        self.free: list[int] = []
        self.size = 0

    def add(self, v: Volume) -> int:
        c, r = cap(v.footprint)
        row = (v.t0, v.t1, v.alt_lower_m, v.alt_upper_m, c.lat, c.lng, r)
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
        self.free.append(slot)

    def near(
        self, slots: npt.NDArray[np.int64], v: Volume, h_margin_m: float, v_margin_m: float
    ) -> npt.NDArray[np.int64]:
        """The slots whose time, altitude and bounding cap can still conflict with `v`."""
        t0, t1, alo, ahi, lat, lng, r = self.data[:, slots]
        gap = np.maximum(alo, v.alt_lower_m) - np.minimum(ahi, v.alt_upper_m)
        ok = np.maximum(t0, v.t0) < np.minimum(t1, v.t1)
        ok &= gap < v_margin_m if v_margin_m > 0 else gap < 0
        slots, lat, lng, r = slots[ok], lat[ok], lng[ok], r[ok]
        if len(slots) == 0:
            return slots
        c, rv = cap(v.footprint)
        n = len(slots)
        _, _, d = GEOD.inv(np.full(n, c.lng), np.full(n, c.lat), lng, lat)
        keep: npt.NDArray[np.int64] = slots[np.asarray(d) < r + rv + h_margin_m]
        return keep


ALL_LEVELS = tuple(
    (ls, lt) for ls in range(len(SPACE_LEVELS_M)) for lt in range(len(TIME_LEVELS_S))
)


def query_key_ranges(
    v: Volume, margin_m: float, levels: Iterable[tuple[int, int]] = ALL_LEVELS
) -> list[tuple[int, int]]:
    """`query_keys` as merged inclusive [lo, hi] ranges (consecutive time buckets are adjacent
    keys), for `WHERE cell_key BETWEEN lo AND hi OR ...` in SQL."""
    keys = sorted(set(query_keys(v, margin_m, levels)))
    ranges: list[tuple[int, int]] = []
    for k in keys:
        if ranges and k == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], k)
        else:
            ranges.append((k, k))
    return ranges
