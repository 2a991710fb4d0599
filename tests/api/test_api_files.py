"""Imports and exports over HTTP: each real-shaped file conflicts where the engine says the
equivalent Volume4D does (asked through `/v1/checks`), check=true stores nothing, and an export
imported again gives the same operations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from app_client import party_headers
from fastapi.testclient import TestClient
from samples import circle

FILES = Path(__file__).parents[1] / "formats" / "files"
H = dict[str, str]


def _at(hours: float) -> dict[str, str]:
    return circle(start=hours)["time_start"]


def disc(lat: float, lng: float, r: float, lo: Any, hi: Any) -> dict[str, Any]:
    """A Volume4D disc over 2031-06-01 10:00-12:00 UTC with altitude objects as given."""
    v = circle(lat, lng, r)
    v["volume"]["altitude_lower"], v["volume"]["altitude_upper"] = lo, hi
    return v


def alt(value: float, units: str = "M", reference: str = "W84") -> dict[str, Any]:
    return {"value": value, "units": units, "reference": reference}


def box(lat0: float, lng0: float, lat1: float, lng1: float, lo: Any, hi: Any) -> dict[str, Any]:
    v = disc(0, 0, 1, lo, hi)
    del v["volume"]["outline_circle"]
    corners = [(lat0, lng0), (lat1, lng0), (lat1, lng1), (lat0, lng1)]
    v["volume"]["outline_polygon"] = {"vertices": [{"lat": a, "lng": b} for a, b in corners]}
    return v


# What each file's items are, written by hand as Volume4D (same units and references).
EQUIVALENT: dict[str, dict[int, tuple[str, dict[str, Any]]]] = {
    "sites.csv": {
        0: ("presence", disc(36.2, 37.1, 150, alt(0, "M", "AGL"), alt(15, "M", "AGL"))),
        1: (
            "presence",
            disc(36.19999673709986, 37.10000126516909, 200, alt(0, "M", "SFC"), alt(0, "M", "SFC")),
        ),
        2: ("presence", disc(36.2, 38.5, 100, alt(0, "M", "AGL"), alt(10, "M", "AGL"))),
        4: (
            "presence",
            disc(
                36.208333333333336,
                37.108333333333334,
                80,
                alt(0, "FT", "AGL"),
                alt(30, "FT", "AGL"),
            ),
        ),
    },
    "notams.txt": {
        0: (
            "hazard",
            box(
                36.2,
                37 + 7 / 60,
                36 + 14 / 60,
                37 + 9 / 60,
                alt(0, "M", "SFC"),
                alt(3000, "FT", "AMSL"),
            ),
        ),
        1: ("hazard", disc(35.0, 39.0, 2 * 1852, alt(0, "M", "SFC"), alt(50, "FL", "STD"))),
    },
    "google_earth.kml": {
        0: (
            "presence",
            box(36.195, 37.095, 36.205, 37.105, alt(0, "M", "SFC"), alt(0, "M", "SFC")),
        ),
        1: ("presence", disc(36.2, 38.5, 100, alt(0, "M", "SFC"), alt(0, "M", "SFC"))),
    },
    "ed269_weekly.json": {
        0: ("hazard", disc(36.2, 37.1, 1500, alt(0, "FT", "AGL"), alt(400, "FT", "AGL"))),
        1: ("hazard", box(35.0, 39.0, 35.01, 39.01, alt(0, "M", "AMSL"), alt(120, "M", "AMSL"))),
    },
}
FORMAT = {
    "sites.csv": "csv",
    "notams.txt": "notam",
    "google_earth.kml": "kml",
    "ed269_weekly.json": "ed269",
}


@pytest.fixture
def world(client: TestClient) -> tuple[H, H]:
    """Party A holds a hazard, a presence and a flight over Aleppo; B is the importer."""
    a, b = party_headers(client, "Army"), party_headers(client, "Aid")
    for kind, v in [
        ("hazard", disc(36.2, 37.1, 3000, alt(0), alt(3000))),
        ("presence", disc(36.22, 37.13, 300, alt(0), alt(50))),
        ("flight", disc(36.2, 37.1, 500, alt(100), alt(300))),
    ]:
        assert (
            client.post(
                "/v1/operations", json={"kind": kind, "volumes": [v]}, headers=a
            ).status_code
            == 201
        )
    return a, b


def post_file(client: TestClient, me: H, name: str, check: bool = False) -> dict[str, Any]:
    r = client.post(
        f"/v1/imports?format={FORMAT[name]}" + ("&check=true" if check else ""),
        content=(FILES / name).read_bytes(),
        headers=me,
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def hits(answer: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((c["other_party"], c["other_kind"]) for c in answer)


@pytest.mark.parametrize("name", list(EQUIVALENT))
def test_import_conflicts_as_the_engine_does_on_the_equivalent_volumes(
    client: TestClient, world: tuple[H, H], name: str
) -> None:
    _, b = world
    got = post_file(client, b, name)
    assert sorted(o["item"] for o in got["operations"]) == sorted(EQUIVALENT[name])
    mine = client.get("/v1/operations", headers=b).json()["items"]
    assert len(mine) == len(EQUIVALENT[name])
    some = False
    for item, (kind, v) in EQUIVALENT[name].items():
        expected = client.post("/v1/checks", json={"kind": kind, "volumes": [v]}, headers=b).json()
        imported = [c for c in got["conflicts"] if c["item"] == item]
        assert hits(imported) == hits(expected["conflicts"]), (name, item)
        some = some or bool(imported)
    assert some  # each file conflicts somewhere, and not everywhere
    assert any(not [c for c in got["conflicts"] if c["item"] == i] for i in EQUIVALENT[name])


def test_refused_items_are_named_and_the_rest_go_in(client: TestClient, world: tuple[H, H]) -> None:
    _, b = world
    got = post_file(client, b, "notams.txt")
    assert [(e["item"], e["field"]) for e in got["errors"]] == [(2, "C")]
    assert len(got["operations"]) == 2


def test_check_stores_nothing(client: TestClient, world: tuple[H, H]) -> None:
    _, b = world
    got = post_file(client, b, "sites.csv", check=True)
    assert got["operations"] == [] and len(got["conflicts"]) >= 1
    assert client.get("/v1/operations", headers=b).json()["items"] == []


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_export_imported_again_gives_the_same_operations(
    client: TestClient, world: tuple[H, H], fmt: str
) -> None:
    _, b = world
    post_file(client, b, "sites.csv")
    post_file(client, b, "notams.txt")
    exported = client.get(f"/v1/exports/operations.{fmt}", headers=b)
    assert exported.status_code == 200
    c = party_headers(client, "Copy")
    again = client.post(f"/v1/imports?format={fmt}", content=exported.content, headers=c).json()
    assert again["errors"] == []

    def shapes(h: H) -> list[tuple[str, str, str]]:
        ops = client.get("/v1/operations", headers=h).json()["items"]
        return sorted((o["kind"], o["label"], repr(o["volumes"])) for o in ops)

    before, after = shapes(b), shapes(c)
    assert [s[:2] for s in before] == [s[:2] for s in after]
    for x, y in zip(before, after, strict=True):  # polygons may come back counterclockwise
        if "outline_circle" in x[2]:
            assert x == y


def test_conflict_export_holds_the_regions(client: TestClient, world: tuple[H, H]) -> None:
    _, b = world
    post_file(client, b, "sites.csv")
    doc = client.get("/v1/exports/conflicts.geojson", headers=b).json()
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) >= 1
    assert {f["properties"]["other_party"] for f in doc["features"]} == {"Army"}
    kml = client.get("/v1/exports/conflicts.kml", headers=b)
    assert kml.headers["content-type"].startswith("application/vnd.google-earth.kml+xml")
    assert kml.text.count("<Placemark>") == len(doc["features"])
    rows = client.get("/v1/exports/conflicts.csv", headers=b).text.strip().splitlines()
    assert len(rows) == 1 + len(doc["features"])
