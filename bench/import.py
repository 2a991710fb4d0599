"""File imports against one-at-a-time creates, in process (the service, no HTTP), same run:
sites from a CSV and hazards from ICAO NOTAMs imported into a store already holding `--prefill`
volumes of another party, beside the same operations created one `operations.create` at a time
(each its own transaction, as one request each would be).

    .venv/bin/python bench/import.py [--prefill 100000] [--sites 10000] [--notams 1000]
        [--db sqlite|postgres] [--pg URL]

Reported: operations/s for each way, the ratio, and conflicts found (the same for both).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from write_path import fresh_database

from deconflict import formats
from deconflict.config import Config
from deconflict.engine import Kind
from deconflict.formats.operation import Planned
from deconflict.geometry import Circle, LatLng, Volume
from deconflict.service import Principal, Service, files
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.store import migrate

PG_URL = os.environ.get("DECONFLICT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2031, 6, 1, tzinfo=UTC)
console = Console(width=max(Console().width, 110))


def spot(rng: random.Random) -> tuple[float, float]:
    return rng.uniform(33.0, 37.0), rng.uniform(36.0, 42.0)


def prefill(svc: Service, who: Principal, n: int, rng: random.Random) -> None:
    drafts = []
    for _ in range(n):
        lat, lng = spot(rng)
        start = T0 + timedelta(hours=rng.uniform(0, 24 * 7))
        v = Volume(
            Circle(LatLng(lat, lng), rng.uniform(500, 3000)),
            0,
            3000,
            start,
            start + timedelta(hours=2),
        )
        drafts.append(ops.Draft(rng.choice([Kind.FLIGHT, Kind.HAZARD]), (v,)))
    for at in range(0, n, 1000):
        ops.create_many(svc, who, drafts[at : at + 1000])


def sites_csv(n: int, rng: random.Random) -> str:
    rows = [
        "name,lat,lon,radius_m,kind,time_start,time_end,alt_lower,alt_upper,alt_units,alt_reference"
    ]
    for i in range(n):
        lat, lng = spot(rng)
        start = T0 + timedelta(hours=rng.uniform(0, 24 * 7))
        end = start + timedelta(hours=rng.uniform(1, 48))
        s, e = (t.isoformat().replace("+00:00", "Z") for t in (start, end))
        rows.append(
            f"site {i},{lat:.6f},{lng:.6f},{rng.uniform(50, 500):.0f},presence,{s},{e},0,30,M,AGL"
        )
    return "\n".join(rows) + "\n"


def notams(n: int, rng: random.Random) -> str:
    out = []
    for i in range(n):
        lat, lng = spot(rng)
        start = T0 + timedelta(hours=rng.uniform(0, 24 * 7))
        end = start + timedelta(hours=rng.uniform(1, 12))
        q = f"{int(lat):02d}{round((lat % 1) * 60):02d}N{int(lng):03d}{round((lng % 1) * 60):02d}E"
        q = q.replace("60N", "59N").replace("60E", "59E")
        out.append(
            f"(A{i:04d}/31 NOTAMN\nQ) OSTT/QRTCA/IV/BO/W/000/120/{q}00{rng.randint(1, 5)}\n"
            f"A) OSTT B) {start:%y%m%d%H%M} C) {end:%y%m%d%H%M}\nE) LIVE FIRING\nF) SFC G) FL120)"
        )
    return "\n\n".join(out)


def one_at_a_time(
    svc: Service, who: Principal, planned: list[tuple[int, Planned]]
) -> tuple[float, int]:
    t, hits = time.perf_counter(), 0
    for _, p in planned:
        hits += len(ops.create(svc, who, ops.Draft(p.kind, p.volumes, label=p.label))["conflicts"])
    return time.perf_counter() - t, hits


def bulk(svc: Service, who: Principal, fmt: str, text: str) -> tuple[float, int, int]:
    t, made, hits = time.perf_counter(), 0, 0
    answer = files.import_file(svc, who, fmt, text)  # (max_batch raised to the file's size)
    made += len(answer["operations"])
    hits += len(answer["conflicts"])
    assert answer["errors"] == [], answer["errors"][:3]
    return time.perf_counter() - t, made, hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefill", type=int, default=100_000)
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--notams", type=int, default=1_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg", default=PG_URL)
    args = ap.parse_args()
    rng = random.Random(7)
    files_ = {"csv": sites_csv(args.sites, rng), "notam": notams(args.notams, rng)}
    table = Table(title=f"imports vs one at a time ({args.db}, store of {args.prefill:,} volumes)")
    for col in ("file", "operations", "bulk ops/s", "one-by-one ops/s", "ratio", "conflicts"):
        table.add_column(col, justify="right")
    with tempfile.TemporaryDirectory() as folder:
        cfg = Config(
            db_url=fresh_database(args.db, args.pg, folder), admin_key="bench", background=False,
            max_batch=max(args.sites, args.notams),
        )  # fmt: skip
        svc = Service(cfg)
        migrate(svc.db)
        keys = {n: create_party(svc, ADMIN, n)["api_key"] for n in ("other", "bulk", "single")}
        who = {n: authenticate(svc, k) for n, k in keys.items()}
        t = time.perf_counter()
        prefill(svc, who["other"], args.prefill, rng)
        console.print(f"prefill: {args.prefill:,} volumes in {time.perf_counter() - t:.0f} s")
        for fmt, text in files_.items():
            planned, errors = formats.read(fmt, text)
            assert not errors, errors[:3]
            bulk_s, made, bulk_hits = bulk(svc, who["bulk"], fmt, text)
            single_s, single_hits = one_at_a_time(svc, who["single"], planned)
            table.add_row(
                fmt, f"{made:,}", f"{made / bulk_s:,.0f}", f"{len(planned) / single_s:,.0f}",
                f"{single_s / bulk_s:.1f}×", f"{bulk_hits:,} / {single_hits:,}",
            )  # fmt: skip
        svc.db.dispose()
    console.print(table)


if __name__ == "__main__":
    main()
