"""Volume4D parsing: every defect is refused naming its exact field; writing and reading agree."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from strategies import EPOCH, broken_volumes, examples, offset, volume4d, volumes

from deconflict.errors import InvalidVolume
from deconflict.geometry import (
    DEFAULT_BOUNDS,
    Bounds,
    Circle,
    LatLng,
    Polygon,
    Volume,
    footprint_area_m2,
    parse_volume,
    parse_volumes,
    region,
    region_to_geojson,
    region_to_json,
    volume_to_json,
)

ROOMY = Bounds(max_area_m2=1e13, max_radius_m=1e6, max_duration=timedelta(days=400))
CENTER = LatLng(36.2, 37.15)


def doc(**change: Any) -> dict[str, Any]:
    """A valid polygon volume document."""
    ring = [offset(CENTER, az, 1_000.0) for az in (0, 120, 240)]
    d = volume4d(Volume(Polygon(tuple(ring)), 0.0, 500.0, EPOCH, EPOCH + timedelta(hours=2)))
    d.update(change)
    return d


def refused(d: Any, field: str, code: str | None = None, bounds: Bounds = DEFAULT_BOUNDS) -> None:
    with pytest.raises(InvalidVolume) as e:
        parse_volume(d, bounds=bounds)
    assert e.value.field == field, e.value
    if code is not None:
        assert e.value.code == code


def with_vertices(*vertices: tuple[float, float]) -> dict[str, Any]:
    d = doc()
    d["volume"]["outline_polygon"]["vertices"] = [{"lat": a, "lng": b} for a, b in vertices]
    return d


@settings(max_examples=examples(200))
@given(broken_volumes())
def test_every_defect_names_its_field(case: tuple[dict[str, Any], str]) -> None:
    d, field = case
    with pytest.raises(InvalidVolume) as e:
        parse_volume(d)
    # A defect inside a value may be blamed on the value itself or on its parent object.
    assert e.value.field is not None
    assert (
        e.value.field == field
        or field.startswith(e.value.field + ".")
        or e.value.field.startswith(field + ".")
    )
    assert e.value.field.startswith(field.rsplit(".", 1)[0])


@settings(max_examples=examples(150))
@given(volumes())
def test_round_trip(v: Volume) -> None:
    assert parse_volume(volume_to_json(v), bounds=ROOMY) == v
    assert parse_volume(volume4d(v), bounds=ROOMY) == v


@pytest.mark.parametrize(
    ("vertices", "code"),
    [
        ([(0, 0), (0, 0.01), (0, 0)], "too_few_vertices"),
        ([(0, 0), (0, 0.01)], "too_few_vertices"),
        ([], "too_few_vertices"),
        ([(0, 0), (0.01, 0.01), (0, 0.01), (0.01, 0)], "self_intersecting"),  # a bow-tie
        ([(0, 0), (0, 0.01), (0, 0.02)], None),  # collinear: no area
    ],
)
def test_degenerate_polygons(vertices: list[tuple[float, float]], code: str | None) -> None:
    refused(with_vertices(*vertices), "volume.volume.outline_polygon.vertices", code)


def test_closed_ring_is_accepted_and_stored_open() -> None:
    v = parse_volume(with_vertices((0, 0), (0, 0.01), (0.01, 0.01), (0, 0)))
    assert isinstance(v.footprint, Polygon) and len(v.footprint.vertices) == 3


@pytest.mark.parametrize(
    ("path", "value", "field", "code"),
    [
        (("time_start", "value"), "2026-06-01T12:00:00", "volume.time_start.value", "naive_time"),
        (("time_end", "value"), "2026-05-01T00:00:00Z", "volume.time_end", "time_order"),
        (
            ("time_end", "value"),
            "2026-06-01T00:00:00Z",
            "volume.time_end",
            "time_order",
        ),  # end == start
        (("time_end", "value"), "2027-06-01T00:00:00Z", "volume.time_end", "too_long"),
        (
            ("volume", "altitude_lower", "value"),
            600.0,
            "volume.volume.altitude_lower",
            "altitude_order",
        ),
        (
            ("volume", "altitude_upper", "reference"),
            "MSL",
            "volume.volume.altitude_upper.reference",
            None,
        ),
        (("volume", "altitude_lower", "units"), "KM", "volume.volume.altitude_lower.units", None),
        (("volume", "altitude_lower", "units"), "FL", "volume.volume.altitude_lower.units", None),
        (("volume", "altitude_lower", "value"), True, "volume.volume.altitude_lower.value", None),
        (("volume", "altitude_lower", "value"), "5", "volume.volume.altitude_lower.value", None),
        (("volume", "altitude_lower", "datum"), "x", "volume.volume.altitude_lower.datum", None),
        (("volume", "ceiling"), 1, "volume.volume.ceiling", None),
        (("time_start", "value"), 1.5e9, "volume.time_start.value", "invalid_type"),
        (("time_start", "format"), "unix", "volume.time_start.format", None),
    ],
)
def test_field_defects(path: tuple[str, ...], value: Any, field: str, code: str | None) -> None:
    d = doc()
    node = d
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    refused(d, field, code)


def test_time_offsets_are_converted_to_utc() -> None:
    d = doc()
    d["time_start"]["value"] = "2026-06-01T02:00:00+02:00"
    d["time_end"]["value"] = "2026-06-01t01:00:00.5z"
    v = parse_volume(d)
    assert v.time_start == datetime(2026, 6, 1, tzinfo=UTC)
    assert v.time_end == datetime(2026, 6, 1, 1, 0, 0, 500_000, tzinfo=UTC)
    assert v.time_start.utcoffset() == timedelta(0)


def test_both_or_neither_outline_is_refused() -> None:
    d = doc()
    d["volume"]["outline_circle"] = {"center": {"lat": 0, "lng": 0}, "radius": {"value": 1}}
    refused(d, "volume.volume", "footprint")
    del d["volume"]["outline_circle"], d["volume"]["outline_polygon"]
    refused(d, "volume.volume", "footprint")


def circle_doc(radius: float) -> dict[str, Any]:
    return volume4d(Volume(Circle(CENTER, radius), 0, 1, EPOCH, EPOCH + timedelta(hours=1)))


def test_bounds_on_area_radius_vertices_duration_and_count() -> None:
    small = Bounds(
        max_vertices=5,
        max_area_m2=2e6,
        max_radius_m=2_000.0,
        max_duration=timedelta(hours=2),
        max_volumes=2,
    )
    refused(circle_doc(1_000.0), "volume.volume", "too_large", small)  # 3.14 km² > 2 km²
    parse_volume(circle_doc(500.0), bounds=small)
    refused(circle_doc(2_500.0), "volume.volume", "too_large", Bounds(max_radius_m=2_000.0))
    ring = [
        (offset(CENTER, az, 100.0).lat, offset(CENTER, az, 100.0).lng) for az in range(0, 360, 60)
    ]
    refused(
        with_vertices(*ring), "volume.volume.outline_polygon.vertices", "too_many_vertices", small
    )
    parse_volume(with_vertices(*ring[:5]), bounds=small)
    refused(doc(), "volume.time_end", "too_long", Bounds(max_duration=timedelta(hours=1)))
    assert len(parse_volumes([doc(), doc()], bounds=small)) == 2
    with pytest.raises(InvalidVolume) as e:
        parse_volumes([doc(), doc(), doc()], bounds=small)
    assert (e.value.field, e.value.code) == ("volumes", "count")
    for bad in ([], {}, "volumes", None):
        with pytest.raises(InvalidVolume) as e:
            parse_volumes(bad)
        assert e.value.field == "volumes"


def test_default_bounds_refuse_a_huge_footprint() -> None:
    refused(circle_doc(100_000.0), "volume.volume", "too_large")  # 31,000 km² > 10,000 km²
    parse_volume(circle_doc(50_000.0))  # 7,854 km²


def test_parse_volumes_names_the_index() -> None:
    bad = doc()
    bad["volume"]["altitude_upper"]["value"] = float("nan")
    with pytest.raises(InvalidVolume) as e:
        parse_volumes([doc(), copy.deepcopy(bad)])
    assert e.value.field == "volumes[1].volume.altitude_upper.value"


def test_antimeridian_polygon_is_small() -> None:
    v = parse_volume(with_vertices((0, 179.99), (0, -179.99), (0.01, -179.99), (0.01, 179.99)))
    assert 2_000_000 < footprint_area_m2(v.footprint) < 2_600_000  # 2.2 km by 1.1 km


def test_region_formats() -> None:
    a = parse_volume(circle_doc(1_000.0))
    b = parse_volume(doc())
    r = region(a, b)
    j, g = region_to_json(r), region_to_geojson(r)
    assert j["altitude_lower"]["value"] == 0 and j["altitude_upper"]["value"] == 1
    assert j["time_start"]["value"] == "2026-06-01T00:00:00Z"
    assert len(g["geometry"]["coordinates"]) == len(j["footprint"]) == len(r.rings) >= 1
    first = r.rings[0][0]
    assert g["geometry"]["coordinates"][0][0][0] == [first.lng, first.lat]
