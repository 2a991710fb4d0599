"""Disclosed regions coarsened to H3 cells (`Config.h3_resolution`): every point of the true
overlap lies inside what is disclosed, and the overlap's exact vertices are never disclosed."""

from __future__ import annotations

import json
from typing import Any

import h3
import pytest
import shapely
from samples import circle
from shapely.geometry import Point, Polygon

from deconflict.engine import Kind, Operation, Rules, conflicts_between
from deconflict.geometry import parse_volumes
from deconflict.service import Principal, Service, checks, conflicts, events
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party

RESOLUTION = 8  # cells of about 0.7 km²
NORTH = circle(lat=36.2, lng=37.1, radius=2000)
SOUTH = circle(lat=36.215, lng=37.12, radius=1500)


def party(svc: Service, name: str) -> Principal:
    return authenticate(svc, create_party(svc, ADMIN, name)["api_key"])


def true_rings() -> list[list[tuple[float, float]]]:
    """The exact overlap of the two sample volumes, as the engine computes it (lat, lng)."""
    a = Operation("a", "A", Kind.FLIGHT, parse_volumes([NORTH]))
    b = Operation("b", "B", Kind.FLIGHT, parse_volumes([SOUTH]))
    c = conflicts_between(a, b, Rules())
    assert c is not None
    return [[(p.lat, p.lng) for p in ring] for r in c.regions for ring in r.rings]


def disclosed(parts: list[dict[str, Any]]) -> shapely.Geometry:
    """The disclosed footprint as a planar (lng, lat) geometry."""
    polys = [
        Polygon([(p["lng"], p["lat"]) for p in ring])
        for part in parts
        for ring in part["footprint"]
    ]
    return shapely.union_all(polys)


def vertices(parts: list[dict[str, Any]]) -> set[tuple[float, float]]:
    return {(p["lat"], p["lng"]) for part in parts for ring in part["footprint"] for p in ring}


def cell_vertices(rings: list[list[tuple[float, float]]]) -> set[tuple[float, float]]:
    """Every vertex of every H3 cell that touches the true overlap, rounded (1 cm)."""
    cells: set[str] = set()
    for ring in rings:
        cells |= set(h3.h3shape_to_cells_experimental(h3.LatLngPoly(ring), RESOLUTION, "overlap"))
    return {(round(la, 7), round(lo, 7)) for c in cells for la, lo in h3.cell_to_boundary(c)}


@pytest.fixture
def coarse(svc: Service) -> Service:
    svc.config = svc.config.with_(h3_resolution=RESOLUTION)
    return svc


def test_a_coarse_region_covers_the_overlap_and_hides_its_vertices(coarse: Service) -> None:
    north, south = party(coarse, "North"), party(coarse, "South")
    ops.create(coarse, north, ops.Draft(Kind.FLIGHT, parse_volumes([NORTH])))
    made = ops.create(coarse, south, ops.Draft(Kind.FLIGHT, parse_volumes([SOUTH])))
    (view_south,) = made["conflicts"]
    (view_north,) = conflicts.list_(coarse, north, 10, None)["items"]
    (opened,) = [e["data"] for e in events.after(coarse, north, 0)]
    rings = true_rings()
    exact = {(round(la, 7), round(lo, 7)) for ring in rings for la, lo in ring}
    on_grid = cell_vertices(rings)
    for shown in (view_south["region"], view_north["region"], opened["region"]):
        region = disclosed(shown)
        inside = region.buffer(1e-7)  # 1 cm of float slack on shared cell edges
        for ring in rings:
            assert inside.contains(Polygon([(lo, la) for la, lo in ring]))
            assert all(inside.contains(Point(lo, la)) for la, lo in ring)
        assert region.area > Polygon([(lo, la) for la, lo in rings[0]]).area
        shown_vertices = {(round(la, 7), round(lo, 7)) for la, lo in vertices(shown)}
        assert shown_vertices and not shown_vertices & exact  # no exact vertex disclosed
        assert shown_vertices <= on_grid  # every disclosed vertex is an H3 cell vertex
    assert json.dumps(view_south["region_geojson"]).count("coordinates") == len(
        view_south["region"]
    )


def test_a_probe_discloses_the_coarse_region_too(coarse: Service) -> None:
    north, south = party(coarse, "North"), party(coarse, "South")
    ops.create(coarse, north, ops.Draft(Kind.FLIGHT, parse_volumes([NORTH])))
    (hit,) = checks.check(coarse, south, Kind.FLIGHT, parse_volumes([SOUTH]))["conflicts"]
    (probe,) = [e["data"] for e in events.after(coarse, north, 0)]
    on_grid = cell_vertices(true_rings())
    for shown in (hit["region"], probe["region"]):
        assert {(round(la, 7), round(lo, 7)) for la, lo in vertices(shown)} <= on_grid


def test_without_a_resolution_the_exact_overlap_is_shown(svc: Service) -> None:
    north, south = party(svc, "North"), party(svc, "South")
    ops.create(svc, north, ops.Draft(Kind.FLIGHT, parse_volumes([NORTH])))
    made = ops.create(svc, south, ops.Draft(Kind.FLIGHT, parse_volumes([SOUTH])))
    exact = {(round(la, 7), round(lo, 7)) for ring in true_rings() for la, lo in ring}
    shown = {(round(la, 7), round(lo, 7)) for la, lo in vertices(made["conflicts"][0]["region"])}
    assert shown == exact
