"""EUROCAE ED-269 UAS geographical zones (JSON `UASZoneList`), each read as a hazard: its
geometries (Polygon `[lng, lat]` rings or Circle centre + radius) with `uomDimensions` M/FT and
vertical references AGL/AMSL/WGS84 (`upperLimit: null` = no limit), over the `applicability`
window from `startDateTime` to `endDateTime`. A permanent zone is refused until open-ended
windows are supported; a `dailyPeriod` schedule is read but not applied (the whole window is
used, a superset)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from deconflict.formats.common import (
    UNLIMITED_M,
    ItemError,
    Read,
    altitude,
    circle,
    gather,
    polygon,
    volume,
)

REFERENCES = {"AGL": "AGL", "AMSL": "AMSL", "WGS84": "W84", "W84": "W84", "SFC": "SFC"}


def _limit(g: Mapping[str, Any], which: str, field: str) -> dict[str, Any]:
    raw = g.get(f"{which}Limit")
    if raw is None:
        if which == "lower":
            return altitude(0.0, "M", "SFC")
        return altitude(UNLIMITED_M)
    try:
        value = float(raw) if isinstance(raw, str) else raw  # ED-269 files often quote numbers
    except ValueError:
        raise ItemError(f"{field}.{which}Limit", f"{raw!r} is not a number") from None
    units = g.get("uomDimensions", "M")
    if units not in ("M", "FT"):
        raise ItemError(f"{field}.uomDimensions", "must be M or FT")
    ref = REFERENCES.get(str(g.get(f"{which}VerticalReference")))
    if ref is None:
        raise ItemError(f"{field}.{which}VerticalReference", "must be AGL, AMSL or WGS84")
    return altitude(value, units, ref)


def _outline(h: Any, field: str) -> dict[str, Any]:
    if not isinstance(h, Mapping):
        raise ItemError(field, "must be an object")
    if h.get("type") == "Polygon":
        rings = h.get("coordinates")
        if not isinstance(rings, list) or len(rings) != 1 or not isinstance(rings[0], list):
            raise ItemError(f"{field}.coordinates", "must be one ring of [lng, lat] (no holes)")
        if not all(isinstance(p, list) and len(p) >= 2 for p in rings[0]):
            raise ItemError(f"{field}.coordinates", "must be [lng, lat] positions")
        return polygon((p[1], p[0]) for p in rings[0])
    if h.get("type") == "Circle":
        center = h.get("center")
        if not isinstance(center, list) or len(center) < 2:
            raise ItemError(f"{field}.center", "must be [lng, lat]")
        return circle(center[1], center[0], h.get("radius"))
    raise ItemError(f"{field}.type", "must be Polygon or Circle")


def _window(zone: Mapping[str, Any]) -> tuple[Any, Any]:
    spans = zone.get("applicability")
    if not isinstance(spans, list) or len(spans) != 1 or not isinstance(spans[0], Mapping):
        raise ItemError("applicability", "one applicability period is supported")
    span = spans[0]
    if span.get("permanent") == "YES":
        raise ItemError(
            "applicability[0].permanent",
            "a permanent zone: open-ended windows are not supported yet",
        )
    if not span.get("endDateTime"):
        raise ItemError("applicability[0].endDateTime", "is required")
    return span.get("startDateTime"), span.get("endDateTime")


def _operation(zone: Any) -> tuple[dict[str, Any], str | None]:
    if not isinstance(zone, Mapping):
        raise ItemError("", "must be an object")
    geometries = zone.get("geometry")
    if not isinstance(geometries, list) or not geometries:
        raise ItemError("geometry", "must be a non-empty array")
    start, end = _window(zone)
    volumes = []
    for i, g in enumerate(geometries):
        field = f"geometry[{i}]"
        if not isinstance(g, Mapping):
            raise ItemError(field, "must be an object")
        outline = _outline(g.get("horizontalProjection"), f"{field}.horizontalProjection")
        lower, upper = _limit(g, "lower", field), _limit(g, "upper", field)
        volumes.append(volume(outline, lower, upper, start, end, "applicability[0].endDateTime"))
    label = " ".join(str(zone.get(k) or "") for k in ("identifier", "name")).strip()[:200]
    return {"kind": "hazard", "label": label, "volumes": volumes}, None


def read(text: str | bytes) -> Read:
    """Hazards from an ED-269 document; item n is the n-th zone of `UASZoneList`."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        raise ItemError("", "not JSON") from None
    zones = doc.get("UASZoneList") if isinstance(doc, Mapping) else None
    if not isinstance(zones, list):
        raise ItemError("UASZoneList", "must be an array of zones")
    return gather(enumerate(zones), _operation)
