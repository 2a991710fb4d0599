"""Files in and out: one module per format (GeoJSON, KML, CSV, ICAO NOTAM, ED-269). Pure: text
in, operation dicts out — each then checked by the one strict Volume4D parser, its errors kept
per item as `{"item", "field", "message"}` — or features in, text out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from deconflict.errors import InvalidVolume
from deconflict.formats import csv, ed269, geojson, kml, notam
from deconflict.formats.common import Feature, ItemError, Read, checked, operation_features
from deconflict.formats.operation import Planned
from deconflict.geometry import DEFAULT_BOUNDS, Bounds

READERS: dict[str, Callable[[str | bytes], Read]] = {
    "geojson": geojson.read,
    "kml": kml.read,
    "csv": csv.read,
    "notam": notam.read,
    "ed269": ed269.read,
}
WRITERS: dict[str, Callable[[Iterable[Feature]], str]] = {
    "geojson": geojson.write,
    "kml": kml.write,
    "csv": csv.write,
}
MEDIA_TYPES = {
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "csv": "text/csv; charset=utf-8",
}
EXTENSIONS = {
    ".geojson": "geojson", ".json": "geojson", ".kml": "kml", ".csv": "csv",
    ".txt": "notam", ".notam": "notam", ".ed269": "ed269",
}  # fmt: skip


def read(
    fmt: str, body: str | bytes, bounds: Bounds = DEFAULT_BOUNDS
) -> tuple[list[tuple[int, Planned]], list[dict[str, Any]]]:
    """The file's operations, checked, by item number, and the items refused; a file that
    cannot be read at all raises `InvalidVolume` naming what is wrong."""
    if fmt not in READERS:
        raise InvalidVolume(
            "invalid_format", f"format must be one of {', '.join(READERS)}", "format"
        )
    try:
        return checked(READERS[fmt](body), bounds)
    except ItemError as e:
        raise InvalidVolume("invalid_file", e.message, e.field or "body") from None
    except UnicodeDecodeError:
        raise InvalidVolume("invalid_file", "must be UTF-8 text", "body") from None


__all__ = [
    "EXTENSIONS",
    "MEDIA_TYPES",
    "READERS",
    "WRITERS",
    "Feature",
    "operation_features",
    "read",
]
