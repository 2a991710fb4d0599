"""Candidate pairs for tactical detection: a space-time hash over each aircraft's swept path.

The look-ahead is cut into time slices. In each slice an aircraft sweeps a short straight ECEF
segment and an altitude interval; their bounding box, inflated by half the separation (plus a
safety margin) on every side, is rasterised into a grid of ECEF cells × altitude cells. Two
aircraft that come within the separation minima at the same instant have overlapping boxes in
that instant's slice, so they share at least one cell: the pruning has no false negatives.
Cells are hashed into one int64 key per (slice, cell), sorted, and pairs are formed inside each
run of equal keys. A pair is kept only in the cell holding the lowest corner of the two boxes'
intersection, so it is emitted once per slice; duplicates across slices are removed by a
sort. The number of slices follows traffic density. ECEF cells need no antimeridian or pole
special case. Memory is linear in the number of aircraft plus the number of candidate pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from deconflict.tactical.frame import FloatArray, IntArray, ground_speed

_EARTH_SPAN_M = 1.3e7  # ECEF coordinates of surface points lie within ±6.4e6 m
_MAX_CELLS_PER_AXIS = 2**14  # keeps the packed key of 3 ECEF axes + altitude + slice < 2**63
_ALL_AXES = 0b1111
_ALL_PAIRS_UP_TO = 5000  # below ~100 aircraft all pairs are cheaper than hashing (measured)


def candidate_pairs(
    state: FloatArray,
    alt: FloatArray,
    vs: FloatArray,
    *,
    h_reach_m: float,
    v_reach_m: float,
    lookahead_s: float,
    slices: int | None = None,
) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)``, ``i < j``, sorted, that may come within the reaches during look-ahead.

    ``h_reach_m`` and ``v_reach_m`` must already include every model and rounding margin.
    ``slices`` defaults to a choice by traffic density (:func:`_slices_for`).
    """
    n = alt.size
    if n * (n - 1) // 2 <= _ALL_PAIRS_UP_TO:
        # Tiny inputs: every pair costs less than building the hash.
        i, j = np.triu_indices(n, k=1)
        return i.astype(np.int64), j.astype(np.int64)
    speed = float(ground_speed(state).max())
    if slices is None:
        slices = _slices_for(state, h_reach_m + speed * lookahead_s)
    lo, hi = _slice_boxes(state, alt, vs, h_reach_m, v_reach_m, lookahead_s, slices)
    climb = float(np.abs(vs).max())
    dt = lookahead_s / slices
    h_cell = max(h_reach_m + speed * dt, _EARTH_SPAN_M / _MAX_CELLS_PER_AXIS)
    alt_span = float(hi[:, 3].max() - lo[:, 3].min())
    # Half-height altitude cells: level aircraft then hash into 1-2 cells, and far fewer
    # vertically separated pairs share one (measured on bench/tactical.py).
    v_cell = max(0.5 * (v_reach_m + climb * dt), alt_span / _MAX_CELLS_PER_AXIS, 1.0)
    size = np.array([h_cell, h_cell, h_cell, v_cell])
    ilo = np.floor(lo / size).astype(np.int64)
    ihi = np.floor(hi / size).astype(np.int64)
    first, second = _pairs_sharing_cells(ilo, ihi, slices)
    # Entries are slice-major: entry = slice * n + aircraft.
    a, b = (first % n).astype(np.int64), (second % n).astype(np.int64)
    codes = np.sort(np.minimum(a, b) * n + np.maximum(a, b))
    if codes.size:  # sort + mask beats np.unique's hashing here
        codes = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return codes // n, codes % n


def _slices_for(state: FloatArray, cell_m: float) -> int:
    """Time slices by density: dense traffic gains from the same-instant test, sparse doesn't.

    Density is the mean number of aircraft sharing an aircraft's look-ahead-sized ECEF cell;
    thresholds were measured on bench/tactical.py (100,000 worldwide: ~3 → 1 slice; 5,000 in
    a 500 km box: ~120 → 3; 20,000 in that box: ~480 → 4).
    """
    size = max(cell_m, _EARTH_SPAN_M / _MAX_CELLS_PER_AXIS)
    cell = np.floor(state[0:3] / size).astype(np.int64) + _MAX_CELLS_PER_AXIS // 2
    key = (cell[0] * _MAX_CELLS_PER_AXIS + cell[1]) * _MAX_CELLS_PER_AXIS + cell[2]
    counts = np.unique(key, return_counts=True)[1].astype(np.float64)
    sharing = float((counts * counts).sum() / counts.sum())
    return 1 if sharing < 10 else 2 if sharing < 60 else 3 if sharing < 300 else 4


def _slice_boxes(
    state: FloatArray,
    alt: FloatArray,
    vs: FloatArray,
    h_reach_m: float,
    v_reach_m: float,
    lookahead_s: float,
    slices: int,
) -> tuple[FloatArray, FloatArray]:
    """Inflated boxes (x, y, z, altitude) of every (slice, aircraft), slice-major, E×4 each."""
    n = alt.size
    times = np.linspace(0.0, lookahead_s, slices + 1)
    pos = np.stack([state[0], state[1], state[2], alt], axis=1)
    vel = np.stack([state[6], state[7], state[8], vs], axis=1)
    ends = pos[None, :, :] + times[:, None, None] * vel[None, :, :]  # (slices+1)×N×4
    lo = np.minimum(ends[:-1], ends[1:]).reshape(slices * n, 4)
    hi = np.maximum(ends[:-1], ends[1:]).reshape(slices * n, 4)
    grow = np.array([h_reach_m, h_reach_m, h_reach_m, v_reach_m]) / 2.0
    return lo - grow, hi + grow


def _pairs_sharing_cells(ilo: IntArray, ihi: IntArray, slices: int) -> tuple[IntArray, IntArray]:
    """Entry pairs whose cell ranges overlap, each reported once (in its reference cell)."""
    n_entries = ilo.shape[0]
    base = ilo.min(axis=0)
    extent = ihi.max(axis=0) - base + 1
    entry, keys, low_edges = _rasterise(ilo - base, ihi - ilo + 1, extent)
    keys += (entry // (n_entries // slices)).astype(np.int64) * int(extent.prod())
    order = np.argsort(keys)
    keys, entry, low_edges = keys[order], entry[order], low_edges[order]
    first, second = _runs_pairs(keys)
    # A shared cell is the lowest corner of the two boxes' intersection exactly when, on every
    # axis, it is the low edge of one of the boxes: report the pair only in that cell.
    keep = np.flatnonzero((low_edges[first] | low_edges[second]) == _ALL_AXES)
    return entry[first[keep]], entry[second[keep]]


def _rasterise(
    ilo: IntArray, counts: IntArray, extent: IntArray
) -> tuple[IntArray, IntArray, NDArray[np.uint8]]:
    """Every (entry, cell) with the cell in the entry's box: entry, packed cell, low-edge bits."""
    per_entry = counts.prod(axis=1)
    entry = np.repeat(np.arange(ilo.shape[0], dtype=_index_type(ilo.shape[0])), per_entry)
    rank = np.arange(entry.size, dtype=np.int64) - np.repeat(
        np.cumsum(per_entry) - per_entry, per_entry
    )
    key = np.zeros(entry.size, np.int64)
    low_edges = np.zeros(entry.size, np.uint8)
    stride = 1
    for axis in range(3, -1, -1):
        count = np.repeat(counts[:, axis], per_entry)
        digit = rank % count
        rank //= count
        key += (np.repeat(ilo[:, axis], per_entry) + digit) * stride
        low_edges |= (digit == 0).astype(np.uint8) << axis
        stride *= int(extent[axis])
    return entry, key, low_edges


def _index_type(size: int) -> type[np.signedinteger[Any]]:
    """int32 where it can index ``size`` items: half the memory traffic of int64."""
    return np.int32 if size < 2**31 - 1 else np.int64


def _runs_pairs(sorted_keys: IntArray) -> tuple[IntArray, IntArray]:
    """Index pairs ``p < q`` of positions holding equal keys in a sorted array."""
    size = sorted_keys.size
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], size]
    position = np.arange(size, dtype=_index_type(size))
    partners = np.repeat(ends, ends - starts) - position - 1
    before = np.cumsum(partners, dtype=np.int64) - partners  # pairs emitted by earlier positions
    first = np.repeat(position, partners)
    # The k-th partner of p (k = 0, 1, ...) is p + 1 + k, and k = pair index - before[p].
    second = np.arange(first.size, dtype=_index_type(first.size)) + np.repeat(
        (position + 1 - before).astype(_index_type(first.size)), partners
    )
    return first, second
