"""Two parties' plans for private matching tests: conflicts of every kind pair the rules
table allows, a pair that only nears, and one place across the antimeridian at 80°+ N."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from strategies import offset

from deconflict.geometry import Circle, LatLng, Polygon, Volume, volume_to_json

T0 = datetime(2031, 5, 1, 6, tzinfo=UTC)
CITY = LatLng(36.2017, 37.1342)
POLE = LatLng(80.7413, 179.9567)


def volume(
    footprint: Circle | Polygon, hours: tuple[float, float], alt: tuple[float, float]
) -> dict[str, Any]:
    start, end = (T0 + timedelta(hours=h) for h in hours)
    return volume_to_json(Volume(footprint, alt[0], alt[1], start, end))


def square(centre: LatLng, half_m: float) -> Polygon:
    return Polygon(tuple(offset(centre, az, half_m * 1.41421) for az in (45, 135, 225, 315)))


def op(id_: str, kind: str, label: str, *volumes: dict[str, Any]) -> dict[str, Any]:
    return {"id": id_, "kind": kind, "label": label, "volumes": list(volumes)}


def plan_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    """North's and South's plans (South's labels and places are its secrets, and North's)."""
    north = [
        op("n-strike", "hazard", "Operation Thunderbolt-Kilo",
           volume(Circle(offset(CITY, 10, 1_200.0), 900.0), (0, 2), (0, 3_000))),
        op("n-sortie", "flight", "Sortie Falcon-Seven",
           volume(square(offset(CITY, 200, 4_000.0), 1_500.0), (1, 2.5), (2_000, 4_000)),
           volume(Circle(offset(CITY, 250, 9_000.0), 700.0), (2.5, 3), (3_000, 3_500))),
        op("n-far", "flight", "Patrol Beyond-Reach",
           volume(Circle(offset(CITY, 90, 60_000.0), 2_000.0), (0, 5), (0, 9_000))),
        op("n-arctic", "hazard", "Range Polar-Night",
           volume(Circle(POLE, 3_000.0), (0, 4), (0, 2_000))),
    ]  # fmt: skip
    south = [
        op("s-clinic", "presence", "Field Clinic Rosewater",
           volume(Circle(offset(CITY, 30, 1_800.0), 400.0), (0, 24), (0, 0))),
        op("s-lift", "flight", "Airlift Heron-Two",
           volume(square(offset(CITY, 205, 4_600.0), 900.0), (2, 4), (3_500, 5_000))),
        op("s-camp", "presence", "Camp Juniper",
           volume(Circle(offset(CITY, 90, 30_000.0), 500.0), (0, 24), (0, 0))),
        op("s-ice", "presence", "Station Aurora-Ice",
           volume(Circle(offset(POLE, 270, 3_500.0), 1_000.0), (1, 6), (0, 50))),
    ]  # fmt: skip
    return {"operations": north}, {"operations": south}
