"""Why the loose ECEF grid: insert and look-up costs of three spatial indexes at 10^5 volumes.

    .venv/bin/python bench/index_methods.py [--volumes 100000]

- loose ECEF grid (the engine's `VolumeIndex`): one key per volume, sorted-array look-ups;
- Shapely STRtree over the caps' lat/lng boxes: immutable, so every insert is a rebuild;
- H3 cells covering each cap (resolution chosen per radius, as a cell-set index would).
Look-ups return candidates before the exact test; the grid's include its vectorised
pre-filter (time, altitude, cap distance), the others only their box or cell match.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import h3
import shapely
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data

from deconflict.engine import VolumeIndex
from deconflict.geometry.geodesy import cap

M_PER_DEG = 111_320.0


def _box(v: object) -> shapely.Polygon:
    c, r = cap(v.footprint)  # type: ignore[attr-defined]
    dlat = r / M_PER_DEG
    dlng = min(r / (M_PER_DEG * max(math.cos(math.radians(c.lat)), 1e-6)), 180.0)
    return shapely.box(c.lng - dlng, c.lat - dlat, c.lng + dlng, c.lat + dlat)


def _h3_cells(v: object) -> list[str]:
    c, r = cap(v.footprint)  # type: ignore[attr-defined]
    res = 7 if r < 2_000 else 5 if r < 15_000 else 4
    edge = h3.average_hexagon_edge_length(res, unit="m")
    return list(h3.grid_disk(h3.latlng_to_cell(c.lat, c.lng, res), math.ceil(r / edge) + 1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--volumes", type=int, default=100_000)
    args = ap.parse_args()
    ops = list(_data.operations(args.volumes, 7, "s"))
    vols = [v for op in ops for v in op.volumes]
    queries = [v for op in _data.operations(1_000, 8, "q") for v in op.volumes]
    rows = []

    index = VolumeIndex()
    t = time.perf_counter()
    for op in ops:
        index.upsert(op)
    grid_build = time.perf_counter() - t
    t = time.perf_counter()
    for v in queries:
        index.candidate_slots([v], 0.0, 0.0)
    grid_q = (time.perf_counter() - t) / len(queries)
    rows.append(("loose ECEF grid", grid_build, grid_build / len(vols), grid_q, len(vols)))

    t = time.perf_counter()
    boxes = [_box(v) for v in vols]
    tree = shapely.STRtree(boxes)
    tree_build = time.perf_counter() - t
    t = time.perf_counter()
    shapely.STRtree(boxes)  # what one insert costs: the tree is immutable
    rebuild = time.perf_counter() - t
    qboxes = [_box(v) for v in queries]
    t = time.perf_counter()
    for b in qboxes:
        tree.query(b)
    tree_q = (time.perf_counter() - t) / len(queries)
    rows.append(("STRtree (lat/lng boxes)", tree_build, rebuild, tree_q, len(vols)))

    t = time.perf_counter()
    cells: dict[str, list[int]] = {}
    for i, v in enumerate(vols):
        for cell in _h3_cells(v):
            cells.setdefault(cell, []).append(i)
    h3_build = time.perf_counter() - t
    entries = sum(len(s) for s in cells.values())
    t = time.perf_counter()
    for v in queries:
        found: set[int] = set()
        c, r = cap(v.footprint)
        for res in (7, 5, 4):  # stored volumes live at three resolutions
            edge = h3.average_hexagon_edge_length(res, unit="m")
            centre = h3.latlng_to_cell(c.lat, c.lng, res)
            for cell in h3.grid_disk(centre, math.ceil(r / edge) + 1):
                found.update(cells.get(cell, ()))
    h3_q = (time.perf_counter() - t) / len(queries)
    rows.append(("H3 cell cover", h3_build, h3_build / len(vols), h3_q, entries))

    table = Table(title=f"Index methods, {len(vols):,} volumes, {len(queries):,} query volumes")
    for h in ("method", "build s", "one insert ms", "look-up ms", "index entries"):
        table.add_column(h, justify="right")
    for name, build, insert, q, n in rows:
        table.add_row(name, f"{build:.1f}", f"{insert * 1e3:.3f}", f"{q * 1e3:.3f}", f"{n:,}")
    Console(width=120).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
