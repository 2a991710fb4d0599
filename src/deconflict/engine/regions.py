"""Coarse regions of space for write turns: the cells (ECEF cubes of `REGION_M`, as the index's
cells, so no antimeridian or pole seam) that a write's candidate search can reach.

A write's regions are the cells that meet its volumes' bounding caps grown by the largest
separation. Two writes whose volumes could conflict come closer than that separation, so a
point of one lies within the other's grown cap: the cell holding that point is a region of
both. Writes that share no region cannot conflict, and need not wait on each other."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

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
    c = np.floor(ecef_unit(lat, lng) * EARTH_M / REGION_M).astype(np.int64)
    return _pack(c.reshape(1, 3))[0]


def _pack(cells: np.ndarray) -> list[int]:
    c = cells + _OFFSET
    return [int(v) for v in (c[:, 0] << 14) | (c[:, 1] << 7) | c[:, 2]]


def _cells_near(center: np.ndarray, reach_m: float) -> np.ndarray:
    """Cells (n, 3) whose cube meets both the ball of `reach_m` round `center` and the sphere."""
    lo = np.floor((center - reach_m) / REGION_M).astype(np.int64)
    hi = np.floor((center + reach_m) / REGION_M).astype(np.int64)
    axes = [np.arange(a, b + 1) for a, b in zip(lo, hi, strict=True)]
    cells = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    box_lo, box_hi = cells * REGION_M, (cells + 1) * REGION_M
    gap = np.clip(center, box_lo, box_hi) - center
    near_ball = (gap**2).sum(axis=1) <= (reach_m + 1.0) ** 2
    inner = (np.clip(0.0, box_lo, box_hi) ** 2).sum(axis=1)
    outer = (np.maximum(np.abs(box_lo), np.abs(box_hi)) ** 2).sum(axis=1)
    on_sphere = (inner <= (EARTH_M + 1.0) ** 2) & (outer >= (EARTH_M - 1.0) ** 2)
    out: np.ndarray = cells[near_ball & on_sphere]
    return out


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
    for center, reach in zip(centers, reaches, strict=True):
        if reach > MAX_REGIONS * REGION_M:
            return None
        out.update(_pack(_cells_near(center, float(reach))))
        if len(out) > MAX_REGIONS:
            return None
    return frozenset(out)
