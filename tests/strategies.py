"""Every Hypothesis strategy of the suite, generating the whole input space of geometry and engine.

Footprints are built around a centre with `Geod.fwd`, so sizes are true geodesic metres:
star-shaped polygons (convex or concave, 3 to 12 vertices) and circles, from 1 m to 500 km in
radius (1,000 km across), centred anywhere from 85° S to 85° N, often straddling ±180°.
Pairs place the second footprint at a chosen geodesic offset from the first, so they touch,
overlap, nest or stand apart in comparable proportions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.engine import Kind, Operation, Rules, Separation, State
from deconflict.geometry import OPEN_END, Circle, Footprint, LatLng, Polygon, Volume

GEOD = Geod(ellps="WGS84")
EPOCH = datetime(2026, 6, 1, tzinfo=UTC)
MAX_RADIUS_M = 500_000.0
KINDS = tuple(Kind)
STATES = tuple(State)
PARTIES = ("north", "south", "aid", "relief")


def examples(n: int) -> int:
    """`n` examples under the `ci` profile (100), scaled with the active profile."""
    return max(1, n * settings.default.max_examples // 100)


def wrap(lng: float) -> float:
    """Longitude into [-180, 180)."""
    return (lng + 180.0) % 360.0 - 180.0


def offset(p: LatLng, azimuth: float, distance_m: float) -> LatLng:
    """The point `distance_m` metres from `p` along `azimuth` (geodesic)."""
    lng, lat, _ = GEOD.fwd(p.lng, p.lat, azimuth, distance_m)
    return LatLng(float(lat), wrap(float(lng)))


# -- points and sizes ------------------------------------------------------------------------

lats = st.floats(-85.0, 85.0)
lngs = st.one_of(st.floats(-180.0, 180.0), st.floats(178.0, 180.0), st.floats(-180.0, -178.0))
latlngs = st.builds(LatLng, lats, lngs)
# Log-uniform radii: every scale from 1 m to 500 km is as likely as any other.
radii = st.floats(0.0, math.log10(MAX_RADIUS_M)).map(lambda e: 10.0**e)


@st.composite
def star_polygon(draw: st.DrawFn, center: LatLng, radius_m: float) -> Polygon:
    """A simple star-shaped polygon around `center` whose vertices lie within `radius_m`.

    Azimuths are sorted with gaps under 150° and no vertex is closer than 0.3 r to the centre,
    so the ring never crosses itself; uneven radii make it concave.
    """
    n = draw(st.integers(3, 12))
    gaps = draw(st.lists(st.floats(0.2, 1.0), min_size=n, max_size=n))
    total = sum(gaps)
    if max(gaps) / total * 360 >= 150:
        gaps = [1.0] * n  # regular fallback keeps the polygon simple
        total = float(n)
    start = draw(st.floats(0.0, 360.0))
    azimuths, acc = [], start
    for g in gaps:
        azimuths.append(acc % 360.0)
        acc += g / total * 360.0
    fractions = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    return Polygon(
        tuple(offset(center, az, radius_m * f) for az, f in zip(azimuths, fractions, strict=True))
    )


def circle(center: LatLng, radius_m: float) -> st.SearchStrategy[Circle]:
    return st.just(Circle(center, radius_m))


def footprint_at(center: LatLng, radius_m: float) -> st.SearchStrategy[Footprint]:
    """A circle or a polygon around `center`, reaching at most `radius_m` from it."""
    return st.one_of(circle(center, radius_m), star_polygon(center, radius_m))


@st.composite
def footprints(draw: st.DrawFn, max_radius_m: float = MAX_RADIUS_M) -> Footprint:
    center = draw(latlngs)
    r = min(draw(radii), max_radius_m)
    return draw(footprint_at(center, r))


@st.composite
def footprint_pairs(draw: st.DrawFn) -> tuple[Footprint, Footprint]:
    """Two footprints whose centres stand 0 to 1.3 times their summed radii apart."""
    ca = draw(latlngs)
    ra = draw(radii)
    # The second is often of a similar scale: that is where the interesting contacts are.
    rb = draw(st.one_of(radii, st.floats(0.2, 5.0).map(lambda k: min(ra * k, MAX_RADIUS_M))))
    d = draw(st.floats(0.0, 1.3)) * (ra + rb)
    cb = offset(ca, draw(st.floats(0.0, 360.0)), d)
    return draw(footprint_at(ca, ra)), draw(footprint_at(cb, rb))


# -- altitudes and times ---------------------------------------------------------------------


@st.composite
def bands(draw: st.DrawFn) -> tuple[float, float]:
    lower = draw(st.floats(-500.0, 20_000.0))
    return lower, lower + draw(st.one_of(st.just(0.0), st.floats(0.0, 5_000.0)))


@st.composite
def windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = EPOCH + timedelta(seconds=draw(st.integers(-86_400 * 30, 86_400 * 30)))
    return start, start + timedelta(seconds=draw(st.integers(1, 86_400 * 3)))


@st.composite
def volumes(draw: st.DrawFn, footprint: st.SearchStrategy[Footprint] | None = None) -> Volume:
    f = draw(footprint if footprint is not None else footprints())
    (lo, hi), (t0, t1) = draw(bands()), draw(windows())
    return Volume(f, lo, hi, t0, t1)


@st.composite
def related_bands(draw: st.DrawFn) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two altitude bands that overlap, touch or stand apart by a drawn gap."""
    a = draw(bands())
    gap = draw(st.one_of(st.just(0.0), st.floats(-3_000.0, -0.001), st.floats(0.001, 3_000.0)))
    height = draw(st.one_of(st.just(0.0), st.floats(0.0, 5_000.0)))
    lower = a[1] + gap
    return a, (lower, lower + height)


@st.composite
def related_windows(draw: st.DrawFn) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """Two time windows that overlap, touch (end == start) or stand apart."""
    a = draw(windows())
    seconds = st.one_of(st.just(0), st.integers(-7_200, -1), st.integers(1, 3_600))
    shift = timedelta(seconds=draw(seconds))
    start = a[1] + shift
    return a, (start, start + timedelta(seconds=draw(st.integers(1, 7_200))))


@st.composite
def volume_pairs(draw: st.DrawFn) -> tuple[Volume, Volume]:
    fa, fb = draw(footprint_pairs())
    (ba, bb), (wa, wb) = draw(related_bands()), draw(related_windows())
    return Volume(fa, *ba, *wa), Volume(fb, *bb, *wb)


separations = st.one_of(st.just(0.0), st.floats(1.0, 100_000.0))


# -- Volume4D JSON, valid and broken ---------------------------------------------------------


def rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")


def volume4d(v: Volume) -> dict[str, Any]:
    """Volume4D JSON written independently of `volume_to_json`."""
    f = v.footprint
    outline: dict[str, Any]
    if isinstance(f, Circle):
        outline = {
            "outline_circle": {
                "center": {"lat": f.center.lat, "lng": f.center.lng},
                "radius": {"value": f.radius_m, "units": "M"},
            }
        }
    else:
        outline = {
            "outline_polygon": {"vertices": [{"lat": p.lat, "lng": p.lng} for p in f.vertices]}
        }
    return {
        "volume": {
            **outline,
            "altitude_lower": {"value": v.alt_lower_m, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": v.alt_upper_m, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": rfc3339(v.time_start), "format": "RFC3339"},
        "time_end": {"value": rfc3339(v.time_end), "format": "RFC3339"},
    }


BAD_NUMBERS = (
    "12",
    None,
    True,
    False,
    [1.0],
    {"value": 1},
    float("nan"),
    float("inf"),
    float("-inf"),
    10**400,
)
BAD_TIMES = (
    "2026-06-01T10:00:00",  # naive
    "2026-06-01 10:00",  # no seconds, no offset
    "2026-06-01T10:00Z",  # no seconds
    "20260601T100000Z",  # ISO 8601 basic format, not RFC 3339
    "2026-W22-1T10:00:00Z",  # ISO week date
    "2026-06-01T10:00:00+0200",  # offset without colon
    "2026-06-01T10:00:00,5Z",  # comma fraction
    "2026-06-01",
    "2026-13-01T10:00:00Z",
    "2026-06-01T25:00:00Z",
    "yesterday",
    "",
)


@st.composite
def small_valid_volume(draw: st.DrawFn) -> Volume:
    """A volume within the default bounds (10,000 km², 90 days)."""
    return draw(volumes(footprints(max_radius_m=50_000.0)))


Mutation = Callable[[dict[str, Any]], str]


def _set(path: Sequence[str | int], value: Any) -> Mutation:
    """Set `path` inside the JSON to `value` (or delete it when value is ...); return the field."""

    def apply(doc: dict[str, Any]) -> str:
        node: Any = doc
        for key in path[:-1]:
            node = node[key]
        if value is ...:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return _field(path)

    return apply


def _field(path: Sequence[str | int]) -> str:
    out = "volume"
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else f".{key}"
    return out


@st.composite
def broken_volumes(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A Volume4D document with exactly one defect, and the field path it must be blamed on."""
    v = draw(small_valid_volume())
    doc = volume4d(v)
    inner = doc["volume"]
    outline = "outline_circle" if "outline_circle" in inner else "outline_polygon"
    if outline == "outline_circle":
        point: list[str | int] = ["volume", outline, "center"]
    else:
        k = draw(st.integers(0, len(inner[outline]["vertices"]) - 1))
        point = ["volume", outline, "vertices", k]
    numbers = [
        [*point, "lat"],
        [*point, "lng"],
        ["volume", "altitude_lower", "value"],
        ["volume", "altitude_upper", "value"],
    ]
    if outline == "outline_circle":
        numbers.append(["volume", outline, "radius", "value"])
    choices: list[Mutation] = [
        _set(draw(st.sampled_from(numbers)), draw(st.sampled_from(BAD_NUMBERS))),
        _set(draw(st.sampled_from(numbers)), ...),
        _set([*point, "lat"], draw(st.one_of(st.floats(90.0001, 1e6), st.floats(-1e6, -90.0001)))),
        _set(
            [*point, "lng"], draw(st.one_of(st.floats(180.0001, 1e6), st.floats(-1e6, -180.0001)))
        ),
        _set(
            [draw(st.sampled_from(["time_start", "time_end"])), "value"],
            draw(st.sampled_from(BAD_TIMES)),
        ),
        _set(
            [draw(st.sampled_from(["time_start", "time_end"])), "value"],
            draw(st.sampled_from([None, 0, 1.5, True])),
        ),
        _set([draw(st.sampled_from(["time_start", "time_end"])), "format"], "ISO8601"),
        _set(
            ["volume", draw(st.sampled_from(["altitude_lower", "altitude_upper"])), "reference"],
            draw(st.sampled_from(["MSL", "GND", "w84", 84, True])),
        ),
        _set(
            ["volume", draw(st.sampled_from(["altitude_lower", "altitude_upper"])), "units"],
            draw(st.sampled_from(["KM", "ft", "FL", 1])),
        ),
        _set(
            draw(
                st.sampled_from(
                    [
                        ["extra"],
                        ["volume", "extra"],
                        ["volume", "altitude_lower", "extra"],
                        ["time_end", "extra"],
                        [*point, "alt"],
                    ]
                )
            ),
            draw(st.sampled_from([None, 1, "x"])),
        ),
        _set(["volume"], draw(st.sampled_from([None, 1, "x", []]))),
        _set(
            ["volume", draw(st.sampled_from(["altitude_lower", "altitude_upper"]))],
            draw(st.sampled_from([None, 3, "x"])),
        ),
        _set(
            [draw(st.sampled_from(["time_start", "time_end"]))],
            draw(st.sampled_from([None, 3, "x"])),
        ),
        _set(point, draw(st.sampled_from([None, 3, "x", [1, 2]]))),
    ]
    if outline == "outline_circle":
        choices += [
            _set(
                ["volume", outline, "radius", "value"], draw(st.sampled_from([0, 0.0, -1.0, -1e-9]))
            ),
            _set(["volume", outline, "radius", "units"], draw(st.sampled_from(["NM", "KM", "m"]))),
        ]
    else:
        choices += [
            _set(["volume", outline, "vertices"], draw(st.sampled_from([None, {}, "abc", 5])))
        ]
    mutate = draw(st.sampled_from(choices))
    return doc, mutate(doc)


# -- operations, rules and scenarios ---------------------------------------------------------

rules_tables = st.dictionaries(
    st.sampled_from([frozenset(p) for p in ((a, b) for a in KINDS for b in KINDS)]),
    st.builds(Separation, separations, st.one_of(st.just(0.0), st.floats(1.0, 1_000.0))),
    max_size=6,
).map(Rules)


CITIES = (
    LatLng(36.2, 37.15),  # Aleppo
    LatLng(-17.7, 178.4),  # near the antimeridian (Fiji)
    LatLng(65.0, -179.6),  # Chukotka, across ±180°
    LatLng(84.0, 20.0),  # high Arctic
    LatLng(-84.5, -60.0),  # Antarctica
    LatLng(0.0, 0.0),
)


def random_volume(
    rng: random.Random, around: LatLng, spread_m: float, days: float, flat: bool = True
) -> Volume:
    """A volume near `around` (up to `spread_m` away), within `days` of EPOCH."""
    c = offset(around, rng.uniform(0, 360), rng.uniform(0, spread_m))
    r = 10.0 ** rng.uniform(1.0, 4.7)  # 10 m to 50 km
    f: Footprint
    if rng.random() < 0.4:
        f = Circle(c, r)
    else:
        n = rng.randint(3, 9)
        step = 360.0 / n
        f = Polygon(
            tuple(
                offset(c, i * step + rng.uniform(0, step * 0.6), r * rng.uniform(0.3, 1.0))
                for i in range(n)
            )
        )
    lo = rng.choice([0.0, 100.0, 500.0, 1_000.0, 3_000.0]) + rng.uniform(0, 500)
    # Flat bands (lower == upper: a ground camp) are the index's sharpest altitude edge case.
    hi = lo + rng.choice([0.0, 150.0, 1_000.0, 5_000.0] if flat else [150.0, 1_000.0, 5_000.0])
    t0 = EPOCH + timedelta(minutes=rng.randrange(0, int(days * 1440)))
    return Volume(f, lo, hi, t0, t0 + timedelta(minutes=rng.randint(10, 600)))


def random_operations(
    rng: random.Random,
    n: int,
    cities: Sequence[LatLng] = CITIES,
    spread_m: float = 60_000.0,
    days: float = 2.0,
    flat: bool = True,
) -> list[Operation]:
    """`n` operations of several parties, kinds and states, clustered around `cities`."""
    ops = []
    for i in range(n):
        city = rng.choice(list(cities))
        k = rng.choice([1, 1, 1, 2, 3])
        ops.append(
            Operation(
                id=f"op-{i:05d}",
                party=rng.choice(PARTIES),
                kind=rng.choice(KINDS),
                volumes=tuple(random_volume(rng, city, spread_m, days, flat) for _ in range(k)),
                state=rng.choice(
                    [State.PLANNED, State.PLANNED, State.ACTIVE, State.ENDED, State.CANCELLED]
                ),
                version=rng.randint(1, 5),
            )
        )
    return ops


@st.composite
def scenarios(
    draw: st.DrawFn, min_ops: int = 50, max_ops: int = 300
) -> tuple[list[Operation], Rules]:
    """A random set of operations (seeded, so it scales) and a rules table to judge them by."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(min_ops, max_ops))
    cities = draw(st.lists(st.sampled_from(CITIES), min_size=1, max_size=3, unique=True))
    spread = draw(st.sampled_from([2_000.0, 20_000.0, 80_000.0]))
    rules = draw(st.one_of(st.just(Rules()), rules_tables))
    return random_operations(random.Random(seed), n, cities, spread, days=1.0), rules


@st.composite
def operations(draw: st.DrawFn, op_id: str) -> Operation:
    """One operation of a few small volumes around the first two cities (so they meet)."""
    city = draw(st.sampled_from(CITIES[:2]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = random.Random(seed)
    vols = tuple(random_volume(rng, city, 30_000.0, 0.5) for _ in range(draw(st.integers(1, 3))))
    return Operation(
        id=op_id,
        party=draw(st.sampled_from(PARTIES)),
        kind=draw(st.sampled_from(KINDS)),
        volumes=vols,
        state=draw(st.sampled_from(STATES)),
        version=draw(st.integers(1, 9)),
    )


# -- reach: long and open windows, large margins, the antimeridian and the poles -------------

polar_lats = st.one_of(st.floats(80.0, 89.999), st.floats(-89.999, -80.0))
far_latlngs = st.one_of(latlngs, st.builds(LatLng, polar_lats, lngs))
# From a second to twelve years: each of the index's time levels, and beyond its last bucket.
durations_s = st.one_of(
    st.integers(1, 86_400 * 3),
    st.integers(86_400 * 3, 86_400 * 400),
    st.integers(86_400 * 400, 86_400 * 365 * 12),
)
margins = st.one_of(st.just(0.0), st.floats(1.0, 100_000.0), st.floats(100_000.0, 300_000.0))


@st.composite
def long_windows(draw: st.DrawFn) -> tuple[datetime, datetime]:
    """A window of any length up to twelve years, or open-ended (`OPEN_END`)."""
    start = EPOCH + timedelta(seconds=draw(st.integers(-86_400 * 400, 86_400 * 400)))
    if draw(st.integers(0, 5)) == 0:
        return start, OPEN_END
    return start, start + timedelta(seconds=draw(durations_s))


@st.composite
def far_volumes(draw: st.DrawFn, center: LatLng, radius_m: float) -> Volume:
    """A volume of any footprint around `center` and any window (altitude 0-100 m)."""
    return Volume(draw(footprint_at(center, radius_m)), 0.0, 100.0, *draw(long_windows()))


@st.composite
def reach_cases(draw: st.DrawFn) -> tuple[Volume, Volume, float]:
    """(stored, query, margin): two volumes anywhere, of any size and window, whose centres
    stand 0 to 1.2 times their radii plus the margin apart."""
    margin = draw(margins)
    ca, ra, rb = draw(far_latlngs), draw(radii), draw(radii)
    cb = offset(ca, draw(st.floats(0.0, 360.0)), draw(st.floats(0.0, 1.2)) * (ra + rb + margin))
    return draw(far_volumes(ca, ra)), draw(far_volumes(cb, rb)), margin


@st.composite
def far_scenarios(
    draw: st.DrawFn, n_ops: int = 12
) -> tuple[list[Operation], list[Operation], Rules]:
    """(stored, queries, rules): operations of 1-3 volumes of any size and window around one
    far-drawn place, live or not, and a rules table with large separations."""
    center = draw(far_latlngs)
    rules = draw(st.one_of(st.just(Rules()), rules_tables))

    def op(i: int, prefix: str) -> Operation:
        vols = tuple(
            draw(
                far_volumes(
                    offset(center, draw(st.floats(0.0, 360.0)), draw(st.floats(0.0, 400_000.0))),
                    draw(radii),
                )
            )
            for _ in range(draw(st.integers(1, 3)))
        )
        return Operation(
            f"{prefix}-{i:03d}",
            draw(st.sampled_from(PARTIES)),
            draw(st.sampled_from(KINDS)),
            vols,
            draw(st.sampled_from([State.PLANNED, State.ACTIVE, State.ACTIVE, State.ENDED])),
        )

    stored = [op(i, "s") for i in range(draw(st.integers(1, n_ops)))]
    queries = [op(i, "q") for i in range(draw(st.integers(1, 3)))]
    return stored, queries, rules

# -- private matching ------------------------------------------------------------------------

# Centres anywhere, often at 80°+ and straddling ±180° (where cells and planes are stretched).
private_centres = st.one_of(
    latlngs,
    st.builds(LatLng, st.one_of(st.floats(80.0, 85.0), st.floats(-85.0, -80.0)), lngs),
    st.builds(LatLng, st.floats(78.0, 85.0), st.floats(179.0, 180.0)),
)
private_radii = st.floats(0.0, math.log10(20_000.0)).map(lambda e: 10.0**e)


@st.composite
def private_cases(draw: st.DrawFn) -> tuple[Volume, Volume, Kind, Kind, Rules, Any]:
    """Two volumes up to 20 km across that touch, overlap or stand apart, their kinds, a
    rules table with separations up to 5 km, and cell sizes (sometimes forcing the coarse
    level), for comparing private matching with the plain engine."""
    from deconflict.private.cover import CoverSettings, Level

    ca, ra = draw(private_centres), draw(private_radii)
    rb = draw(st.one_of(private_radii, st.floats(0.2, 5.0).map(lambda k: min(ra * k, 20_000.0))))
    cb = offset(ca, draw(st.floats(0.0, 360.0)), draw(st.floats(0.0, 1.3)) * (ra + rb))
    fa, fb = draw(footprint_at(ca, ra)), draw(footprint_at(cb, rb))
    (ba, bb) = draw(related_bands())
    ba, bb = (ba[0], min(ba[1], ba[0] + 3_000.0)), (bb[0], min(bb[1], bb[0] + 3_000.0))
    t0 = EPOCH + timedelta(seconds=draw(st.integers(0, 86_400)))
    wa = (t0, t0 + timedelta(seconds=draw(st.integers(1, 6 * 3600))))
    start = wa[1] + timedelta(seconds=draw(st.one_of(st.just(0), st.integers(-7_200, 3_600))))
    wb = (start, start + timedelta(seconds=draw(st.integers(1, 6 * 3600))))
    kinds = draw(st.sampled_from([(a, b) for a in KINDS for b in KINDS]))
    sep = Separation(
        draw(st.one_of(st.just(0.0), st.floats(1.0, 5_000.0))),
        draw(st.one_of(st.just(0.0), st.floats(1.0, 1_000.0))),
    )
    rules = Rules({frozenset(kinds): sep})
    fine = Level(draw(st.sampled_from([6, 7, 8])), draw(st.sampled_from([900.0, 3_600.0])),
                 draw(st.sampled_from([100.0, 500.0])))  # fmt: skip
    settings = CoverSettings(fine, Level(4, 21_600.0, 5_000.0), draw(st.sampled_from([300, 5_000])))
    return Volume(fa, *ba, *wa), Volume(fb, *bb, *wb), kinds[0], kinds[1], rules, settings
