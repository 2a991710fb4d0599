"""Strategic detection benchmark: the engine's index against PostGIS on the same volumes.

    .venv/bin/python bench/strategic.py [--quick] [--sizes 10000,100000,1000000]

For each size: build the engine's index and load PostGIS (COPY, buffered circles, GiST), then
time the same query operations one at a time (latency) and all at once (throughput), and
compare the conflicting (query, stored) operation pairs both find. Disagreements are checked
against the engine's exact rule without the index (`conflicts_between`), so an index false
negative shows up as a bug, and a geometric boundary case as a distance in metres.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import shapely
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data
import _postgis

from deconflict.engine import (
    Operation,
    Rules,
    VolumeIndex,
    conflicts_between,
    detect,
    detect_many,
)
from deconflict.geometry import geodesy, overlap
from deconflict.geometry.overlap import altitudes_conflict, times_overlap

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
Pairs = set[tuple[int, int]]
console = Console(width=max(Console().width, 150))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _cold() -> None:
    """Empty the geometry caches, so a phase does not reuse projections of the one before."""
    geodesy.clear_caches()
    overlap.planar.cache_clear()
    gc.collect()


def _generate(n_volumes: int, seed: int, prefix: str, what: str) -> list[Operation]:
    with _progress() as bar:
        task = bar.add_task(what, total=n_volumes)
        ops = []
        for op in _data.operations(n_volumes, seed, prefix):
            ops.append(op)
            bar.advance(task, len(op.volumes))
    return ops


def _prefix(ops: Sequence[Operation], n_volumes: int) -> list[Operation]:
    out, made = [], 0
    for op in ops:
        if made >= n_volumes:
            break
        out.append(op)
        made += len(op.volumes)
    return out


def _number(op_id: str) -> int:
    return int(op_id[1:])


def _ms(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] * 1e3


def _timed(items: Iterable[Any], run: Callable[[Any], None]) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        run(item)
        out.append(time.perf_counter() - t)
    return out


def run_engine(
    stored: Sequence[Operation], queries: Sequence[Operation], rules: Rules
) -> dict[str, Any]:
    _cold()
    index = VolumeIndex()
    with _progress() as bar:
        task = bar.add_task("engine: building index", total=len(stored))
        t = time.perf_counter()
        for op in stored:
            index.upsert(op)
            bar.advance(task)
        build = time.perf_counter() - t
    _cold()
    pairs: Pairs = set()

    def one(q: Operation) -> None:
        pairs.update((_number(q.id), _number(c.b_operation)) for c in detect(q, index, rules))

    single = _timed(queries, one)
    _cold()
    t = time.perf_counter()
    found = detect_many(queries, index, rules)
    batch = time.perf_counter() - t
    batch_pairs = {
        (_number(q.id), _number(c.b_operation))
        for q, cs in zip(queries, found, strict=True)
        for c in cs
    }
    assert batch_pairs == pairs, "batch and single detection disagree"
    return {"build": build, "single": single, "batch": batch, "pairs": pairs, "index": index}


def run_postgis(
    url: str, stored: Sequence[Operation], queries: Sequence[Operation], rules: Rules
) -> dict[str, Any]:
    party_of = {p: i for i, p in enumerate(_data.PARTIES)}
    with _postgis.connect(url) as conn:
        _postgis.setup(conn)
        with _progress() as bar:
            task = bar.add_task("postgis: COPY + GiST", total=len(stored))
            t = time.perf_counter()
            _postgis.load(conn, stored, party_of, lambda n: bar.advance(task, n))
            load = time.perf_counter() - t
        mb = _postgis.size_mb(conn)
        per_op = [_postgis.check_params([q], _number(q.id), party_of, rules) for q in queries]
        _postgis.check(conn, per_op[0])  # let psycopg prepare the statement once
        pairs: Pairs = set()
        single = _timed(per_op, lambda p: pairs.update(_postgis.check(conn, p)))
        everything = _postgis.check_params(queries, 0, party_of, rules)
        t = time.perf_counter()
        batch_pairs = set(_postgis.check(conn, everything))
        lateral = time.perf_counter() - t
        t = time.perf_counter()
        piped = set(_postgis.check_pipelined(conn, per_op))
        pipelined = time.perf_counter() - t
        assert piped == batch_pairs, "PostGIS pipelined and LATERAL checks disagree"
        batch = min(lateral, pipelined)  # the faster honest way of the two
        console.print(f"PostGIS batch: LATERAL {lateral:.2f} s, pipelined {pipelined:.2f} s")
    assert batch_pairs == pairs, "PostGIS batch and single checks disagree"
    return {"load": load, "single": single, "batch": batch, "pairs": pairs, "mb": mb}


def _gap_m(q: Operation, s: Operation) -> float:
    """Over volume pairs sharing time and altitude: footprint gap (> 0) or overlap width (< 0),
    the one closest to the boundary, in metres (engine geometry)."""
    best = float("inf")
    for v in q.volumes:
        for w in s.volumes:
            if not (times_overlap(v, w) and altitudes_conflict(v, w, 0.0)):
                continue
            center = overlap.pair_center(v.footprint, w.footprint)
            a, b = overlap.planar(v.footprint, center), overlap.planar(w.footprint, center)
            if a.intersects(b):
                shared = shapely.intersection(a, b)
                depth = -2 * shared.area / max(shared.length, 1e-9)
            else:
                depth = float(a.distance(b))
            best = min(best, depth, key=abs)
    return best


def compare(
    engine: Pairs,
    postgis: Pairs,
    stored: Sequence[Operation],
    queries: Sequence[Operation],
    rules: Rules,
) -> dict[str, Any]:
    """Classify disagreements with the exact rule applied without any index."""
    misses = []
    gaps = []
    for qi, si in sorted(postgis - engine):
        if conflicts_between(queries[qi], stored[si], rules) is not None:
            misses.append((qi, si))  # the exact rule says conflict: the index lost it
        gaps.append(_gap_m(queries[qi], stored[si]))
    widths = [-_gap_m(queries[qi], stored[si]) for qi, si in sorted(engine - postgis)]
    return {
        "both": len(engine & postgis),
        "engine_only": len(engine - postgis),
        "postgis_only": len(postgis - engine),
        "index_misses": misses,
        "max_gap_m": max(gaps, default=0.0),
        "max_width_m": max(widths, default=0.0),
    }


def _table(rows: list[dict[str, Any]], queries: int) -> Table:
    table = Table(title=f"Strategic detection, {queries} query operations")
    heads = (
        "stored volumes",
        "engine build s",
        "PostGIS load s",
        "engine p50/p99 ms",
        "PostGIS p50/p99 ms",
        "p50 ratio",
        "engine checks/s",
        "PostGIS checks/s",
        "batch ratio",
        "pairs both / engine only / PostGIS only",
    )
    for h in heads:
        table.add_column(h, justify="right")
    for r in rows:
        e, p, c = r["engine"], r["postgis"], r["compare"]
        ep50, pp50 = _ms(e["single"], 50), _ms(p["single"], 50)
        ebatch, pbatch = queries / e["batch"], queries / p["batch"]
        table.add_row(
            f"{r['volumes']:,}",
            f"{e['build']:.1f}",
            f"{p['load']:.1f}",
            f"{ep50:.3f} / {_ms(e['single'], 99):.3f}",
            f"{pp50:.3f} / {_ms(p['single'], 99):.3f}",
            f"{pp50 / ep50:.1f}×",
            f"{ebatch:,.0f}",
            f"{pbatch:,.0f}",
            f"{ebatch / pbatch:.1f}×",
            f"{c['both']} / {c['engine_only']} / {c['postgis_only']}",
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=1000, help="query operations")
    ap.add_argument("--quick", action="store_true", help="10,000 volumes, 300 queries")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (psycopg)")
    ap.add_argument("--keep", action="store_true", help="keep the bench_strategic schema")
    args = ap.parse_args(argv)
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    n_queries = 300 if args.quick else args.queries
    rules = Rules()
    stored_all = _generate(max(sizes), args.seed, "s", "generating stored volumes")
    # Operations average 2.5 volumes, so 4 volumes per query leaves enough operations.
    queries = _generate(4 * n_queries, args.seed + 1, "q", "generating queries")[:n_queries]
    rows = []
    try:
        for size in sizes:
            stored = _prefix(stored_all, size)
            volumes = sum(len(op.volumes) for op in stored)
            console.print(f"[bold]{volumes:,} stored volumes in {len(stored):,} operations")
            engine = run_engine(stored, queries, rules)
            postgis = run_postgis(args.pg, stored, queries, rules)
            found = compare(engine.pop("pairs"), postgis.pop("pairs"), stored, queries, rules)
            engine.pop("index")
            console.print(found)
            rows.append(
                {"volumes": volumes, "engine": engine, "postgis": postgis, "compare": found}
            )
            console.print(_table(rows, len(queries)))
    finally:
        if not args.keep:
            with _postgis.connect(args.pg) as conn:
                _postgis.drop(conn)
    return 1 if any(r["compare"]["index_misses"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
