"""Altitude conversions are conservative: the W84 band always holds the true height under the
stated model (geoid, ground and pressure margins), drawn at random within that model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import EPOCH

from deconflict.errors import InvalidVolume
from deconflict.geometry import parse_volume
from deconflict.geometry.altitude import (
    FOOT_M,
    GEOID_MAX_M,
    GEOID_MIN_M,
    GROUND_MAX_M,
    GROUND_MIN_M,
    ISA_DEVIATION_K,
    QNH_MAX_HPA,
    QNH_MIN_HPA,
    pressure_altitude_m,
    to_w84,
)

values = st.floats(-2_000, 60_000, allow_nan=False)
units = st.sampled_from(["M", "FT"])
geoid = st.floats(GEOID_MIN_M, GEOID_MAX_M)


def isa_temperature(h: np.ndarray) -> np.ndarray:
    return np.where(h < 11_000, 288.15 - 0.0065 * h, 216.65)


def true_amsl_of_pressure_altitude(hp: float, qnh: float, deviation_k: float) -> float:
    """Height above mean sea level of the pressure level `hp` when mean sea level has pressure
    `qnh` and the air is ISA + deviation: dz = (T / T_isa) dh_pressure, integrated."""
    hq = pressure_altitude_m(qnh)
    h = np.linspace(hq, hp, 2001)
    ratio = (isa_temperature(h) + deviation_k) / isa_temperature(h)
    return float(np.sum((ratio[1:] + ratio[:-1]) / 2 * np.diff(h)))


@given(values, units)
def test_w84_is_exact(value: float, unit: str) -> None:
    band = to_w84(value, unit, "W84")
    assert band.lower == band.upper == value * (FOOT_M if unit == "FT" else 1.0)


@given(values, units, geoid)
def test_amsl_band_holds_every_geoid(value: float, unit: str, n: float) -> None:
    band = to_w84(value, unit, "AMSL")
    true = value * (FOOT_M if unit == "FT" else 1.0) + n
    assert band.lower <= true <= band.upper


@given(values, units, st.floats(GROUND_MIN_M, GROUND_MAX_M), geoid, st.sampled_from(["AGL", "SFC"]))
def test_agl_band_holds_every_ground(
    value: float, unit: str, ground: float, n: float, ref: str
) -> None:
    band = to_w84(value, unit, ref)
    true = value * (FOOT_M if unit == "FT" else 1.0) + ground + n
    assert band.lower <= true <= band.upper


@given(
    st.floats(0, 600),
    st.floats(QNH_MIN_HPA, QNH_MAX_HPA),
    st.floats(-ISA_DEVIATION_K, ISA_DEVIATION_K),
    geoid,
)
def test_flight_level_band_holds_every_atmosphere(
    fl: float, qnh: float, deviation: float, n: float
) -> None:
    band = to_w84(fl, "FL", "STD")
    true = true_amsl_of_pressure_altitude(fl * 100 * FOOT_M, qnh, deviation) + n
    assert band.lower <= true <= band.upper


def volume(lower: dict[str, object], upper: dict[str, object]) -> dict[str, object]:
    return {
        "volume": {
            "outline_circle": {
                "center": {"lat": 36.2, "lng": 37.1},
                "radius": {"value": 1000, "units": "FT"},
            },
            "altitude_lower": lower,
            "altitude_upper": upper,
        },
        "time_start": {"value": EPOCH.isoformat(), "format": "RFC3339"},
        "time_end": {"value": "2026-06-01T01:00:00Z", "format": "RFC3339"},
    }


def test_parsed_volume_holds_the_widened_band() -> None:
    v = parse_volume(
        volume(
            {"value": 0, "units": "FT", "reference": "SFC"},
            {"value": 95, "units": "FL", "reference": "STD"},
        )
    )
    assert v.alt_lower_m == to_w84(0, "FT", "SFC").lower
    assert v.alt_upper_m == to_w84(95, "FL", "STD").upper
    assert v.footprint.radius_m == pytest.approx(304.8)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("lower", "upper", "field"),
    [
        ({"value": 95, "units": "FL"}, {"value": 100, "units": "FL", "reference": "STD"}, "units"),
        ({"value": 9, "units": "M", "reference": "STD"}, {"value": 10}, "units"),
        ({"value": 500, "reference": "AMSL"}, {"value": 400, "reference": "AMSL"}, "lower"),
    ],
)
def test_flight_levels_and_order(
    lower: dict[str, object], upper: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidVolume) as e:
        parse_volume(volume(lower, upper))
    expected = {
        "units": "volume.volume.altitude_lower.units",
        "lower": "volume.volume.altitude_lower",
    }[field]
    assert e.value.field == expected
