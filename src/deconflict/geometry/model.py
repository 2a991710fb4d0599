"""Frozen value objects for 4D volumes: footprint x altitude band x half-open time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attrs import field, frozen

# The end of a volume that has none (a hospital that stays): far enough never to be reached,
# early enough for every datetime and float conversion. The index keeps such a volume under one
# key of its one-bucket time level, so searching it costs the same as a short one.
OPEN_END = datetime(9999, 1, 1, tzinfo=UTC)


@frozen(cache_hash=True)
class LatLng:
    """A point on the WGS84 ellipsoid, degrees."""

    lat: float
    lng: float


@frozen(cache_hash=True)
class Circle:
    """A geodesic circle: every point within `radius_m` metres of `center`."""

    center: LatLng
    radius_m: float


@frozen(cache_hash=True)
class Polygon:
    """A simple polygon whose edges are geodesics between consecutive vertices (open ring)."""

    vertices: tuple[LatLng, ...]


Footprint = Circle | Polygon


@frozen(cache_hash=True)
class Volume:
    """A footprint, an altitude band [lower, upper] in metres (W84) and a window [start, end)."""

    footprint: Footprint
    alt_lower_m: float
    alt_upper_m: float
    time_start: datetime
    time_end: datetime
    t0: float = field(init=False, eq=False, repr=False)
    t1: float = field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        # Epoch seconds, kept beside the datetimes for vectorised time tests.
        object.__setattr__(self, "t0", self.time_start.timestamp())
        object.__setattr__(self, "t1", self.time_end.timestamp())

    @property
    def duration(self) -> timedelta:
        return self.time_end - self.time_start


@frozen
class Region:
    """What two volumes share: the footprint overlap (lat/lng rings), altitudes and times.

    `rings` holds one or more outer rings (a footprint intersection can be split); with a
    separation > 0 and no geometric intersection, it is the gap's hull between the two.
    """

    rings: tuple[tuple[LatLng, ...], ...]
    alt_lower_m: float
    alt_upper_m: float
    time_start: datetime
    time_end: datetime


@frozen
class Bounds:
    """Limits that keep one volume from uncovering everything at once (configurable)."""

    max_vertices: int = 1000
    max_area_m2: float = 10_000e6
    max_duration: timedelta = timedelta(days=90)
    max_volumes: int = 100
    max_radius_m: float = 500_000.0
