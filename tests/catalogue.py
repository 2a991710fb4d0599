"""A catalogue of sample volumes: named pairs whose answer is known without any computation.

Every footprint is built with `Geod.fwd` from a place and geodesic distances, so a case says
what it is (shared edge, vertex contact, 1 km gap, ...) rather than carrying coordinates.
`CASES` pairs each with the separation it is judged at and whether it must conflict.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from attrs import evolve, frozen
from pyproj import Geod
from strategies import EPOCH, offset

from deconflict.geometry import Circle, Footprint, LatLng, Polygon, Volume

GEOD = Geod(ellps="WGS84")
HOUR = timedelta(hours=1)

PLACES = {
    "aleppo": LatLng(36.2, 37.15),
    "equator": LatLng(0.0, 0.0),
    "north85": LatLng(85.0, 40.0),
    "south85": LatLng(-85.0, -120.0),
    "antimeridian": LatLng(-16.5, 180.0),
    "chukotka": LatLng(66.0, -179.99),
}


@frozen
class Case:
    """Two volumes, the horizontal and vertical separations, and the known answer."""

    name: str
    a: Volume
    b: Volume
    conflict: bool
    h_sep_m: float = 0.0
    v_sep_m: float = 0.0
    gap_m: float | None = None  # the footprints' true geodesic gap when known (0: touching)


def volume(
    f: Footprint, lower: float = 0.0, upper: float = 1_000.0, start: int = 0, hours: int = 2
) -> Volume:
    t0 = EPOCH + start * HOUR
    return Volume(f, lower, upper, t0, t0 + hours * HOUR)


def square(center: LatLng, half_m: float, turn: float = 0.0) -> Polygon:
    """A near-square: corners at `half_m`·√2 from the centre on the diagonals."""
    d = half_m * 2**0.5
    return Polygon(tuple(offset(center, turn + 45 + 90 * i, d) for i in range(4)))


def u_shape(center: LatLng, size_m: float) -> tuple[Polygon, LatLng]:
    """A U open to the north, `size_m` across; and the middle of its notch."""

    def at(east: float, north: float) -> LatLng:
        p = offset(center, 90.0, east * size_m) if east else center
        return offset(p, 0.0, north * size_m) if north else p

    ring = [
        at(-0.5, -0.5),
        at(0.5, -0.5),
        at(0.5, 0.5),
        at(0.25, 0.5),
        at(0.25, -0.25),
        at(-0.25, -0.25),
    ]
    ring += [at(-0.25, 0.5), at(-0.5, 0.5)]
    return Polygon(tuple(ring)), at(0.0, 0.2)


def apex_pair(at: LatLng, azimuth: float, gap_m: float, size_m: float) -> tuple[Polygon, Polygon]:
    """Two kites pointing at each other across a geodesic gap of `gap_m` between their apexes.

    Their sides recede at 40° from the line joining the apexes, so the apexes are the closest
    points and the footprints' distance is exactly `gap_m`.
    """
    lng, lat, baz = GEOD.fwd(at.lng, at.lat, azimuth, gap_m)
    other = LatLng(float(lat), float(lng))
    return kite(at, azimuth + 180.0, size_m), kite(other, float(baz) + 180.0, size_m)


def kite(apex: LatLng, heading: float, size_m: float) -> Polygon:
    """A kite whose apex is at `apex` and whose body lies towards `heading`."""
    return Polygon(
        (
            apex,
            offset(apex, heading - 40.0, size_m),
            offset(apex, heading, size_m * 1.3),
            offset(apex, heading + 40.0, size_m),
        )
    )


def shared_edge(center: LatLng, size_m: float) -> tuple[Polygon, Polygon]:
    """Two quadrilaterals sharing the geodesic edge from `center` northward, one on each side."""
    north = offset(center, 0.0, size_m)
    west = (offset(center, 270.0, size_m), offset(north, 270.0, size_m))
    east = (offset(center, 90.0, size_m), offset(north, 90.0, size_m))
    return Polygon((center, north, west[1], west[0])), Polygon((center, east[0], east[1], north))


def vertex_touch(center: LatLng, size_m: float) -> tuple[Polygon, Polygon]:
    """Two triangles meeting only at `center`, on opposite sides."""
    a = Polygon((center, offset(center, 20.0, size_m), offset(center, 70.0, size_m)))
    b = Polygon((center, offset(center, 200.0, size_m), offset(center, 250.0, size_m)))
    return a, b


def _touching(place: str, p: LatLng, size: float) -> Iterator[Case]:
    """Boundary cases: apart at separation 0, in conflict at any separation > 0."""
    pairs = {
        "shared-edge": shared_edge(p, size),
        "vertex-touch": vertex_touch(p, size),
        "apex-touch": apex_pair(p, 30.0, 0.0, size),
    }
    for name, (fa, fb) in pairs.items():
        yield Case(f"{name}-{place}-{size:g}m", volume(fa), volume(fb), False, gap_m=0.0)
        yield Case(
            f"{name}-{place}-{size:g}m-sep", volume(fa), volume(fb), True, h_sep_m=1.0, gap_m=0.0
        )
    c = Circle(offset(p, 90.0, size), size)
    d = Circle(offset(p, 270.0, size), size)
    yield Case(f"circles-tangent-{place}-{size:g}m", volume(c), volume(d), False, gap_m=0.0)
    yield Case(
        f"circles-tangent-{place}-{size:g}m-sep", volume(c), volume(d), True, h_sep_m=1.0, gap_m=0.0
    )


def _bands_and_windows(p: LatLng) -> Iterator[Case]:
    f = square(p, 1_000.0)
    a = volume(f, 0.0, 500.0, start=0, hours=2)
    yield Case("altitudes-touch", a, volume(f, 500.0, 900.0), False)
    yield Case("altitudes-touch-vsep", a, volume(f, 500.0, 900.0), True, v_sep_m=1.0)
    yield Case("altitudes-gap-100-vsep-150", a, volume(f, 600.0, 900.0), True, v_sep_m=150.0)
    yield Case("altitudes-gap-100-vsep-100", a, volume(f, 600.0, 900.0), False, v_sep_m=100.0)
    yield Case("altitudes-flat-inside", a, volume(f, 200.0, 200.0), True)
    # A camp on the ground under a hazard from the ground up: the flat band is in the hazard.
    yield Case("altitudes-ground-presence", volume(f, 0.0, 0.0), volume(f, 0.0, 3_000.0), True)
    yield Case("altitudes-flat-on-flat", volume(f, 0.0, 0.0), volume(f, 0.0, 0.0), True)
    yield Case("altitudes-flat-apart", volume(f, 0.0, 0.0), volume(f, 1.0, 1.0), False)
    yield Case("times-touch", a, volume(f, start=2), False)
    # Time windows stay half-open whatever the separations: there is no time separation.
    yield Case("times-touch-sep", a, volume(f, start=2), False, h_sep_m=5_000.0, v_sep_m=300.0)
    yield Case(
        "times-overlap-1s",
        a,
        evolve(a, time_start=a.time_end - timedelta(seconds=1), time_end=a.time_end + HOUR),
        True,
    )


def _around_gap(name: str, a: Volume, b: Volume, gap: float) -> Iterator[Case]:
    """Two cases at a known gap: no conflict at a separation a tolerance below it, one above."""
    yield Case(name, a, b, False, h_sep_m=gap * 0.99 - 10, gap_m=gap)
    yield Case(f"{name}-sep", a, b, True, h_sep_m=gap * 1.01 + 10, gap_m=gap)


def _shapes(place: str, p: LatLng) -> Iterator[Case]:
    u, notch = u_shape(p, 10_000.0)
    inner = square(notch, 1_000.0)
    yield Case(f"u-notch-{place}", volume(u), volume(inner), False)
    yield Case(f"u-notch-{place}-sep-1km", volume(u), volume(inner), True, h_sep_m=1_700.0)
    yield Case(f"u-notch-{place}-sep-1km-short", volume(u), volume(inner), False, h_sep_m=1_300.0)
    yield Case(f"u-notch-circle-{place}", volume(u), volume(Circle(notch, 1_000.0)), False)
    big = square(p, 10_000.0)
    yield Case(f"square-inside-square-{place}", volume(big), volume(square(p, 1.0)), True)
    yield Case(f"circle-inside-square-{place}", volume(big), volume(Circle(p, 1.0)), True)
    yield Case(f"square-inside-circle-{place}", volume(Circle(p, 20_000.0)), volume(big), True)
    yield Case(
        f"tiny-1m-overlap-{place}",
        volume(square(p, 0.5)),
        volume(square(offset(p, 45.0, 0.5), 0.5)),
        True,
    )
    yield Case(
        f"tiny-1m-apart-{place}",
        volume(square(p, 0.5)),
        volume(square(offset(p, 90.0, 1.5), 0.5)),
        False,
        gap_m=0.5,
    )
    for gap in (1_000.0, 100_000.0):
        fa, fb = apex_pair(p, 60.0, gap, 50_000.0)
        yield from _around_gap(f"apex-{gap:g}m-{place}", volume(fa), volume(fb), gap)
        c = Circle(offset(p, 60.0 + 180.0, 30_000.0), 30_000.0)  # touches the kite's apex at p
        yield from _around_gap(f"circle-apex-{gap:g}m-{place}", volume(c), volume(fb), gap)
    # Huge: 1,000 km across, overlapping by a sliver of 20 km, and 1,000 km apart.
    fa, fb = apex_pair(p, 100.0, 0.0, 500_000.0)
    deep = Polygon(tuple(offset(v, 100.0 + 180.0, 20_000.0) for v in fb.vertices))
    yield Case(f"huge-overlap-{place}", volume(fa), volume(deep), True)
    ha, hb = apex_pair(p, 100.0, 1_000_000.0, 400_000.0)
    yield Case(
        f"huge-apart-{place}",
        volume(ha),
        volume(hb),
        False,
        h_sep_m=990_000.0 - 10,
        gap_m=1_000_000.0,
    )
    yield Case(
        f"huge-apart-{place}-sep",
        volume(ha),
        volume(hb),
        True,
        h_sep_m=1_010_000.0 + 10,
        gap_m=1_000_000.0,
    )


def cases() -> list[Case]:
    out: list[Case] = []
    for place, p in PLACES.items():
        for size in (1.0, 1_000.0, 400_000.0):
            out.extend(_touching(place, p, size))
        out.extend(_shapes(place, p))
    out.extend(_bands_and_windows(PLACES["aleppo"]))
    return out


CASES = cases()
