"""Sample volumes for service, API and end-to-end tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

BASE = datetime(2031, 6, 1, 10, tzinfo=UTC)


def _t(hours: float) -> dict[str, str]:
    t = BASE + timedelta(hours=hours)
    return {"value": t.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def circle(
    lat: float = 36.2,
    lng: float = 37.1,
    radius: float = 2000,
    lo: float = 0,
    hi: float = 1000,
    start: float = 0,
    end: float = 2,
) -> dict[str, Any]:
    """A Volume4D circle; defaults overlap each other over Aleppo in June 2031."""
    return {
        "volume": {
            "outline_circle": {
                "center": {"lat": lat, "lng": lng},
                "radius": {"value": radius, "units": "M"},
            },
            "altitude_lower": {"value": lo, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": hi, "reference": "W84", "units": "M"},
        },
        "time_start": _t(start),
        "time_end": _t(end),
    }


FAR = {"lat": 48.85, "lng": 2.35}  # Paris: conflicts with nothing near Aleppo
