"""Live-track conflict detection: which pairs of tracks will lose separation within a look-ahead.

>>> import numpy as np
>>> r = detect(np.array([0.0, 0.0]), np.array([0.0, 0.5]), np.full(2, 10000.0),
...            np.full(2, 200.0), np.array([90.0, 270.0]), np.zeros(2))
>>> r.pairs.tolist(), round(float(r.tcpa_s[0])), bool(r.los[0])
([[0, 1]], 139, False)

Semantics are BlueSky 1.1.1's compiled state-based detector (``cstatebased.detect``), whose
boundaries :mod:`.cpa` details. In short, for straight-line motion over ``lookahead_s``:

* horizontal loss is ``distance < h_sep_m`` (strict), so a CPA exactly at ``h_sep_m`` is no
  conflict; vertical loss is ``|dalt| < v_sep_m − 1 µm``, so aircraft exactly ``v_sep_m``
  apart (adjacent flight levels at 1,000 ft, whatever the feet-to-metres rounding) are
  separated; equal vertical speeds: inside stays inside for ever, outside never enters;
* a pair conflicts when ``t_in <= lookahead_s and t_in < t_out and t_out > 0``, with
  ``t_in = max(horizontal entry, vertical entry clipped at 0)`` and ``t_out`` the earlier exit;
  ``los`` is separation lost now (both distances below the minima);
* unlike BlueSky: identical velocities in loss of separation are a conflict (BlueSky drops
  them on 0/0), level pairs have no 1e4 s vertical exit, and ``lon`` wraps at ±180°.

Earth model (:mod:`.frame`): WGS84 ECEF positions, each pair solved in the tangent plane at its
midpoint with both velocities expressed there. Compared with BlueSky's flat earth (6,371 km
sphere, velocities not rotated for meridian convergence) dcpa differs by up to ~0.8 km and
about 1 % of pairs near a boundary differ; against geodesic trajectories (pyproj) ours is within
1 m, BlueSky off by ~30 m median, ~220 m at worst.
Candidate pairs come from a space-time hash (:mod:`.prune`), never from all pairs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from attrs import frozen
from numpy.typing import ArrayLike

from deconflict.tactical.cpa import (
    ALTITUDE_ROUNDING_M,
    PairGeometry,
    judge,
    vertical_verdict,
)
from deconflict.tactical.frame import (
    FloatArray,
    IntArray,
    ecef_state,
    ground_speed,
    wgs84_relative,
)
from deconflict.tactical.prune import candidate_pairs

# Relative geometry of pairs (i, j): (distance, r·v, |v|²); see frame.py.
RelativeFn = Callable[[IntArray, IntArray], tuple[FloatArray, ...]]

_MARGIN_FRACTION = 1e-3  # pruning slack for projection and rounding, relative to the minima
_MARGIN_M = 50.0
_MIN_EARTH_RADIUS_M = 6.3e6  # below WGS84's smallest radius of curvature (6,335 km)


@frozen
class Detection:
    """Conflicting pairs and, per pair, what BlueSky reports about it.

    ``pairs`` is K×2 int64 with ``i < j``, rows sorted. ``tcpa_s`` (may be negative when in
    loss and diverging) and ``dcpa_m`` locate the horizontal closest approach; ``t_in_s`` (≥ 0)
    and ``t_out_s`` (may be +inf) bound the predicted loss of separation; ``los`` is True when
    separation is already lost.
    """

    pairs: IntArray
    tcpa_s: FloatArray
    dcpa_m: FloatArray
    t_in_s: FloatArray
    t_out_s: FloatArray
    los: np.ndarray


def detect(
    lat: ArrayLike,
    lon: ArrayLike,
    alt_m: ArrayLike,
    gs_mps: ArrayLike,
    trk_deg: ArrayLike,
    vs_mps: ArrayLike,
    *,
    h_sep_m: float = 9260.0,
    v_sep_m: float = 304.8,
    lookahead_s: float = 300.0,
) -> Detection:
    """Conflicts among N aircraft (degrees, metres, m/s, true track in degrees, m/s)."""
    arrays = _validated(
        lat=lat, lon=lon, alt_m=alt_m, gs_mps=gs_mps, trk_deg=trk_deg, vs_mps=vs_mps
    )
    _check_parameters(h_sep_m=h_sep_m, v_sep_m=v_sep_m, lookahead_s=lookahead_s)
    lat_, lon_, alt, gs, trk, vs = arrays
    state = ecef_state(lat_, lon_, gs, trk)

    def relative(i: IntArray, j: IntArray) -> tuple[FloatArray, ...]:
        return wgs84_relative(state, i, j)

    return detect_with(
        relative, state, alt, vs, h_sep_m=h_sep_m, v_sep_m=v_sep_m, lookahead_s=lookahead_s
    )


def detect_with(
    relative: RelativeFn,
    state: FloatArray,
    alt: FloatArray,
    vs: FloatArray,
    *,
    h_sep_m: float,
    v_sep_m: float,
    lookahead_s: float,
    extra_margin_m: float = 0.0,
) -> Detection:
    """Prune with ECEF ``state``, then judge candidates with the ``relative`` earth model.

    ``extra_margin_m`` widens pruning for models that differ from ECEF straight lines by more
    than metres (BlueSky's flat earth, used to prove the logic identical).
    """
    reach = h_sep_m + _MARGIN_M + _MARGIN_FRACTION * h_sep_m + extra_margin_m
    i, j = candidate_pairs(
        state,
        alt,
        vs,
        h_reach_m=_ecef_reach(state, reach, lookahead_s),
        v_reach_m=v_sep_m + 1.0 + 1e-6 * lookahead_s,
        lookahead_s=lookahead_s,
    )
    dalt, dvs = alt[i] - alt[j], vs[i] - vs[j]
    # The vertical verdict is cheap and rejects most candidates before any trigonometry.
    vertical = vertical_verdict(dalt, dvs, v_sep_m - ALTITUDE_ROUNDING_M, lookahead_s)[0]
    i, j, dalt, dvs = i[vertical], j[vertical], dalt[vertical], dvs[vertical]
    dist, closing, vrel2 = relative(i, j)
    verdict = judge(PairGeometry(dist, closing, vrel2, dalt, dvs), h_sep_m, v_sep_m, lookahead_s)
    keep = verdict.conflict
    return Detection(
        pairs=np.stack([i[keep], j[keep]], axis=1).reshape(-1, 2),
        tcpa_s=verdict.tcpa[keep],
        dcpa_m=verdict.dcpa[keep],
        t_in_s=verdict.t_in[keep],
        t_out_s=verdict.t_out[keep],
        los=verdict.los[keep],
    )


def _ecef_reach(state: FloatArray, reach: float, lookahead_s: float) -> float:
    """ECEF distance that two aircraft within ``reach`` in their pair's tangent plane can have.

    Pruning moves aircraft on straight ECEF lines, which rise (v t)²/2R above the surface, and
    a pair's plane is tilted by at most (path length + reach)/R against the local surface, so
    the out-of-plane gap is bounded and adds in quadrature.
    """
    speed = float(ground_speed(state).max(initial=0.0))
    path = speed * lookahead_s
    radial = (0.5 * path * path + reach * (2.0 * path + reach)) / _MIN_EARTH_RADIUS_M
    return float(np.hypot(reach, radial))


def _validated(**arrays: ArrayLike) -> list[FloatArray]:
    """1-D finite float64 arrays of one length; ``ValueError`` names the culprit."""
    out: list[FloatArray] = []
    size: int | None = None
    for name, value in arrays.items():
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError(f"{name}: must be one-dimensional, got shape {arr.shape}")
        if size is not None and arr.size != size:
            raise ValueError(f"{name}: length {arr.size} differs from lat's {size}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: values must be finite")
        size = arr.size
        out.append(arr)
    if np.any(np.abs(out[0]) > 90.0):
        raise ValueError("lat: values must lie within ±90 degrees")
    return out


def _check_parameters(**values: float) -> None:
    for name, value in values.items():
        if not np.isfinite(value) or value < 0.0 or (name != "lookahead_s" and value == 0.0):
            raise ValueError(f"{name}: must be a finite positive number, got {value!r}")
