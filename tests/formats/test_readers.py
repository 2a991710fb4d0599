"""Each format read from a real-shaped file: the operations it holds, through the one strict
parser, and each refused item named; writers and readers round-trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deconflict import formats
from deconflict.engine import Kind
from deconflict.errors import InvalidVolume
from deconflict.formats.operation import Planned
from deconflict.geometry import Circle, Polygon
from deconflict.geometry.altitude import to_w84

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "ed269_geneva_sample.json"  # a copy of ../shared/samples/
START = datetime(2031, 6, 1, 10, tzinfo=UTC)
END = datetime(2031, 6, 1, 12, tzinfo=UTC)


def read(fmt: str, name: str) -> tuple[dict[int, Planned], list[dict[str, object]]]:
    planned, errors = formats.read(fmt, (FILES / name).read_bytes())
    return dict(planned), errors


def test_notam_q_line_e_polygon_and_limits() -> None:
    ops, errors = read("notam", "notams.txt")
    assert sorted(ops) == [0, 1]
    first = ops[0]
    assert first.kind is Kind.HAZARD and first.label.startswith("A1234/31 TEMPORARY")
    (v,) = first.volumes
    assert isinstance(v.footprint, Polygon)  # item E's polygon, not the Q-line disc
    assert next((p.lat, p.lng) for p in v.footprint.vertices) == (36.2, pytest.approx(37 + 7 / 60))
    assert (v.time_start, v.time_end) == (START, END)  # EST taken as given
    assert v.alt_lower_m == to_w84(0, "M", "SFC").lower
    assert v.alt_upper_m == to_w84(3000, "FT", "AMSL").upper
    (w,) = ops[1].volumes
    assert isinstance(w.footprint, Circle) and w.footprint.radius_m == 2 * 1852
    assert w.alt_upper_m == to_w84(50, "FL", "STD").upper
    assert errors == [{"item": 2, "field": "C", "message": pytest.approx(errors[0]["message"])}]
    assert "PERM" in str(errors[0]["message"])


def test_csv_dms_mgrs_feet_and_refused_rows() -> None:
    ops, errors = read("csv", "sites.csv")
    assert sorted(ops) == [0, 1, 2, 4]
    clinic = ops[0].volumes[0].footprint
    assert isinstance(clinic, Circle) and (clinic.center.lat, clinic.center.lng) == (36.2, 37.1)
    warehouse = ops[1].volumes[0].footprint
    assert isinstance(warehouse, Circle)
    assert warehouse.center.lat == pytest.approx(36.2, abs=1e-4)
    assert warehouse.center.lng == pytest.approx(37.1, abs=1e-4)
    # no altitude columns: a presence is on the ground, surface to surface, widened
    assert ops[1].volumes[0].alt_upper_m == to_w84(0, "M", "SFC").upper
    kitchen = ops[4].volumes[0]
    assert kitchen.alt_upper_m == to_w84(30, "FT", "AGL").upper
    assert [(e["item"], e["field"]) for e in errors] == [(3, "time_end")]
    assert "open-ended" in str(errors[0]["message"])


def test_kml_google_earth_export() -> None:
    ops, errors = read("kml", "google_earth.kml")
    assert sorted(ops) == [0, 1]
    assert ops[0].label == "Hospital compound" and ops[0].kind is Kind.PRESENCE
    assert isinstance(ops[0].volumes[0].footprint, Polygon)
    assert len(ops[0].volumes[0].footprint.vertices) == 4
    assert isinstance(ops[1].volumes[0].footprint, Circle)
    assert [(e["item"], e["field"]) for e in errors] == [(2, "ExtendedData.radius_m")]


def test_ed269_sample_is_a_permanent_zone() -> None:
    _, errors = formats.read("ed269", SAMPLE.read_bytes())
    assert errors == [
        {
            "item": 0,
            "field": "applicability[0].permanent",
            "message": "a permanent zone: open-ended windows are not supported yet",
        }
    ]


def test_ed269_zone_with_a_window_and_a_weekly_schedule() -> None:
    ops, errors = read("ed269", "ed269_weekly.json")
    assert errors == [] and sorted(ops) == [0, 1]
    (v,) = ops[0].volumes
    assert isinstance(v.footprint, Circle) and v.footprint.radius_m == 1500
    assert v.alt_upper_m == to_w84(400, "FT", "AGL").upper
    assert (v.time_start, v.time_end) == (START, END)  # the daily period is not applied
    assert ops[1].volumes[0].alt_upper_m == to_w84(120, "M", "AMSL").upper


def geojson_doc(**props: object) -> str:
    base: dict[str, object] = {
        "kind": "hazard",
        "label": "range",
        "altitude_lower": {"value": 0, "units": "M", "reference": "W84"},
        "altitude_upper": {"value": 500, "units": "M", "reference": "W84"},
        "time_start": "2031-06-01T10:00:00Z",
        "time_end": "2031-06-01T12:00:00Z",
    }
    base.update(props)
    ring = [[37.1, 36.2], [37.11, 36.2], [37.11, 36.21], [37.1, 36.2]]
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": base,
                }
            ],
        }
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "strike"}, "properties.kind"),
        ({"time_end": None}, "properties.time_end"),
        (
            {"altitude_upper": {"value": True, "units": "M", "reference": "W84"}},
            "operation.volumes[0].volume.altitude_upper.value",
        ),
        (
            {"altitude_upper": {"value": "500", "units": "M"}},
            "operation.volumes[0].volume.altitude_upper.value",
        ),
        (
            {"altitude_upper": {"value": 500, "units": "M", "floor": 1}},
            "operation.volumes[0].volume.altitude_upper.floor",
        ),
        ({"party": "someone else"}, "properties.party"),
        ({"schedule": "FREQ=WEEKLY"}, "properties.schedule"),
    ],
)
def test_geojson_item_errors_name_the_field(change: dict[str, object], field: str) -> None:
    planned, errors = formats.read("geojson", geojson_doc(**change))
    assert planned == []
    assert [(e["item"], e["field"]) for e in errors] == [(0, field)]


def test_whole_file_defects_are_refused() -> None:
    for fmt, body, field in [
        ("geojson", "{", "body"),
        ("geojson", '{"type": "Feature"}', "type"),
        ("csv", "name,lat,lon,party\n", "party"),
        ("ed269", "[]", "UASZoneList"),
        ("kml", "<kml><Placemark>", "body"),
        ("zip", "", "format"),
    ]:
        with pytest.raises(InvalidVolume) as e:
            formats.read(fmt, body)
        assert e.value.field == field, (fmt, e.value)
