"""Lax volume input is refused (422 naming the field) on every route that takes volumes, and
nothing is stored: booleans or strings as numbers, unknown keys, zero-area polygons."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from samples import circle

Doc = dict[str, Any]
Party = Callable[[str], dict[str, str]]


def polygon(*vertices: tuple[float, float]) -> Doc:
    d = circle()
    del d["volume"]["outline_circle"]
    d["volume"]["outline_polygon"] = {"vertices": [{"lat": a, "lng": b} for a, b in vertices]}
    return d


TRIANGLE = ((36.2, 37.1), (36.21, 37.1), (36.21, 37.12))
V = "volumes[0]"


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Doc], Doc]:
    def change(d: Doc) -> Doc:
        d = copy.deepcopy(d)
        node: Any = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return d

    return change


POLY = polygon(*TRIANGLE)
CASES: list[tuple[str, Doc, Callable[[Doc], Doc], str]] = [
    (
        "lng true",
        POLY,
        _set(("volume", "outline_polygon", "vertices", 2, "lng"), True),
        f"{V}.volume.outline_polygon.vertices[2].lng",
    ),
    (
        "lat string",
        POLY,
        _set(("volume", "outline_polygon", "vertices", 0, "lat"), "36.2"),
        f"{V}.volume.outline_polygon.vertices[0].lat",
    ),
    (
        "center lat string",
        circle(),
        _set(("volume", "outline_circle", "center", "lat"), "36.2"),
        f"{V}.volume.outline_circle.center.lat",
    ),
    (
        "radius string",
        circle(),
        _set(("volume", "outline_circle", "radius", "value"), "2000"),
        f"{V}.volume.outline_circle.radius.value",
    ),
    (
        "altitude boolean",
        circle(),
        _set(("volume", "altitude_upper", "value"), True),
        f"{V}.volume.altitude_upper.value",
    ),
    (
        "unknown vertex key",
        POLY,
        _set(("volume", "outline_polygon", "vertices", 1, "alt"), 5),
        f"{V}.volume.outline_polygon.vertices[1].alt",
    ),
    ("unknown volume key", circle(), _set(("colour",), "red"), f"{V}.colour"),
    ("unknown inner key", circle(), _set(("volume", "floor"), 3), f"{V}.volume.floor"),
    (
        "unknown altitude key",
        circle(),
        _set(("volume", "altitude_lower", "datum"), "x"),
        f"{V}.volume.altitude_lower.datum",
    ),
    ("unknown time key", circle(), _set(("time_end", "tz"), "Z"), f"{V}.time_end.tz"),
    (
        "time as number",
        circle(),
        _set(("time_start", "value"), 1_900_000_000),
        f"{V}.time_start.value",
    ),
    (
        "collinear polygon",
        polygon((36.2, 37.1), (36.201, 37.101), (36.202, 37.102)),
        lambda d: d,
        f"{V}.volume.outline_polygon.vertices",
    ),
    (
        "collinear with a hair's offset",
        polygon((0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (1e-9, 0.5)),
        lambda d: d,
        f"{V}.volume.outline_polygon.vertices",
    ),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize(("name", "base", "change", "field"), CASES, ids=IDS)
def test_create_refuses_lax_volumes(
    client: TestClient, party: Party, name: str, base: Doc, change: Callable[[Doc], Doc], field: str
) -> None:
    me = party("Lax")
    r = client.post(
        "/v1/operations", json={"kind": "flight", "volumes": [change(base)]}, headers=me
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    assert client.get("/v1/operations", headers=me).json()["items"] == []


@pytest.mark.parametrize(("name", "base", "change", "field"), CASES, ids=IDS)
def test_check_refuses_lax_volumes(
    client: TestClient, party: Party, name: str, base: Doc, change: Callable[[Doc], Doc], field: str
) -> None:
    me = party("Lax")
    r = client.post("/v1/checks", json={"kind": "flight", "volumes": [change(base)]}, headers=me)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field


@pytest.mark.parametrize(("name", "base", "change", "field"), CASES[:3], ids=IDS[:3])
def test_change_refuses_lax_volumes(
    client: TestClient, party: Party, name: str, base: Doc, change: Callable[[Doc], Doc], field: str
) -> None:
    me = party("Lax")
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [base]}, headers=me)
    assert made.status_code == 201
    op = made.json()["operation"]
    r = client.patch(
        f"/v1/operations/{op['id']}",
        json={"volumes": [change(base)]},
        headers={**me, "If-Match": str(op["version"])},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == field
    after = client.get(f"/v1/operations/{op['id']}", headers=me).json()
    assert after["version"] == op["version"] and after["volumes"] == op["volumes"]


def test_volumes_must_be_an_array(client: TestClient, party: Party) -> None:
    me = party("Lax")
    r = client.post("/v1/operations", json={"kind": "flight", "volumes": circle()}, headers=me)
    assert r.status_code == 422 and r.json()["error"]["field"] == "volumes"


@pytest.mark.parametrize(
    ("field", "value"), [("lat", True), ("lng", "37.1"), ("alt_m", "100"), ("colour", "red")]
)
def test_tracks_are_as_strict(client: TestClient, party: Party, field: str, value: Any) -> None:
    """The tracks body was strict already (pydantic strict numbers, unknown keys forbidden):
    kept so, with the same field paths."""
    me = party("Lax")
    state = {
        "id": "AC1",
        "lat": 36.2,
        "lng": 37.1,
        "alt_m": 500.0,
        "gs_mps": 50.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "time": "2031-06-01T10:00:00Z",
        field: value,
    }
    r = client.post("/v1/tracks", json={"tracks": [state]}, headers=me)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == f"tracks[0].{field}"
    assert client.get("/v1/tracks", headers=me).json()["items"] == []
