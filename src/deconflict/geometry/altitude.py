"""Altitudes in any unit and reference, to a W84 (ellipsoid) metre interval that surely holds
the true height — conservative: a conversion may widen a band, never shrink it.

No geoid or terrain model ships with the service (none is packaged for offline use), so each
reference is widened by the worst case of what it leaves unknown:

- `W84`: exact (feet to metres only).
- `AMSL`: the geoid undulation N (W84 = AMSL + N) lies within [-110, +110] m anywhere on Earth
  (EGM2008's extremes are -106.6 m and +85.8 m).
- `AGL` / `SFC`: the ground lies between -450 m (the Dead Sea shore, about -440 m in 2026 and
  falling ~1 m a year) and +8,850 m (Everest) above mean sea level, plus the geoid as above.
- Flight levels (`units: "FL"`, `reference: "STD"`): a pressure altitude Hp = FL × 100 ft. Its
  height above mean sea level is taken as (Hp - Hq) × k, where Hq is the pressure altitude of
  mean sea level (QNH anywhere within 940-1060 hPa: Hq within [-382, +629] m) and k the
  temperature ratio for air within ISA ± 40 K (k within [1 - 40/216.65, 1 + 40/216.65]); the
  interval is exact over that model, then the geoid is added as for AMSL.

>>> to_w84(100.0, "FT", "W84")
Band(lower=30.48, upper=30.48)
>>> to_w84(0.0, "M", "AMSL")
Band(lower=-110.0, upper=110.0)
"""

from __future__ import annotations

from attrs import frozen

FOOT_M = 0.3048
FLIGHT_LEVEL_M = 100 * FOOT_M
GEOID_MIN_M, GEOID_MAX_M = -110.0, 110.0
GROUND_MIN_M, GROUND_MAX_M = -450.0, 8_850.0  # above mean sea level
QNH_MIN_HPA, QNH_MAX_HPA = 940.0, 1060.0
ISA_DEVIATION_K = 40.0
TROPOPAUSE_K = 216.65  # the coldest ISA temperature: the largest relative error

UNITS = {"M": 1.0, "FT": FOOT_M, "FL": FLIGHT_LEVEL_M}
REFERENCES = ("W84", "AMSL", "AGL", "SFC", "STD")


@frozen
class Band:
    """A closed interval of W84 heights in metres."""

    lower: float
    upper: float


def pressure_altitude_m(pressure_hpa: float) -> float:
    """ISA pressure altitude of a pressure (troposphere formula)."""
    return float(44_330.77 * (1.0 - (pressure_hpa / 1013.25) ** 0.190263))


def _amsl_of_flight_level(hp_m: float) -> Band:
    hq = (pressure_altitude_m(QNH_MAX_HPA), pressure_altitude_m(QNH_MIN_HPA))
    k = (1.0 - ISA_DEVIATION_K / TROPOPAUSE_K, 1.0 + ISA_DEVIATION_K / TROPOPAUSE_K)
    corners = [(hp_m - q) * r for q in hq for r in k]  # bilinear: extremes at the corners
    return Band(min(corners), max(corners))


def to_w84(value: float, units: str, reference: str) -> Band:
    """The W84 metre interval holding a height given in `units` above `reference`."""
    metres = value * UNITS[units]
    if reference == "W84":
        return Band(metres, metres)
    if reference == "AMSL":
        return Band(metres + GEOID_MIN_M, metres + GEOID_MAX_M)
    if reference in ("AGL", "SFC"):
        return Band(metres + GROUND_MIN_M + GEOID_MIN_M, metres + GROUND_MAX_M + GEOID_MAX_M)
    if reference == "STD":
        amsl = _amsl_of_flight_level(metres)
        return Band(amsl.lower + GEOID_MIN_M, amsl.upper + GEOID_MAX_M)
    raise ValueError(f"unknown reference {reference!r}")
