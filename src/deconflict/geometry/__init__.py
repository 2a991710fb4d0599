"""Pure 4D geometry on WGS84: volumes, their format, projection and overlap. No I/O."""

from deconflict.geometry.contains import contains, contains_points
from deconflict.geometry.model import (
    OPEN_END,
    Bounds,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    Region,
    Volume,
)
from deconflict.geometry.overlap import footprints_conflict, region, volumes_conflict
from deconflict.geometry.volume4d import (
    DEFAULT_BOUNDS,
    footprint_area_m2,
    parse_volume,
    parse_volumes,
    region_to_geojson,
    region_to_json,
    volume_to_json,
)

__all__ = [
    "DEFAULT_BOUNDS",
    "OPEN_END",
    "Bounds",
    "Circle",
    "Footprint",
    "LatLng",
    "Polygon",
    "Region",
    "Volume",
    "contains",
    "contains_points",
    "footprint_area_m2",
    "footprints_conflict",
    "parse_volume",
    "parse_volumes",
    "region",
    "region_to_geojson",
    "region_to_json",
    "volume_to_json",
    "volumes_conflict",
]
