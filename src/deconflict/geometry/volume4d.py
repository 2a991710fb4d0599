"""Read and write ASTM F3548 Volume4D JSON; the one place the volume format is known, used by
the API, the command line and every file import alike.

Strict: every invalid input raises `InvalidVolume` naming the field path (e.g.
`volumes[2].volume.outline_polygon.vertices[3].lat`) and the reason — a wrong JSON type, a
boolean or a string where a number goes, an unknown key, a polygon with no area. Altitudes may be
given in M, FT or FL above W84, AMSL, AGL/SFC or STD (flight levels); they are held as the W84
metre band that surely contains them (`deconflict.geometry.altitude`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely

from deconflict.errors import InvalidVolume
from deconflict.geometry.altitude import REFERENCES, UNITS, Band, to_w84
from deconflict.geometry.geodesy import GEOD, cap, densified, project_from
from deconflict.geometry.model import Bounds, Circle, Footprint, LatLng, Polygon, Region, Volume

DEFAULT_BOUNDS = Bounds()
MIN_WIDTH_M = 0.1  # a polygon narrower than this on average is a line: it has no area
MAX_ALTITUDE = 1e6  # in any unit, beyond any airspace (keeps the W84 band finite)
_VOLUME4D = frozenset({"volume", "time_start", "time_end"})
_VOLUME3D = frozenset({"outline_polygon", "outline_circle", "altitude_lower", "altitude_upper"})
_POLYGON = frozenset({"vertices"})
_LATLNG = frozenset({"lat", "lng"})
_CIRCLE = frozenset({"center", "radius"})
_RADIUS = frozenset({"value", "units"})
_ALTITUDE = frozenset({"value", "reference", "units"})
_TIME = frozenset({"value", "format"})
# RFC 3339 section 5.6 date-time; the offset is optional here only to name naive times.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)


def _obj(v: Any, path: str, keys: frozenset[str]) -> Mapping[str, Any]:
    """An object holding only the `keys` named (an unknown key is refused by its path)."""
    if not isinstance(v, Mapping):
        raise InvalidVolume("invalid_type", "must be an object", path)
    for key in v:
        if key not in keys:
            raise InvalidVolume("unknown_field", "is not a field of this object", f"{path}.{key}")
    return v


def _get(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj or obj[key] is None:
        raise InvalidVolume("missing", "is required", f"{path}.{key}")
    return obj[key]


def _number(v: Any, path: str) -> float:
    # bool is an int in Python: `true` must not pass as 1.
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InvalidVolume("invalid_type", "must be a number", path)
    # JSON integers are unbounded: one too large for a float is out of range, not a crash.
    if isinstance(v, int) and abs(v) > 2**1023:
        raise InvalidVolume("not_finite", "must be a finite number", path)
    if not math.isfinite(v):
        raise InvalidVolume("not_finite", "must be a finite number", path)
    return float(v)


def _text(o: Mapping[str, Any], key: str, default: str, allowed: tuple[str, ...], path: str) -> str:
    v = o.get(key, default)
    if not isinstance(v, str) or v not in allowed:
        raise InvalidVolume(
            f"unsupported_{key}", f"{key} must be one of {', '.join(allowed)}", f"{path}.{key}"
        )
    return v


def parse_latlng(v: Any, path: str) -> LatLng:
    """A `{lat, lng}` object in WGS84 degrees."""
    o = _obj(v, path, _LATLNG)
    lat = _number(_get(o, "lat", path), f"{path}.lat")
    lng = _number(_get(o, "lng", path), f"{path}.lng")
    if not -90 <= lat <= 90:
        raise InvalidVolume("out_of_range", "latitude must be within [-90, 90]", f"{path}.lat")
    if not -180 <= lng <= 180:
        raise InvalidVolume("out_of_range", "longitude must be within [-180, 180]", f"{path}.lng")
    return LatLng(lat, lng)


def _polygon(v: Any, path: str, bounds: Bounds) -> Polygon:
    raw = _get(_obj(v, path, _POLYGON), "vertices", path)
    vpath = f"{path}.vertices"
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise InvalidVolume("invalid_type", "must be an array of {lat, lng}", vpath)
    if len(raw) > bounds.max_vertices + 1:
        raise InvalidVolume("too_many_vertices", f"at most {bounds.max_vertices} vertices", vpath)
    pts = [parse_latlng(p, f"{vpath}[{i}]") for i, p in enumerate(raw)]
    if len(pts) > 1 and pts[0] == pts[-1]:
        pts.pop()  # a closed ring is accepted; we store it open
    if len(pts) > bounds.max_vertices:
        raise InvalidVolume("too_many_vertices", f"at most {bounds.max_vertices} vertices", vpath)
    if len(set(pts)) < 3:
        raise InvalidVolume("too_few_vertices", "needs at least 3 distinct vertices", vpath)
    poly = Polygon(tuple(pts))
    _check_simple(poly, vpath)
    return poly


def _check_simple(poly: Polygon, path: str) -> None:
    """Reject self-intersecting and zero-area rings, judged in a projection centred on the
    polygon. A ring whose mean width (2 area / perimeter) is under MIN_WIDTH_M has no area:
    vertices on one line, up to rounding."""
    ring = densified(poly)
    if np.ptp(ring[:, 0]) == 0 or not np.all(np.isfinite(ring)):
        raise InvalidVolume("degenerate", "polygon has no area", path)
    c = cap(poly)[0]
    plane = shapely.Polygon(project_from(c, ring[:, 0], ring[:, 1]))
    if not plane.is_valid:
        raise InvalidVolume("self_intersecting", "polygon edges must not cross", path)
    if plane.area <= MIN_WIDTH_M * plane.length / 2:
        raise InvalidVolume(
            "degenerate", f"polygon has no area (narrower than {MIN_WIDTH_M:g} m)", path
        )


def _circle(v: Any, path: str) -> Circle:
    o = _obj(v, path, _CIRCLE)
    center = parse_latlng(_get(o, "center", path), f"{path}.center")
    rpath = f"{path}.radius"
    r = _obj(_get(o, "radius", path), rpath, _RADIUS)
    units = _text(r, "units", "M", ("M", "FT"), rpath)
    radius = _number(_get(r, "value", rpath), f"{rpath}.value") * UNITS[units]
    if radius <= 0:
        raise InvalidVolume("out_of_range", "radius must be > 0", f"{rpath}.value")
    return Circle(center, radius)


def parse_altitude(v: Any, path: str) -> tuple[Band, float, str]:
    """An altitude object as the W84 metre band surely holding it (see `altitude`), with its
    value in metres above its own reference and that reference (to compare like with like)."""
    o = _obj(v, path, _ALTITUDE)
    reference = _text(o, "reference", "W84", REFERENCES, path)
    units = _text(o, "units", "M", tuple(UNITS), path)
    if (reference == "STD") != (units == "FL"):
        raise InvalidVolume(
            "unsupported_units",
            'a flight level is {"units": "FL", "reference": "STD"}; FL goes with STD only',
            f"{path}.units",
        )
    value = _number(_get(o, "value", path), f"{path}.value")
    if abs(value) > MAX_ALTITUDE:
        raise InvalidVolume(
            "out_of_range", f"must be within ±{MAX_ALTITUDE:g} of its reference", f"{path}.value"
        )
    return to_w84(value, units, reference), value * UNITS[units], reference


def parse_rfc3339(raw: Any, path: str) -> datetime:
    """An RFC 3339 date-time string with its offset, as UTC."""
    if not isinstance(raw, str):
        raise InvalidVolume("invalid_type", "must be an RFC 3339 string", path)
    # fromisoformat also takes ISO 8601 forms RFC 3339 forbids (week dates, basic format,
    # missing seconds, "+0200"): the grammar is checked first.
    shape = _RFC3339.fullmatch(raw)
    if shape is None:
        raise InvalidVolume("invalid_time", "is not an RFC 3339 timestamp", path)
    if shape.group("offset") is None:
        raise InvalidVolume("naive_time", "needs a UTC offset (e.g. Z)", path)
    try:
        t = datetime.fromisoformat(raw.upper())  # RFC 3339 allows "t" and "z"
    except ValueError:
        raise InvalidVolume("invalid_time", "is not an RFC 3339 timestamp", path) from None
    return t.astimezone(UTC)


def _time(v: Any, path: str) -> datetime:
    o = _obj(v, path, _TIME)
    _text(o, "format", "RFC3339", ("RFC3339",), path)
    return parse_rfc3339(_get(o, "value", path), f"{path}.value")


def footprint_area_m2(f: Footprint) -> float:
    """Geodesic area in square metres."""
    if isinstance(f, Circle):
        return math.pi * f.radius_m**2
    ring = densified(f)
    area, _ = GEOD.polygon_area_perimeter(ring[:, 1], ring[:, 0])
    return abs(float(area))


def _footprint(v: Mapping[str, Any], path: str, bounds: Bounds) -> Footprint:
    """Exactly one outline; `null` counts as absent (some F3548 clients send both keys)."""
    has_poly, has_circle = v.get("outline_polygon") is not None, v.get("outline_circle") is not None
    if has_poly == has_circle:
        raise InvalidVolume(
            "footprint", "exactly one of outline_polygon or outline_circle is required", path
        )
    f: Footprint
    if has_poly:
        f = _polygon(v["outline_polygon"], f"{path}.outline_polygon", bounds)
    else:
        f = _circle(v["outline_circle"], f"{path}.outline_circle")
    if cap(f)[1] > bounds.max_radius_m:
        raise InvalidVolume(
            "too_large",
            f"footprint must fit within {bounds.max_radius_m / 1000:g} km of its centre",
            path,
        )
    if footprint_area_m2(f) > bounds.max_area_m2:
        raise InvalidVolume(
            "too_large", f"footprint area must be at most {bounds.max_area_m2 / 1e6:g} km²", path
        )
    return f


def parse_volume(v: Any, path: str = "volume", bounds: Bounds = DEFAULT_BOUNDS) -> Volume:
    """Parse one Volume4D object into a frozen `Volume`, or raise `InvalidVolume`."""
    o = _obj(v, path, _VOLUME4D)
    inner_path = f"{path}.volume"
    inner = _obj(_get(o, "volume", path), inner_path, _VOLUME3D)
    footprint = _footprint(inner, inner_path, bounds)
    lower_path, upper_path = f"{inner_path}.altitude_lower", f"{inner_path}.altitude_upper"
    raw_lower, raw_upper = (
        _get(inner, k, inner_path) for k in ("altitude_lower", "altitude_upper")
    )
    lower, lower_m, lower_ref = parse_altitude(raw_lower, lower_path)
    upper, upper_m, upper_ref = parse_altitude(raw_upper, upper_path)
    if lower.lower > upper.upper or (lower_ref == upper_ref and lower_m > upper_m):
        raise InvalidVolume(
            "altitude_order", "altitude_lower must be <= altitude_upper", lower_path
        )
    start = _time(_get(o, "time_start", path), f"{path}.time_start")
    end = _time(_get(o, "time_end", path), f"{path}.time_end")
    if end <= start:
        raise InvalidVolume("time_order", "time_end must be after time_start", f"{path}.time_end")
    if end - start > bounds.max_duration:
        raise InvalidVolume(
            "too_long", f"duration must be at most {bounds.max_duration}", f"{path}.time_end"
        )
    return Volume(footprint, lower.lower, upper.upper, start, end)


def parse_volumes(
    v: Any, path: str = "volumes", bounds: Bounds = DEFAULT_BOUNDS
) -> tuple[Volume, ...]:
    """Parse a non-empty array of Volume4D objects within `bounds.max_volumes`."""
    if not isinstance(v, Sequence) or isinstance(v, str):
        raise InvalidVolume("invalid_type", "must be an array of Volume4D", path)
    if not 1 <= len(v) <= bounds.max_volumes:
        raise InvalidVolume("count", f"needs 1 to {bounds.max_volumes} volumes", path)
    return tuple(parse_volume(x, f"{path}[{i}]", bounds) for i, x in enumerate(v))


def _rfc3339(t: datetime) -> dict[str, str]:
    return {"value": t.astimezone(UTC).isoformat().replace("+00:00", "Z"), "format": "RFC3339"}


def _alt(m: float) -> dict[str, Any]:
    return {"value": m, "reference": "W84", "units": "M"}


def volume_to_json(v: Volume) -> dict[str, Any]:
    """A `Volume` back to Volume4D JSON."""
    f = v.footprint
    inner: dict[str, Any]
    if isinstance(f, Circle):
        inner = {
            "outline_circle": {
                "center": {"lat": f.center.lat, "lng": f.center.lng},
                "radius": {"value": f.radius_m, "units": "M"},
            }
        }
    else:
        inner = {
            "outline_polygon": {"vertices": [{"lat": p.lat, "lng": p.lng} for p in f.vertices]}
        }
    inner["altitude_lower"] = _alt(v.alt_lower_m)
    inner["altitude_upper"] = _alt(v.alt_upper_m)
    return {"volume": inner, "time_start": _rfc3339(v.time_start), "time_end": _rfc3339(v.time_end)}


def region_to_json(r: Region) -> dict[str, Any]:
    """A conflict region: footprint rings as lat/lng, altitude band and time window."""
    return {
        "footprint": [[{"lat": p.lat, "lng": p.lng} for p in ring] for ring in r.rings],
        "altitude_lower": _alt(r.alt_lower_m),
        "altitude_upper": _alt(r.alt_upper_m),
        "time_start": _rfc3339(r.time_start),
        "time_end": _rfc3339(r.time_end),
    }


def region_to_geojson(r: Region) -> dict[str, Any]:
    """A conflict region as a GeoJSON Feature (MultiPolygon, [lng, lat] order) for maps."""
    return {
        "type": "Feature",
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": [[[[p.lng, p.lat] for p in ring]] for ring in r.rings],
        },
        "properties": {
            "altitude_lower_m": r.alt_lower_m,
            "altitude_upper_m": r.alt_upper_m,
            "time_start": _rfc3339(r.time_start)["value"],
            "time_end": _rfc3339(r.time_end)["value"],
        },
    }
