"""Is a 4D point (lat, lng, altitude, time) inside a volume? Exact in geodesic terms.

>>> from datetime import UTC, datetime
>>> from deconflict.geometry.model import Circle, LatLng, Volume
>>> v = Volume(Circle(LatLng(0.0, 179.99), 2000.0), 0.0, 500.0,
...            datetime(2031, 1, 1, tzinfo=UTC), datetime(2031, 1, 2, tzinfo=UTC))
>>> t = datetime(2031, 1, 1, 12, tzinfo=UTC).timestamp()
>>> contains(v, 0.0, -179.999, 100.0, t), contains(v, 0.0, -179.98, 100.0, t)
(True, False)

- time: the window is half-open, [start, end);
- altitude: the band is closed, [lower, upper];
- circle: the geodesic distance to the centre is at most the radius (no projection at all);
- polygon: the point is projected into the footprint's own azimuthal equidistant plane (the one
  the overlap tests use, centred on the footprint's bounding cap), where edges are densified
  geodesics, and tested with Shapely; the boundary counts as inside. Containment is
  topological, so projection changes no answer farther than the densified edges' sagitta (well
  under a metre) from the boundary. Longitudes wrap: the antimeridian needs no special case.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from deconflict.geometry.geodesy import GEOD, cap, project_from
from deconflict.geometry.model import Circle, Volume
from deconflict.geometry.overlap import planar


def contains_points(
    volume: Volume, lat: ArrayLike, lng: ArrayLike, alt_m: ArrayLike, t: ArrayLike
) -> NDArray[np.bool_]:
    """For arrays of points (degrees, metres W84, epoch seconds): which lie inside `volume`."""
    lat_, lng_, alt, when = np.broadcast_arrays(
        *(np.asarray(a, np.float64) for a in (lat, lng, alt_m, t))
    )
    inside = (when >= volume.t0) & (when < volume.t1)
    inside &= (alt >= volume.alt_lower_m) & (alt <= volume.alt_upper_m)
    if not inside.any():
        return inside
    idx = np.flatnonzero(inside.ravel())
    out = inside.ravel().copy()
    out[idx] = _footprint_contains(volume, lat_.ravel()[idx], lng_.ravel()[idx])
    return out.reshape(inside.shape)


def contains(volume: Volume, lat: float, lng: float, alt_m: float, t: float) -> bool:
    """One point: see :func:`contains_points`."""
    return bool(contains_points(volume, lat, lng, alt_m, t))


def _footprint_contains(
    volume: Volume, lat: NDArray[np.float64], lng: NDArray[np.float64]
) -> NDArray[np.bool_]:
    f = volume.footprint
    if isinstance(f, Circle):
        n = lat.size
        _, _, d = GEOD.inv(np.full(n, f.center.lng), np.full(n, f.center.lat), lng, lat)
        return np.asarray(d, dtype=np.float64) <= f.radius_m
    center = cap(f)[0]
    xy = project_from(center, lat, lng)
    return np.asarray(shapely.covers(planar(f, center), shapely.points(xy)), dtype=np.bool_)
