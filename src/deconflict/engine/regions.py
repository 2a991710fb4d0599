"""Coarse regions of space for write turns: the cells (ECEF cubes of `REGION_M`, as the index's
cells, so no antimeridian or pole seam) that a write's candidate search can reach.

A write's regions are the cells that meet its volumes' bounding caps grown by the largest
separation. Two writes whose volumes could conflict come closer than that separation, so a
point of one lies within the other's grown cap: the cell holding that point is a region of
both. Writes that share no region cannot conflict, and need not wait on each other."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

from deconflict.engine.index import EARTH_M, SLACK, SLACK_M
from deconflict.geometry import Volume
from deconflict.geometry.geodesy import caps, ecef_unit

REGION_M = 256_000.0
# A write reaching more regions than this takes the whole world's turn instead (see README):
# at most ~4 regions per volume within the default bounds, so only many spread volumes do.
MAX_REGIONS = 64
_OFFSET = 64  # region coordinates lie within ±25: offset and packed in 7 bits each


def region_of(lat: float, lng: float) -> int:
    """The region holding a point."""
    x, y, z = (float(c) * EARTH_M for c in ecef_unit(lat, lng))
    return _pack(math.floor(x / REGION_M), math.floor(y / REGION_M), math.floor(z / REGION_M))


def _pack(cx: int, cy: int, cz: int) -> int:
    return ((cx + _OFFSET) << 14) | ((cy + _OFFSET) << 7) | (cz + _OFFSET)


def _gap2(c: float, lo: float) -> float:
    """Squared distance from `c` to the interval [lo, lo + REGION_M] along one axis."""
    d = lo - c if c < lo else (c - lo - REGION_M if c > lo + REGION_M else 0.0)
    return d * d


def _cells_near(center: tuple[float, float, float], reach_m: float) -> Iterator[int]:
    """Regions whose cube meets both the ball of `reach_m` round `center` and the sphere.
    (Plain Python: a write's ball meets a handful of cubes, fewer than NumPy's call costs.)"""
    ranges = [
        range(math.floor((c - reach_m) / REGION_M), math.floor((c + reach_m) / REGION_M) + 1)
        for c in center
    ]
    reach2, inner2, outer2 = (reach_m + 1.0) ** 2, (EARTH_M - 1.0) ** 2, (EARTH_M + 1.0) ** 2
    (x, y, z) = center
    for cx in ranges[0]:
        gx, ax = _gap2(x, cx * REGION_M), _axis(cx)
        for cy in ranges[1]:
            gy, ay = _gap2(y, cy * REGION_M), _axis(cy)
            for cz in ranges[2]:
                if gx + gy + _gap2(z, cz * REGION_M) > reach2:
                    continue
                az = _axis(cz)
                near, far = ax[0] + ay[0] + az[0], ax[1] + ay[1] + az[1]
                if near <= outer2 and far >= inner2:  # the cube meets the sphere
                    yield _pack(cx, cy, cz)


def _axis(c: int) -> tuple[float, float]:
    """Squared nearest and farthest distance from 0 along one axis of cube `c`."""
    lo, hi = c * REGION_M, (c + 1) * REGION_M
    near = 0.0 if lo <= 0.0 <= hi else min(lo * lo, hi * hi)
    return near, max(lo * lo, hi * hi)


def regions(volumes: Iterable[Volume], margin_m: float) -> frozenset[int] | None:
    """The regions a write of `volumes` covers with separation `margin_m`; None when they are
    more than `MAX_REGIONS` (the write then takes every region's turn)."""
    vols = list(volumes)
    if not vols:
        return frozenset()
    lat, lng, radius = caps([v.footprint for v in vols])
    centers = ecef_unit(lat, lng) * EARTH_M
    # The cap is on the sphere (the index's model): a chord is never longer than its arc.
    reaches = (radius + margin_m) * SLACK + SLACK_M
    out: set[int] = set()
    for (x, y, z), reach in zip(centers.tolist(), reaches.tolist(), strict=True):
        if reach > MAX_REGIONS * REGION_M:
            return None
        out.update(_cells_near((x, y, z), reach))
        if len(out) > MAX_REGIONS:
            return None
    return frozenset(out)
