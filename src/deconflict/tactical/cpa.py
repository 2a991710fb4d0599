"""Closest point of approach and conflict decision for candidate pairs, as BlueSky decides it.

This mirrors BlueSky 1.1.1's compiled ``cstatebased.detect`` (``detect_hor``, ``detect_ver``
and the combination in ``cstatebased.cpp``) operation by operation, vectorised over pairs:

* horizontal: ``los_h = d < h_sep`` (strict). A pair that is diverging (relative
  position · relative velocity < 0) and not in horizontal loss is dropped.
  ``tcpa = (r·v)/|v|²``, ``dcpa² = d² − (r·v)·tcpa``, and the horizontal interval is
  ``tcpa ∓ sqrt(max(h_sep² − dcpa², 0)/|v|²)``; a CPA at or beyond ``h_sep`` yields an empty
  interval, which the strict ``t_in < t_out`` below rejects.
* vertical: ``los_v = |dalt| < v_sep`` (strict), so two level aircraft exactly ``v_sep`` apart
  (adjacent flight levels at the 1,000 ft default) are **not** in conflict. If
  ``|dvs| > 1e-6`` m/s the interval is between the times the gap crosses ``±v_sep``, with
  entry clipped at 0; the vertical part holds if ``t_in <= lookahead`` and ``t_out > 0``.
  Otherwise (level, or identical vertical speeds) it holds if and only if ``los_v``.
  Here ``v_sep`` is first reduced by 1 µm (far below any altimeter's resolution), see below.
* conflict: ``t_in = max(t_in_h, t_in_v)``, ``t_out = min(t_out_h, t_out_v)`` and
  ``t_in <= lookahead and t_in < t_out and t_out > 0`` (BlueSky's compiled condition; its
  NumPy ``StateBased`` uses ``t_in < lookahead`` instead).

Three deliberate divergences from BlueSky:

* exactly ``v_sep`` apart: altitudes converted from feet carry float rounding (FL310 − FL300
  is 304.79999999999927 m in float64), so BlueSky's plain ``|dalt| < v_sep`` puts 29 of the
  59 adjacent flight-level pairs from FL10 to FL600 in conflict at ``v_sep = 304.8`` and the
  other 30 not. The vertical minimum is therefore ``v_sep − 1 µm``: a gap equal to ``v_sep``
  up to rounding is separation, not loss. Pairs differ from BlueSky's only when ``|dalt|`` is
  within 1 µm of ``v_sep`` (or a vertical crossing time shifts by ``1 µm / |dvs|``).

* identical velocities (``|v|² == 0``): BlueSky divides 0 by 0 and silently drops the pair
  even when separation is already lost. Here the horizontal distance is constant, so the
  pair is in conflict for all time if ``d < h_sep`` (``tcpa = 0``, ``dcpa = d``).
* level pairs: BlueSky reports a vertical exit time of 1e4 s; here it is +inf, so ``t_out``
  is the horizontal exit. This changes the pair set only for look-aheads beyond 1e4 s.
"""

from __future__ import annotations

import numpy as np
from attrs import frozen

from deconflict.tactical.frame import FloatArray

_LEVEL_DVS = 1e-6  # BlueSky's threshold below which the vertical rate difference is zero
ALTITUDE_ROUNDING_M = 1e-6  # gaps within this of v_sep count as exactly v_sep (separated)


@frozen
class PairGeometry:
    """Per candidate pair: horizontal distance, r·v, |v|², altitude and vertical-rate gaps."""

    dist: FloatArray
    closing: FloatArray
    vrel2: FloatArray
    dalt: FloatArray
    dvs: FloatArray


@frozen
class PairVerdict:
    """Per candidate pair: conflict flag, loss flag and the CPA quantities BlueSky reports."""

    conflict: np.ndarray
    los: np.ndarray
    tcpa: FloatArray
    dcpa: FloatArray
    t_in: FloatArray
    t_out: FloatArray


def judge(g: PairGeometry, h_sep: float, v_sep: float, lookahead: float) -> PairVerdict:
    """Decide conflicts for every pair of ``g`` (see the module docstring for the rules)."""
    los_h = g.dist < h_sep
    tcpa, dcpa2, t_in_h, t_out_h = _horizontal(g, h_sep, los_h)
    v_sep = v_sep - ALTITUDE_ROUNDING_M
    ok_v, t_in_v, t_out_v = vertical_verdict(g.dalt, g.dvs, v_sep, lookahead)
    t_in = np.maximum(t_in_h, t_in_v)
    t_out = np.minimum(t_out_h, t_out_v)
    converging_or_los = ~((g.closing < 0.0) & ~los_h)
    with np.errstate(invalid="ignore"):  # NaN intervals compare False, as in BlueSky
        conflict = ok_v & converging_or_los & (t_in <= lookahead) & (t_in < t_out) & (t_out > 0.0)
    los = los_h & (np.abs(g.dalt) < v_sep)
    return PairVerdict(conflict, los, tcpa, np.sqrt(np.maximum(dcpa2, 0.0)), t_in, t_out)


def _horizontal(
    g: PairGeometry, h_sep: float, los_h: np.ndarray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """tcpa, dcpa², and horizontal entry and exit times."""
    moving = g.vrel2 > 0.0
    safe_vrel2 = np.where(moving, g.vrel2, 1.0)
    tcpa = np.where(moving, g.closing / safe_vrel2, 0.0)
    dcpa2 = g.dist * g.dist - g.closing * tcpa
    half = np.sqrt(np.maximum(h_sep * h_sep - dcpa2, 0.0) / safe_vrel2)
    # Constant separation: inside for ever if inside now, never otherwise.
    t_in = np.where(moving, tcpa - half, np.where(los_h, -np.inf, np.inf))
    t_out = np.where(moving, tcpa + half, np.where(los_h, np.inf, -np.inf))
    return tcpa, dcpa2, t_in, t_out


def vertical_verdict(
    dalt: FloatArray, dvs: FloatArray, v_sep: float, lookahead: float
) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """Vertical verdict and entry and exit times, as BlueSky's ``detect_ver`` (``v_sep`` as is)."""
    moving = np.abs(dvs) > _LEVEL_DVS
    rate = np.where(moving, -dvs, 1.0)
    cross_hi = (dalt + v_sep) / rate
    cross_lo = (dalt - v_sep) / rate
    t_in = np.where(moving, np.maximum(0.0, np.minimum(cross_lo, cross_hi)), 0.0)
    t_out = np.where(moving, np.maximum(cross_lo, cross_hi), np.inf)
    ok = np.where(moving, (t_in <= lookahead) & (t_out > 0.0), np.abs(dalt) < v_sep)
    return ok, t_in, t_out
