"""The write path in process: operation creates straight through the service (no HTTP), from
several threads at once, with group commit and with one transaction per write (the baseline,
`MAX_BATCH = 1`), measured in the same run.

    .venv/bin/python bench/write_path.py [--threads 16] [--prefill 2000] [--writes 1600]
        [--db sqlite|postgres|both] [--pg URL]

The traffic is `bench/api_traffic.py`'s (4 load parties' flights and a watcher's hazard zones,
10 % of flights crossing a zone). Reported per configuration: creates/s, CPU ms per create (this
process: the service's Python, SQLAlchemy, the drivers), latency p50/p99 as each thread sees it,
and writes per commit.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_traffic

from deconflict.api.schemas import OperationIn, to_volumes
from deconflict.config import Config
from deconflict.service import Principal, Service
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.store import db as store_db
from deconflict.store import migrate

PG_URL = os.environ.get("DECONFLICT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
console = Console(width=max(Console().width, 120))


def draft(body: dict[str, Any], cfg: Config) -> ops.Draft:
    b = OperationIn.model_validate(body)
    return ops.Draft(b.kind, to_volumes(b.volumes, cfg.bounds), b.state, b.label)


def fresh_database(kind: str, pg: str, folder: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder}/{uuid.uuid4().hex}.db"
    name = f"deconflict_wp_{uuid.uuid4().hex[:10]}"
    with sa.create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return make_url(pg).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, pg: str) -> None:
    if url.startswith("postgresql"):
        name = make_url(url).database
        with sa.create_engine(pg, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run(url: str, args: argparse.Namespace, batch: int) -> dict[str, float]:
    """Prefill, then time `args.writes` creates from `args.threads` threads."""
    store_db.MAX_BATCH = batch
    cfg = Config(db_url=url, background=False)
    svc = Service(cfg)
    migrate(svc.db)
    rng = random.Random(1)
    zones = api_traffic.zone_centres()
    watcher = authenticate(svc, create_party(svc, ADMIN, "Range Control")["api_key"])
    load: list[Principal] = [
        authenticate(svc, create_party(svc, ADMIN, f"Load {i}")["api_key"]) for i in range(4)
    ]
    for z in zones:
        ops.create(svc, watcher, draft(api_traffic.hazard(*z), cfg))
    bodies = [api_traffic.flight(rng, zones, rng.random() < 0.1) for _ in range(args.prefill)]
    for i, body in enumerate(bodies):
        ops.create(svc, load[i % 4], draft(body, cfg))
    timed = [
        draft(api_traffic.flight(rng, zones, rng.random() < 0.1), cfg) for _ in range(args.writes)
    ]
    latencies: list[float] = []

    def worker(part: list[ops.Draft]) -> None:
        for i, d in enumerate(part):
            t = time.perf_counter()
            ops.create(svc, load[i % 4], d)
            latencies.append(time.perf_counter() - t)

    threads = [
        threading.Thread(target=worker, args=(timed[i :: args.threads],))
        for i in range(args.threads)
    ]
    commits, writes = svc.db.commits, svc.db.committed_writes
    t0, c0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    svc.db.dispose()
    latencies.sort()
    return {
        "rate": len(timed) / wall,
        "cpu_ms": cpu / len(timed) * 1e3,
        "p50": latencies[len(latencies) // 2] * 1e3,
        "p99": latencies[int(len(latencies) * 0.99)] * 1e3,
        "per_commit": (svc.db.committed_writes - writes) / max(1, svc.db.commits - commits),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--prefill", type=int, default=2000)
    ap.add_argument("--writes", type=int, default=1600)
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--pg", default=PG_URL)
    args = ap.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    default_batch = store_db.MAX_BATCH
    table = Table(title=f"Write path in process: {args.threads} threads, {args.writes} creates")
    for col in ("database", "commit", "creates/s", "CPU ms/create", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col in ("database", "commit") else "right")
    table.add_column("writes/commit", justify="right")
    table.add_column("ratio", justify="right")
    with tempfile.TemporaryDirectory() as folder, Progress(console=console) as progress:
        task = progress.add_task("runs", total=2 * len(kinds))
        for kind in kinds:
            results = {}
            for name, batch in (("one per write", 1), ("group", default_batch)):
                url = fresh_database(kind, args.pg, folder)
                try:
                    results[name] = run(url, args, batch)
                finally:
                    drop_database(url, args.pg)
                progress.advance(task)
            base = results["one per write"]["rate"]
            for name, r in results.items():
                table.add_row(
                    kind,
                    name,
                    f"{r['rate']:.0f}",
                    f"{r['cpu_ms']:.2f}",
                    f"{r['p50']:.1f}",
                    f"{r['p99']:.1f}",
                    f"{r['per_commit']:.1f}",
                    f"{r['rate'] / base:.2f}x",
                )
    store_db.MAX_BATCH = default_batch
    console.print(table)


if __name__ == "__main__":
    main()
