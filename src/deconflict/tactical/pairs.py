"""Conflicting pairs among live tracks, all brought to one instant, and when both sides of a
pair must be told again. Pure: rows are any records with the state fields, `now` is given."""

from __future__ import annotations

from typing import Any

import numpy as np
from attrs import frozen

from deconflict.geometry.geodesy import midpoint
from deconflict.geometry.model import LatLng
from deconflict.tactical.detector import detect
from deconflict.tactical.extrapolate import extrapolate
from deconflict.tactical.frame import FloatArray
from deconflict.tactical.settings import TrackSettings

TrackKey = tuple[str, str]  # (party, aircraft)
PairKey = tuple[str, str, str, str]
StateColumns = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]

STATE = ("lat", "lng", "alt_m", "gs_mps", "trk_deg", "vs_mps")


@frozen
class PairHit:
    """One conflicting pair at the detection instant; `a` < `b` as track keys."""

    a: TrackKey
    b: TrackKey
    tcpa_s: float
    dcpa_m: float
    t_in_s: float
    los: bool
    states: dict[TrackKey, dict[str, float]]
    cpa: LatLng

    @property
    def key(self) -> PairKey:
        return (*self.a, *self.b)


def hits(rows: list[Any], now: float, cfg: TrackSettings) -> list[PairHit]:
    """Conflicting pairs of different parties among `rows`, all extrapolated to `now`."""
    if len(rows) < 2:
        return []
    col = {k: np.array([getattr(r, k) for r in rows], np.float64) for k in (*STATE, "time")}
    # One instant for all: detection compares where aircraft are, not where they were seen.
    moved = extrapolate(*_states(col), now - col["time"])
    col.update(zip(("lat", "lng", "alt_m", "trk_deg"), moved, strict=True))
    found = detect(
        *_states(col),
        h_sep_m=cfg.h_sep_m,
        v_sep_m=cfg.v_sep_m,
        lookahead_s=cfg.lookahead_s,
    )
    keys = [(r.party_id, r.aircraft_id) for r in rows]
    out = []
    for n, (i, j) in enumerate(found.pairs.tolist()):
        if rows[i].party_id != rows[j].party_id:
            i, j = (i, j) if keys[i] < keys[j] else (j, i)
            out.append(
                PairHit(
                    a=keys[i],
                    b=keys[j],
                    tcpa_s=float(found.tcpa_s[n]),
                    dcpa_m=float(found.dcpa_m[n]),
                    t_in_s=float(found.t_in_s[n]),
                    los=bool(found.los[n]),
                    states={keys[k]: {name: float(col[name][k]) for name in STATE} for k in (i, j)},
                    cpa=cpa(col, [i, j], max(float(found.tcpa_s[n]), 0.0)),
                )
            )
    return out


def _states(col: dict[str, FloatArray]) -> StateColumns:
    """lat, lng, alt_m, gs_mps, trk_deg, vs_mps: the order the tactical functions take."""
    return col["lat"], col["lng"], col["alt_m"], col["gs_mps"], col["trk_deg"], col["vs_mps"]


def cpa(col: dict[str, FloatArray], pair: list[int], tcpa_s: float) -> LatLng:
    """Midway between the two aircraft at their closest approach (now, if it is past)."""
    two = {k: v[pair] for k, v in col.items()}
    lat, lng, _, _ = extrapolate(*_states(two), np.full(2, tcpa_s))
    return midpoint(LatLng(float(lat[0]), float(lng[0])), LatLng(float(lat[1]), float(lng[1])))


def reason(
    row: Any, hit: PairHit, raised: set[TrackKey], now: float, realert_s: float
) -> str | None:
    """Why both sides must be told of `hit` now (`row`: the pair as remembered), or None."""
    if hit.a in raised or hit.b in raised:
        return "nonconforming"
    if row is None or not row.active:
        return "new"
    if bool(row.los) != hit.los:
        return "los"
    if now - row.alerted_at >= realert_s:
        return "realert"
    return None
