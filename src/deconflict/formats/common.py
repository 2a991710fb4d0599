"""What every reader and writer shares: items and their errors, Volume4D pieces, altitudes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from deconflict.engine import Kind
from deconflict.errors import InvalidVolume
from deconflict.formats.operation import Planned, parse_operation
from deconflict.geometry import DEFAULT_BOUNDS, Bounds, Circle, Volume

UNLIMITED_M = 100_000.0  # "UNL" / no upper limit: the edge of space, W84
SURFACE = {"value": 0.0, "units": "M", "reference": "SFC"}
OPEN_ENDED = "an end time is required: open-ended (permanent) windows are not supported yet"
KINDS = tuple(k.value for k in Kind)


class ItemError(Exception):
    """One item of a file refused: which field of it, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@frozen
class Read:
    """A file read: operation dicts by item number, and the items refused."""

    items: tuple[tuple[int, dict[str, Any]], ...]
    errors: tuple[dict[str, Any], ...]


def error(item: int, field: str, message: str) -> dict[str, Any]:
    return {"item": item, "field": field, "message": message}


def gather(parts: Iterable[tuple[int, Any]], one: Any) -> Read:
    """Run `one(raw)` → (operation dict, operation key or None) on each (item, raw). Items with
    the same key (an export writes one per volume) are one operation: its first item's number,
    kind and label stand for it, and it is refused whole if any of its items is."""
    errors: list[dict[str, Any]] = []
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    failed: set[str] = set()
    for item, raw in parts:
        key = f"#{item}"
        try:
            op, named = one(raw)
            key = f"={named}" if named else key
            groups.setdefault(key, []).append((item, op))
        except ItemError as e:
            errors.append(error(item, e.field, e.message))
            failed.add(key if not isinstance(raw, Mapping) else _key_of(raw, key))
    items = []
    for key, members in groups.items():
        if key in failed:
            errors += [
                error(i, "operation", "another item of this operation was refused")
                for i, _ in members
            ]
            continue
        first, op = members[0]
        op["volumes"] = [v for _, m in members for v in m["volumes"]]
        items.append((first, op))
    return Read(tuple(items), tuple(errors))


def _key_of(raw: Mapping[str, Any], default: str) -> str:
    """The operation key of a refused item, when it says one (GeoJSON properties, CSV row)."""
    props = raw.get("properties", raw)
    named = props.get("operation") if isinstance(props, Mapping) else None
    return f"={named}" if isinstance(named, str) and named else default


def checked(
    read: Read, bounds: Bounds = DEFAULT_BOUNDS
) -> tuple[list[tuple[int, Planned]], list[dict[str, Any]]]:
    """Every operation dict through the one strict parser; errors keep their item number."""
    out, errors = [], list(read.errors)
    for item, raw in read.items:
        try:
            out.append((item, parse_operation(raw, "operation", bounds)))
        except InvalidVolume as e:
            errors.append(error(item, e.field or "operation", e.message))
    errors.sort(key=lambda e: e["item"])
    return out, errors


def altitude(value: Any, units: str = "M", reference: str = "W84") -> dict[str, Any]:
    return {"value": value, "units": units, "reference": reference}


def time(value: Any) -> dict[str, Any]:
    return {"value": value, "format": "RFC3339"}


def circle(lat: Any, lng: Any, radius_m: Any) -> dict[str, Any]:
    return {
        "outline_circle": {
            "center": {"lat": lat, "lng": lng},
            "radius": {"value": radius_m, "units": "M"},
        }
    }


def polygon(vertices: Iterable[tuple[Any, Any]]) -> dict[str, Any]:
    """From (lat, lng) pairs."""
    return {"outline_polygon": {"vertices": [{"lat": a, "lng": b} for a, b in vertices]}}


def volume(
    outline: Mapping[str, Any], lower: Any, upper: Any, start: Any, end: Any, field: str
) -> dict[str, Any]:
    """A Volume4D dict; a missing end is refused here, naming `field`."""
    if end is None or end == "":
        raise ItemError(field, OPEN_ENDED)
    if start is None or start == "":
        raise ItemError(field.replace("end", "start"), "a start time is required")
    return {
        "volume": {**outline, "altitude_lower": lower, "altitude_upper": upper},
        "time_start": time(start),
        "time_end": time(end),
    }


def kind_of(raw: Any, field: str) -> str:
    if raw not in KINDS:
        raise ItemError(field, f"kind must be one of {', '.join(KINDS)}")
    return str(raw)


def default_altitudes(kind: str, field: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A presence without altitudes is on the ground (surface to surface, widened as AGL is);
    a flight or hazard must say how high it goes."""
    if kind != Kind.PRESENCE.value:
        raise ItemError(field, "altitudes are required for a flight or a hazard")
    return dict(SURFACE), dict(SURFACE)


def ccw(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """An open (lng, lat) ring turned counterclockwise (RFC 7946 right-hand rule), its first
    vertex kept; longitudes unwrapped around the first so a ring across ±180° turns right."""
    x0 = ring[0][0]
    xy = [(((x - x0 + 180) % 360) - 180, y) for x, y in ring]
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(xy, xy[1:] + xy[:1], strict=True))
    return ring if area >= 0 else ring[:1] + ring[:0:-1]


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


@frozen
class Feature:
    """One shape to write: an open (lng, lat) ring or a circle, a W84 band, a window, and the
    properties that say what it is (operation id, kind, label; or a conflict's)."""

    properties: dict[str, Any]
    ring: tuple[tuple[float, float], ...] | None
    circle: tuple[float, float, float] | None  # lng, lat, radius in metres
    lower_m: float
    upper_m: float
    start: str
    end: str


def operation_features(
    op_id: str, kind: str, label: str, volumes: Iterable[Volume]
) -> list[Feature]:
    """One feature per volume of an operation, all carrying its id, kind and label."""
    out = []
    for v in volumes:
        props = {"operation": op_id, "kind": kind, "label": label}
        f = v.footprint
        ring = None if isinstance(f, Circle) else tuple(ccw([(p.lng, p.lat) for p in f.vertices]))
        disc = (f.center.lng, f.center.lat, f.radius_m) if isinstance(f, Circle) else None
        out.append(
            Feature(
                props,
                ring,
                disc,
                v.alt_lower_m,
                v.alt_upper_m,
                rfc3339(v.time_start),
                rfc3339(v.time_end),
            )
        )
    return out
