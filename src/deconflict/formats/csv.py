"""CSV site lists, one row per site (as humanitarian notification lists are kept):
`name,lat,lon,radius_m,kind` plus optional `time_start,time_end` (RFC 3339),
`alt_lower,alt_upper,alt_units,alt_reference` (default M and AGL), `mgrs` (instead of lat/lon),
`polygon` ("lat lon; lat lon; ..." instead of a disc) and `operation` (rows naming one id are
one operation). lat/lon take decimal degrees or DMS (36°12'30"N, 361230N)."""

from __future__ import annotations

import csv
import io
import math
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
from deconflict.formats.coordinates import degrees, from_mgrs

REQUIRED = ("name", "kind")
COLUMNS = (
    "operation", "name", "kind", "lat", "lon", "mgrs", "radius_m", "polygon",
    "time_start", "time_end", "alt_lower", "alt_upper", "alt_units", "alt_reference",
)  # fmt: skip


def _number(row: Mapping[str, str], key: str) -> float:
    try:
        v = float(row[key])
    except (KeyError, ValueError):
        raise ItemError(key, f"{row.get(key)!r} is not a number") from None
    if not math.isfinite(v):
        raise ItemError(key, "must be a finite number")
    return v


def _outline(row: Mapping[str, str]) -> dict[str, Any]:
    if row.get("polygon"):
        pairs = [p.split() for p in row["polygon"].split(";") if p.strip()]
        if not all(len(p) == 2 for p in pairs):
            raise ItemError("polygon", 'must be "lat lon; lat lon; ..."')
        return polygon(
            (degrees(a, "lat", "polygon"), degrees(b, "lng", "polygon")) for a, b in pairs
        )
    if row.get("lat") or row.get("lon"):
        lat, lng = (
            degrees(row.get("lat", ""), "lat", "lat"),
            degrees(row.get("lon", ""), "lng", "lon"),
        )
    elif row.get("mgrs"):
        lat, lng = from_mgrs(row["mgrs"], "mgrs")
    else:
        raise ItemError("lat", "needs lat and lon, mgrs, or polygon")
    return circle(lat, lng, _number(row, "radius_m"))


def _altitudes(row: Mapping[str, str], kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    if not row.get("alt_lower") and not row.get("alt_upper"):
        return default_altitudes(kind, "alt_lower")
    units = row.get("alt_units") or "M"
    reference = row.get("alt_reference") or "AGL"
    return (
        altitude(_number(row, "alt_lower"), units, reference),
        altitude(_number(row, "alt_upper"), units, reference),
    )


def _operation(row: Mapping[str, str]) -> tuple[dict[str, Any], str | None]:
    if None in row:
        raise ItemError("row", "has more cells than the header")
    kind = kind_of(row.get("kind"), "kind")
    lower, upper = _altitudes(row, kind)
    vol = volume(
        _outline(row), lower, upper, row.get("time_start"), row.get("time_end"), "time_end"
    )
    return {"kind": kind, "label": row.get("name") or "", "volumes": [vol]}, row.get(
        "operation"
    ) or None


def read(text: str | bytes) -> Read:
    """Operation dicts from a CSV with a header row; item n is the n-th data row (0-based)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    try:
        rows = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        header = [h.strip() for h in rows.fieldnames or []]
        rows.fieldnames = header
        data = [{k: (v or "").strip() if k else v for k, v in r.items()} for r in rows]
    except csv.Error as e:
        raise ItemError("", f"not CSV ({e})") from None
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ItemError(unknown[0], f"unknown column; known: {', '.join(COLUMNS)}")
    missing = [h for h in REQUIRED if h not in header]
    if missing:
        raise ItemError(missing[0], "this column is required")
    return gather(enumerate(data), _operation)


def write(features: Iterable[Feature], columns: tuple[str, ...] = ()) -> str:
    """A CSV of the features: polygons in `polygon`, discs in lat/lon/radius_m, W84 metres;
    `columns` adds property columns after the standard ones."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow((*COLUMNS, *columns))
    for f in features:
        p = f.properties
        lat = lon = radius = ring = ""
        if f.circle is not None:
            lon, lat, radius = (repr(x) for x in f.circle)
        else:
            assert f.ring is not None
            ring = "; ".join(f"{y!r} {x!r}" for x, y in f.ring)
        w.writerow(
            (
                p.get("operation", ""), p.get("label", ""), p.get("kind", ""), lat, lon, "",
                radius, ring, f.start, f.end, repr(f.lower_m), repr(f.upper_m), "M", "W84",
                *(p.get(c, "") for c in columns),
            )
        )  # fmt: skip
    return out.getvalue()
