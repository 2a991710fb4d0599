"""What a party is shown: its own operations in full; of a conflict, only its own side,
the other party's name and kind, the region and the statuses (DESIGN.md, disclosure rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deconflict.engine import disclosure
from deconflict.engine.disclosure import StoredConflict, rfc3339
from deconflict.geometry import Region, region_to_geojson, region_to_json
from deconflict.geometry.model import LatLng

__all__ = ["coarsen", "conflict_view", "disclosed_region", "operation_view", "rfc3339", "stored"]


def operation_view(row: Any, volumes: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "version": row.version,
        "label": row.label,
        "volumes": volumes,
        "created_at": rfc3339(row.created_at),
        "updated_at": rfc3339(row.updated_at),
    }


def disclosed_region(regions: tuple[Region, ...], h3_resolution: int | None) -> dict[str, Any]:
    """The stored form of a conflict's region: Volume4D-like JSON and GeoJSON, maybe coarsened."""
    if h3_resolution is not None:
        regions = tuple(coarsen(r, h3_resolution) for r in regions)
    return {
        "parts": [region_to_json(r) for r in regions],
        "geojson": {
            "type": "FeatureCollection",
            "features": [region_to_geojson(r) for r in regions],
        },
    }


def coarsen(r: Region, resolution: int) -> Region:
    """The region grown to the H3 cells it overlaps, so exact positions are not revealed."""
    import h3

    cells: set[str] = set()
    for ring in r.rings:
        poly = h3.LatLngPoly([(p.lat, p.lng) for p in ring])
        cells |= set(h3.h3shape_to_cells_experimental(poly, resolution, contain="overlap"))
    shape = h3.cells_to_h3shape(list(cells))
    polys = shape.polys if isinstance(shape, h3.LatLngMultiPoly) else [shape]
    rings = tuple(tuple(LatLng(lat, lng) for lat, lng in p.outer) for p in polys)
    return Region(rings, r.alt_lower_m, r.alt_upper_m, r.time_start, r.time_end)


def stored(row: Any) -> StoredConflict:
    """A stored conflict row as the facts the disclosure gate is given."""
    return StoredConflict(
        id=row.id,
        status=row.status,
        region=row.region,
        op_a=row.op_a,
        op_b=row.op_b,
        party_a=row.party_a,
        party_b=row.party_b,
        kind_a=row.kind_a,
        kind_b=row.kind_b,
        status_a=row.status_a,
        status_b=row.status_b,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        resolved_at=row.resolved_at,
        escalated=row.escalated_at is not None,
    )


def conflict_view(row: Any, party_id: str, names: Mapping[str, str]) -> dict[str, Any]:
    """The conflict as `party_id` may see it, as the gate builds it."""
    return disclosure.conflict_view(stored(row), party_id, names).json()
