"""The same strategic checks as SQL on PostGIS: geography footprints, range columns, GiST.

Circles are stored as `ST_Buffer(geography)` polygons (as a PostGIS deployment would); a query
circle uses `ST_DWithin(footprint, centre, radius)`, exact on the spheroid, and a query polygon
`ST_DWithin(footprint, polygon, 0)`, i.e. intersection. Windows are `tstzrange '[)'` and
altitude bands `numrange '()'`, so `&&` means overlap with positive extent, as in the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
import shapely

from deconflict.engine import Kind, Operation, Rules
from deconflict.geometry import Circle, Volume

SCHEMA = "bench_strategic"
KIND_CODE = {Kind.FLIGHT: 0, Kind.HAZARD: 1, Kind.PRESENCE: 2}
QUAD_SEGS = 32  # 128-gon inscribed in the circle: at most 0.03 % of the radius short (6 m at 20 km)

SETUP = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
SET search_path = {SCHEMA}, public;
CREATE EXTENSION IF NOT EXISTS postgis SCHEMA {SCHEMA};
DROP TABLE IF EXISTS vol, stage;
CREATE UNLOGGED TABLE stage (op int, j int, party int, kind int, wkb bytea,
    lng float8, lat float8, r float8, t0 float8, t1 float8, lo float8, hi float8);
CREATE TABLE vol (op int, j int, party int, kind int, fp geography, win tstzrange, alt numrange);
"""

FILL = f"""
INSERT INTO vol
SELECT op, j, party, kind,
       CASE WHEN wkb IS NULL
            THEN ST_Buffer(ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography, r,
                           'quad_segs={QUAD_SEGS}')
            ELSE ST_GeogFromWKB(wkb) END,
       tstzrange(to_timestamp(t0), to_timestamp(t1), '[)'),
       numrange(lo::numeric, hi::numeric, '()')
FROM stage;
CREATE INDEX vol_fp ON vol USING gist (fp);
CREATE INDEX vol_win ON vol USING gist (win);
TRUNCATE stage;
ANALYZE vol;
"""

# One statement for one check or for a whole batch: each row of the unnest is one query volume
# (its operation's number, party and the bit mask of kinds it conflicts with).
CHECK = """
SELECT DISTINCT q.i, v.op
FROM unnest(%(i)s::int[], %(party)s::int[], %(mask)s::int[], %(g)s::bytea[], %(r)s::float8[],
            %(t0)s::float8[], %(t1)s::float8[], %(lo)s::float8[], %(hi)s::float8[])
     AS q(i, party, mask, g, r, t0, t1, lo, hi)
JOIN LATERAL (
    SELECT v.op FROM vol v
    WHERE ST_DWithin(v.fp, ST_GeogFromWKB(q.g), q.r)
      AND v.win && tstzrange(to_timestamp(q.t0), to_timestamp(q.t1), '[)')
      AND v.alt && numrange(q.lo::numeric, q.hi::numeric, '()')
      AND v.party <> q.party
      AND (q.mask >> v.kind) & 1 = 1
) v ON true
"""


def _polygon_wkb(v: Volume) -> bytes:
    fp = v.footprint
    assert not isinstance(fp, Circle)
    return bytes(shapely.to_wkb(shapely.Polygon([(p.lng, p.lat) for p in fp.vertices])))


def _point_wkb(c: Circle) -> bytes:
    return bytes(shapely.to_wkb(shapely.Point(c.center.lng, c.center.lat)))


def partner_mask(kind: Kind, rules: Rules) -> int:
    return sum(1 << KIND_CODE[k] for k in rules.partners(kind))


def connect(url: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET search_path = {SCHEMA}, public")
    return conn


def setup(conn: psycopg.Connection[Any]) -> None:
    conn.execute(SETUP)


def drop(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")


def _stage_rows(ops: Sequence[Operation], party_of: dict[str, int]) -> Iterator[tuple[Any, ...]]:
    for n, op in enumerate(ops):
        for j, v in enumerate(op.volumes):
            fp = v.footprint
            circle = isinstance(fp, Circle)
            yield (
                n,
                j,
                party_of[op.party],
                KIND_CODE[op.kind],
                None if circle else _polygon_wkb(v),
                fp.center.lng if circle else None,
                fp.center.lat if circle else None,
                fp.radius_m if circle else None,
                v.t0,
                v.t1,
                v.alt_lower_m,
                v.alt_upper_m,
            )


def load(
    conn: psycopg.Connection[Any],
    ops: Sequence[Operation],
    party_of: dict[str, int],
    advance: Callable[[int], None],
) -> None:
    """COPY the stored volumes in, then buffer circles, build the GiST indexes and analyse."""
    conn.execute("TRUNCATE vol")
    conn.execute("DROP INDEX IF EXISTS vol_fp, vol_win")
    with conn.cursor() as cur, cur.copy("COPY stage FROM STDIN") as copy:
        for row in _stage_rows(ops, party_of):
            copy.write_row(row)
            if row[1] == 0:
                advance(1)
    conn.execute(FILL)


def check_params(
    ops: Sequence[Operation], first: int, party_of: dict[str, int], rules: Rules
) -> dict[str, list[Any]]:
    """Arrays for CHECK: one entry per query volume, operations numbered from `first`."""
    p: dict[str, list[Any]] = {k: [] for k in ("i", "party", "mask", "g", "r")}
    p.update({k: [] for k in ("t0", "t1", "lo", "hi")})
    for n, op in enumerate(ops, start=first):
        mask = partner_mask(op.kind, rules)
        for v in op.volumes:
            fp = v.footprint
            circle = isinstance(fp, Circle)
            p["i"].append(n)
            p["party"].append(party_of[op.party])
            p["mask"].append(mask)
            p["g"].append(_point_wkb(fp) if circle else _polygon_wkb(v))
            p["r"].append(fp.radius_m if circle else 0.0)
            p["t0"].append(v.t0)
            p["t1"].append(v.t1)
            p["lo"].append(v.alt_lower_m)
            p["hi"].append(v.alt_upper_m)
    return p


def check(conn: psycopg.Connection[Any], params: dict[str, list[Any]]) -> list[tuple[int, int]]:
    """(query operation number, stored operation number) pairs in conflict."""
    rows = conn.execute(CHECK, params, prepare=True).fetchall()
    return [(int(i), int(op)) for i, op in rows]


def check_pipelined(
    conn: psycopg.Connection[Any], many: Sequence[dict[str, list[Any]]]
) -> list[tuple[int, int]]:
    """Many single checks sent back to back in pipeline mode (no round trip between them)."""
    cursors = []
    with conn.pipeline():
        for params in many:
            c = conn.cursor()
            c.execute(CHECK, params, prepare=True)
            cursors.append(c)
    return [(int(i), int(op)) for c in cursors for i, op in c.fetchall()]


def size_mb(conn: psycopg.Connection[Any]) -> float:
    row = conn.execute("SELECT pg_total_relation_size('vol')").fetchone()
    assert row is not None
    return float(np.float64(row[0]) / 1e6)
