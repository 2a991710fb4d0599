"""Where aircraft will be after ``dt`` seconds of straight-line flight, in the tactical frame.

The detector predicts motion as straight lines in ECEF from each aircraft's local velocity
(:mod:`.frame`), so states reported at different times are brought to one instant the same
way: ECEF position plus velocity times ``dt``, dropped back onto the ellipsoid along its
normal (altitude moves by ``vs * dt`` apart). The track is re-read in the new point's local
frame (a great circle's heading changes along it); ground speed is kept as reported.

>>> import numpy as np
>>> lat, lon, alt, trk = extrapolate(np.array([0.0]), np.array([179.99]), np.array([1000.0]),
...                                  np.array([100.0]), np.array([90.0]), np.array([-1.0]),
...                                  np.array([20.0]))
>>> round(float(lon[0]), 4), float(alt[0]), round(float(trk[0]), 6)
(-179.992, 980.0, 90.0)
"""

from __future__ import annotations

import numpy as np
from pyproj import Transformer

from deconflict.tactical.frame import FloatArray, ecef_state

_TO_GEODETIC = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


def extrapolate(
    lat: FloatArray,
    lon: FloatArray,
    alt_m: FloatArray,
    gs_mps: FloatArray,
    trk_deg: FloatArray,
    vs_mps: FloatArray,
    dt_s: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """New (lat, lon, altitude, track) after ``dt_s`` (may be negative) of straight flight."""
    state = ecef_state(lat, lon, gs_mps, trk_deg)
    moved = state[0:3] + state[6:9] * dt_s
    lon2, lat2, _ = _TO_GEODETIC.transform(moved[0], moved[1], moved[2])
    lat2, lon2 = np.asarray(lat2, np.float64), np.asarray(lon2, np.float64)
    phi, lam = np.radians(lat2), np.radians(lon2)
    vx, vy, vz = state[6], state[7], state[8]
    east = -vx * np.sin(lam) + vy * np.cos(lam)
    north = -vx * np.sin(phi) * np.cos(lam) - vy * np.sin(phi) * np.sin(lam) + vz * np.cos(phi)
    # Aircraft at rest keep their reported track (atan2 of zeros would say north).
    trk = np.where(gs_mps > 0.0, np.degrees(np.arctan2(east, north)) % 360.0, trk_deg)
    return lat2, lon2, alt_m + vs_mps * dt_s, trk
