"""GeoJSON (RFC 7946) FeatureCollections: Polygon, MultiPolygon or Point + `radius_m`, with
properties `kind`, `label`, `altitude_lower` / `altitude_upper` (Volume4D altitude objects),
`time_start` / `time_end` (RFC 3339) and `operation` (features naming one id are one operation).
The writer writes the same names, exterior rings counterclockwise."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from deconflict.formats.common import (
    Feature,
    ItemError,
    Read,
    altitude,
    circle,
    default_altitudes,
    gather,
    kind_of,
    polygon,
    volume,
)

PROPERTIES = frozenset(
    {"kind", "label", "name", "altitude_lower", "altitude_upper", "time_start", "time_end"}
    | {"operation", "radius_m", "schedule"}
)


def _ring(raw: Any, field: str) -> list[tuple[Any, Any]]:
    if not isinstance(raw, list) or not all(isinstance(p, list) and len(p) >= 2 for p in raw):
        raise ItemError(field, "must be an array of [lng, lat] positions")
    return [(p[1], p[0]) for p in raw]  # GeoJSON is [lng, lat]; values are checked later


def _outlines(geometry: Any, props: Mapping[str, Any]) -> list[dict[str, Any]]:
    if not isinstance(geometry, Mapping):
        raise ItemError("geometry", "must be a GeoJSON geometry object")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        if not isinstance(coords, list) or len(coords) < 2:
            raise ItemError("geometry.coordinates", "must be [lng, lat]")
        if "radius_m" not in props:
            raise ItemError("properties.radius_m", "a Point needs radius_m")
        return [circle(coords[1], coords[0], props["radius_m"])]
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon" and isinstance(coords, list):
        polygons = coords
    else:
        raise ItemError("geometry.type", "must be Polygon, MultiPolygon or Point")
    out = []
    for i, rings in enumerate(polygons):
        field = "geometry.coordinates" + (f"[{i}]" if kind == "MultiPolygon" else "")
        if not isinstance(rings, list) or not rings:
            raise ItemError(field, "must be an array of linear rings")
        if len(rings) > 1:
            raise ItemError(f"{field}[1]", "holes are not supported: split the polygon")
        out.append(polygon(_ring(rings[0], f"{field}[0]")))
    return out


def _operation(feature: Any) -> tuple[dict[str, Any], str | None]:
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        raise ItemError("type", 'must be a GeoJSON "Feature"')
    props = feature.get("properties")
    if not isinstance(props, Mapping):
        raise ItemError("properties", "must be an object")
    for key in props:
        if key not in PROPERTIES:
            raise ItemError(f"properties.{key}", "is not a known property")
    if props.get("schedule") is not None:
        raise ItemError("properties.schedule", "recurring schedules are not supported yet")
    kind = kind_of(props.get("kind"), "properties.kind")
    if "altitude_lower" in props or "altitude_upper" in props:
        lower, upper = props.get("altitude_lower"), props.get("altitude_upper")
    else:
        lower, upper = default_altitudes(kind, "properties.altitude_lower")
    start, end = props.get("time_start"), props.get("time_end")
    volumes = [
        volume(o, lower, upper, start, end, "properties.time_end")
        for o in _outlines(feature.get("geometry"), props)
    ]
    label = props.get("label", props.get("name", ""))
    op_id = props.get("operation")
    return {"kind": kind, "label": label, "volumes": volumes}, (
        op_id if isinstance(op_id, str) else None
    )


def read(text: str | bytes) -> Read:
    """Operation dicts from a FeatureCollection; each refused feature is named by its index."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise ItemError("", "not JSON") from None
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise ItemError("type", 'must be a GeoJSON "FeatureCollection"')
    features = doc.get("features")
    if not isinstance(features, list):
        raise ItemError("features", "must be an array")
    return gather(enumerate(features), _operation)


def _geometry(f: Feature) -> dict[str, Any]:
    if f.circle is not None:
        return {"type": "Point", "coordinates": [f.circle[0], f.circle[1]]}
    assert f.ring is not None
    ring = [list(p) for p in f.ring]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def write(features: Iterable[Feature]) -> str:
    """A FeatureCollection QGIS opens as is; altitudes as W84 metres."""
    out = []
    for f in features:
        props = dict(f.properties)
        if f.circle is not None:
            props["radius_m"] = f.circle[2]
        props |= {
            "altitude_lower": altitude(f.lower_m),
            "altitude_upper": altitude(f.upper_m),
            "time_start": f.start,
            "time_end": f.end,
        }
        out.append({"type": "Feature", "geometry": _geometry(f), "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": out})
