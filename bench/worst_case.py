"""The costliest requests the default bounds and budgets allow, through the service's own path
(in process, SQLite or PostgreSQL, against stored volumes), each beside a typical check.

    .venv/bin/python bench/worst_case.py [--stored 10000] [--db sqlite|postgres]

Per request: its CPU time (the request's thread), its peak extra memory (tracemalloc: Python
and NumPy allocations), and the write latency of a bystander party creating small operations
in another region from another thread throughout (p50 / p99 / max). Requests are built as
parsed volumes (the body limit and JSON parsing are the API's: see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _data
import _store_load

from deconflict.config import Config
from deconflict.engine import Kind
from deconflict.errors import DomainError
from deconflict.geometry import OPEN_END, Circle, LatLng, Polygon, Volume
from deconflict.service import Principal, Service, checks
from deconflict.service import operations as ops
from deconflict.store import Database, Tx, migrate
from deconflict.store.parties import insert_party

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
START = datetime.fromtimestamp(_data.EPOCH, tz=UTC)
_, LAT, LNG = _data.CITIES[0]


def circle(lat: float, lng: float, r: float, hours: float, end: datetime | None = None) -> Volume:
    return Volume(
        Circle(LatLng(lat, lng), r), 0, 1_000, START, end or START + timedelta(hours=hours)
    )


def thin(lat: float, lng: float, vertices: int, hours: float) -> Volume:
    """A 999 km sliver of `vertices` vertices (10 m wide): the largest cap the bounds allow
    (500 km) for almost no area, so the budget does not limit its reach."""
    half = vertices // 2
    dlat = 4.49 / max(half - 1, 1)
    east = [LatLng(lat - 4.49 + i * dlat * 2, lng) for i in range(half)]
    west = [LatLng(p.lat, lng + 0.0001) for p in reversed(east)]
    return Volume(Polygon(tuple(east + west)), 0, 1_000, START, START + timedelta(hours=hours))


def requests() -> list[tuple[str, Kind, list[Volume]]]:
    """(name, kind, volumes): a typical check, then the worst the defaults allow."""
    r_budget = math.sqrt(1e8 / (100 * math.pi * 2_136)) * 1_000 * 0.99  # ~12 km
    return [
        ("typical check: one 2 km circle, 2 h", Kind.FLIGHT, [circle(LAT, LNG, 2_000, 2)]),
        (
            "100 circles of 56 km over 89 days (refused: budget)",
            Kind.FLIGHT,
            [circle(LAT + i * 0.01, LNG, 56_000, 89 * 24) for i in range(100)],
        ),
        (
            f"100 circles of {r_budget / 1000:.1f} km over 89 days (the budget's edge)",
            Kind.FLIGHT,
            [circle(LAT + i * 0.01, LNG, r_budget, 89 * 24) for i in range(100)],
        ),
        (
            "100 slivers of 999 km (500 km caps), 90 days",
            Kind.HAZARD,
            [thin(LAT + (i % 10) * 0.5, LNG + i // 10 * 0.5, 8, 2_160) for i in range(100)],
        ),
        (
            "100 open-ended circles of 5 km (permanent)",
            Kind.PRESENCE,
            [circle(LAT + i * 0.01, LNG, 5_000, 0, OPEN_END) for i in range(100)],
        ),
        (
            "20 slivers of 1,000 vertices, 90 days (~1 MiB of JSON)",
            Kind.HAZARD,
            [thin(LAT + i * 0.2, LNG, 1_000, 2_160) for i in range(20)],
        ),
    ]


class Bystander(threading.Thread):
    """A party creating a small operation far away every 10 ms, timing each."""

    def __init__(self, svc: Service, who: Principal) -> None:
        super().__init__(daemon=True)
        self.svc, self.who = svc, who
        self.latencies: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        _, lat, lng = _data.CITIES[5]
        while not self.stop.is_set():
            draft = ops.Draft(Kind.FLIGHT, (circle(lat, lng, 500, 1),))
            t = time.perf_counter()
            ops.create(self.svc, self.who, draft)
            self.latencies.append(time.perf_counter() - t)
            time.sleep(0.01)


def measure(run: Callable[[], object]) -> tuple[float, float, str]:
    """(CPU s of this thread, peak extra MB, outcome) of one call."""
    tracemalloc.start()
    cpu = time.thread_time()
    try:
        run()
        outcome = "200"
    except DomainError as err:
        outcome = err.code
    cpu = time.thread_time() - cpu
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return cpu, peak / 1e6, outcome


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", type=int, default=10_000)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    folder = tempfile.mkdtemp()
    url = f"sqlite:///{folder}/worst.db" if args.db == "sqlite" else PG_URL
    svc = Service(Config(db_url=url, admin_key="adm", background=False), Database(url))
    if args.db == "postgres":
        with svc.db.connect() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            conn.commit()
    migrate(svc.db)
    _store_load.load(svc, list(_data.operations(args.stored, 7, "s")))

    def parties(tx: Tx) -> None:
        insert_party(tx, "asker", "asker", "hash-asker", 0.0)
        insert_party(tx, "bystander", "bystander", "hash-bystander", 0.0)

    svc.db.write(parties)
    asker, bystander = Principal("asker", "asker"), Principal("bystander", "bystander")
    table = Table(title=f"worst requests, {args.db}, {args.stored:,} stored volumes")
    for head in ("request", "answer", "CPU s", "× typical", "peak MB", "bystander p50/p99/max ms"):
        table.add_column(head, justify="left" if head == "request" else "right")
    base = None
    for name, kind, vols in requests():
        ops.create(svc, bystander, ops.Draft(Kind.FLIGHT, (circle(0, 0, 500, 1),)))  # warm
        side = Bystander(svc, bystander)
        side.start()
        time.sleep(0.1)
        cpu, peak, outcome = measure(lambda k=kind, v=tuple(vols): checks.check(svc, asker, k, v))
        time.sleep(0.1)
        side.stop.set()
        side.join()
        base = base or cpu
        lat = sorted(side.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        table.add_row(
            name,
            outcome,
            f"{cpu:.3f}",
            f"{cpu / base:.0f}",
            f"{peak:.0f}",
            f"{statistics.median(lat) * 1e3:.1f} / {p99 * 1e3:.1f} / {lat[-1] * 1e3:.1f}",
        )
    Console(width=160).print(table)
    svc.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
