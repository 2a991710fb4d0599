"""KML as Google Earth writes it: Placemarks with a Polygon (outer boundary) or a Point (a disc
of `radius_m`), a MultiGeometry of those, `name`, `TimeSpan` begin/end, and ExtendedData
`kind`, `operation`, `radius_m`, `alt_lower`, `alt_upper`, `alt_units`, `alt_reference`. Without
altitude data, coordinates' heights count when the altitudeMode says so (absolute: AMSL,
relativeToGround: AGL; extruded: from the surface). Parsed with defusedxml: a document type
declaration (billion laughs, external entities) refuses the whole file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

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

KML_NS = "http://www.opengis.net/kml/2.2"
DATA = ("kind", "operation", "radius_m", "alt_lower", "alt_upper", "alt_units", "alt_reference")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(e: Element, name: str) -> Element | None:
    return next((c for c in e.iter() if _local(c.tag) == name), None)


def _text(e: Element, name: str) -> str:
    found = _find(e, name)
    return (found.text or "").strip() if found is not None else ""


def _data(p: Element) -> dict[str, str]:
    out = {}
    for d in p.iter():
        if _local(d.tag) in ("Data", "SimpleData") and d.get("name") in DATA:
            v = _text(d, "value") if _local(d.tag) == "Data" else (d.text or "").strip()
            out[str(d.get("name"))] = v
    return out


def _coords(text: str, field: str) -> list[tuple[float, float, float | None]]:
    out = []
    for tup in text.split():
        parts = tup.split(",")
        try:
            nums = [float(x) for x in parts]
        except ValueError:
            raise ItemError(field, f"{tup!r} is not lng,lat[,alt]") from None
        if len(nums) not in (2, 3):
            raise ItemError(field, f"{tup!r} is not lng,lat[,alt]")
        out.append((nums[0], nums[1], nums[2] if len(nums) == 3 else None))
    return out


def _shapes(p: Element) -> Iterator[Element]:
    for e in p.iter():
        if _local(e.tag) in ("Polygon", "Point"):
            yield e


def _number(data: dict[str, str], key: str) -> float:
    try:
        return float(data[key])
    except (KeyError, ValueError):
        raise ItemError(f"ExtendedData.{key}", f"{data.get(key)!r} is not a number") from None


def _heights(shape: Element, points: list[tuple[float, float, float | None]]) -> Any:
    mode = _text(shape, "altitudeMode") or "clampToGround"
    zs = [z for _, _, z in points if z is not None]
    if mode == "clampToGround" or not zs:
        return None
    ref = "AMSL" if mode == "absolute" else "AGL"
    low = (
        altitude(0.0, "M", "SFC") if _text(shape, "extrude") == "1" else altitude(min(zs), "M", ref)
    )
    return low, altitude(max(zs), "M", ref)


def _operation(p: Element) -> tuple[dict[str, Any], str | None]:
    data = _data(p)
    kind = kind_of(data.get("kind"), "ExtendedData.kind")
    outlines, heights = [], None
    for shape in _shapes(p):
        field = _local(shape.tag)
        points = _coords(_text(shape, "coordinates"), f"{field}.coordinates")
        if field == "Point":
            if not points:
                raise ItemError("Point.coordinates", "is empty")
            outlines.append(circle(points[0][1], points[0][0], _number(data, "radius_m")))
        else:
            outer = _find(shape, "outerBoundaryIs")
            if outer is None:
                raise ItemError("Polygon.outerBoundaryIs", "is required")
            if _find(shape, "innerBoundaryIs") is not None:
                raise ItemError("Polygon.innerBoundaryIs", "holes are not supported")
            points = _coords(_text(outer, "coordinates"), "Polygon.coordinates")
            outlines.append(polygon((y, x) for x, y, _ in points))
        heights = heights or _heights(shape, points)
    if not outlines:
        raise ItemError("Placemark", "needs a Polygon or a Point")
    if "alt_lower" in data or "alt_upper" in data:
        units, ref = data.get("alt_units", "M"), data.get("alt_reference", "AGL")
        lower = altitude(_number(data, "alt_lower"), units, ref)
        upper = altitude(_number(data, "alt_upper"), units, ref)
    else:
        lower, upper = heights or default_altitudes(kind, "ExtendedData.alt_lower")
    begin, end = _text(p, "begin"), _text(p, "end")
    volumes = [volume(o, lower, upper, begin, end, "TimeSpan.end") for o in outlines]
    return {"kind": kind, "label": _text(p, "name"), "volumes": volumes}, data.get("operation")


def read(text: str | bytes) -> Read:
    """Operation dicts from KML; item n is the n-th Placemark in document order."""
    try:
        root = safe_xml.fromstring(text, forbid_dtd=True)
    except (DefusedXmlException, ParseError) as e:
        raise ItemError("", f"not a safe XML document ({type(e).__name__})") from None
    placemarks = [e for e in root.iter() if _local(e.tag) == "Placemark"]
    return gather(enumerate(placemarks), _operation)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _placemark(f: Feature) -> str:
    props = {k: str(v) for k, v in f.properties.items() if k != "label"}
    props |= {"alt_lower": repr(f.lower_m), "alt_upper": repr(f.upper_m), "alt_units": "M"}
    props["alt_reference"] = "W84"
    if f.circle is not None:
        props["radius_m"] = repr(f.circle[2])
        geometry = f"<Point><coordinates>{f.circle[0]!r},{f.circle[1]!r}</coordinates></Point>"
    else:
        assert f.ring is not None
        ring = " ".join(f"{x!r},{y!r}" for x, y in [*f.ring, f.ring[0]])
        geometry = (
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        )
    data = "".join(
        f'<Data name="{_esc(k)}"><value>{_esc(v)}</value></Data>' for k, v in props.items()
    )
    return (
        f"<Placemark><name>{_esc(str(f.properties.get('label', '')))}</name>"
        f"<TimeSpan><begin>{f.start}</begin><end>{f.end}</end></TimeSpan>"
        f"<ExtendedData>{data}</ExtendedData>{geometry}</Placemark>"
    )


def write(features: Iterable[Feature], name: str = "deconflict") -> str:
    """A KML document Google Earth opens as is (altitudes as ExtendedData, W84 metres)."""
    body = "".join(_placemark(f) for f in features)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{KML_NS}"><Document>'
        f"<name>{_esc(name)}</name>{body}</Document></kml>\n"
    )
