"""API load benchmark: sustained operation creates against real `deconflict serve` processes.

    .venv/bin/python bench/api_load.py [--quick] [--seconds S] [--clients N]
        [--only sqlite-1,postgres-1,postgres-2] [--client raw|httpx]
        [--driver python|wrk] [--pg URL] [--json PATH] [--regions] [--src PATH]

For each configuration (SQLite file, one worker; PostgreSQL in a fresh database, one and two
workers) it starts the server on loopback, creates a watcher party with hazard zones and a few
load parties, opens the watcher's SSE stream in its own process, stores a population of flights
(--prefill, not counted: a live service holds thousands of planned operations), then runs N
keep-alive clients posting flights for a fixed time (after a 1 s warm-up, not counted). It
reports writes/s, the
write latency (p50/p99, as the client sees it), errors, and how long after a write's answer the
watcher's `conflict.opened` event arrived (p50/p99; any missing event is counted).

`--driver wrk` drives the same traffic with `wrk` (C, `apt-get install wrk`; bench-only) and
`bench/api_load.lua`: the flights are generated first, then posted round-robin by `--clients`
connections on 2 threads; latencies are wrk's (from each request's send on its keep-alive
connection, as the Python client measures them). With wrk the event delay per conflict is not
timed (answers are not matched to events); the watcher still counts that every conflict the
answers told of reached it.

`--regions` instead runs two workers on PostgreSQL with the same flights flown in one region,
then split over two distant ones (central Germany, São Paulo), in the same run, and then the
write latency far from and inside a region whose write turn a stand-in slow write keeps taking.

The load generator, the watcher and the server share this machine's cores: every figure is for
the server *and* its load on the same CPUs. Server CPU per write (from /proc) is shown so the
server's own cost can be read apart from the generator's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_server
import api_traffic

PG_URL = os.environ.get("DECONFLICT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CONFIGS = ("sqlite-1", "postgres-1", "postgres-2")
LUA = Path(__file__).resolve().parent / "api_load.lua"
WRK_THREADS = 2
LOAD_PARTIES = 4
console = Console(width=max(Console().width, 160))


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def database(config: str, pg_url: str) -> Iterator[str]:
    if config.startswith("sqlite"):
        with api_server.sqlite_db() as url:
            yield url
    else:
        with api_server.postgres_db(pg_url) as url:
            yield url


def setup_parties(server: api_server.Server) -> tuple[str, list[str]]:
    """The watcher (with its hazard zones) and the load parties; returns their keys."""
    with api_server.admin_client(server) as admin:
        keys = [
            admin.post("/v1/parties", json={"name": name}).json()["api_key"]
            for name in ["Range Control", *(f"Wing {i + 1}" for i in range(LOAD_PARTIES))]
        ]
    with api_server.admin_client(server) as c:
        c.headers["Authorization"] = f"Bearer {keys[0]}"
        for lat, lng in api_traffic.zone_centres():
            r = c.post("/v1/operations", json=api_traffic.hazard(lat, lng))
            assert r.status_code == 201, r.text
    return keys[0], keys[1:]


def write_bodies(path: Path, n: int, share: float, seed: int, parties: int) -> None:
    """`n` flights, one a line as `<party index>\t<json>` (the wrk script's input)."""
    rng, zones = random.Random(seed), api_traffic.zone_centres()
    with path.open("w") as f:
        for i in range(n):
            body = json.dumps(api_traffic.flight(rng, zones, rng.random() < share))
            f.write(f"{i % parties}\t{body}\n")


def run_wrk(
    url: str, folder: Path, keys: list[str], clients: int, seconds: float, share: float, seed: int
) -> dict[str, Any]:
    """One wrk run; returns the summary the Lua script prints (times in microseconds)."""
    bodies, key_file = folder / f"bodies-{seed}.txt", folder / "keys.txt"
    key_file.write_text("".join(f"{k}\n" for k in keys))
    write_bodies(bodies, max(2000, int(seconds * 2500)), share, seed, len(keys))
    env = {
        **os.environ,
        "DECONFLICT_WRK_BODIES": str(bodies),
        "DECONFLICT_WRK_KEYS": str(key_file),
        "DECONFLICT_WRK_THREADS": str(WRK_THREADS),
    }
    threads = min(WRK_THREADS, clients)
    cmd = ["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds:g}s"]
    cmd += ["--timeout", "30s", "-s", str(LUA), url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^WRKJSON (.*)$", out, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    summary: dict[str, Any] = json.loads(match.group(1))
    return summary


@contextmanager
def prefilled(
    config: str, args: argparse.Namespace, progress: Progress, task: TaskID
) -> Iterator[tuple[api_server.Server, api_traffic.Watcher, list[str]]]:
    """A server for `config` on a fresh database, its parties (the watcher's stream open) and
    the prefill stored; stopped afterwards."""
    workers = int(config.rsplit("-", 1)[1])
    with database(config, args.pg) as url:
        env = {"PYTHONPATH": str(args.src)} if args.src else {}
        server = api_server.Server(url, workers, env)
        try:
            watch_key, keys = setup_parties(server)
            watcher = api_traffic.Watcher(server.url, watch_key)
            progress.update(task, description=f"{config}: prefill")
            asyncio.run(
                api_traffic.run_load(
                    server.url, keys, args.clients, 600, 0.0, "", seed=2, limit=args.prefill
                )
            )
            yield server, watcher, keys
        finally:
            server.stop()


def rollbacks_per_write(
    before: tuple[int, int] | None, after: tuple[int, int] | None, writes: int
) -> float:
    """PostgreSQL transactions rolled back (serialization failures retried) per write answered."""
    if before is None or after is None:
        return float("nan")
    return (after[1] - before[1]) / max(writes, 1)


def run_config(config: str, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    if args.driver == "wrk":
        return run_config_wrk(config, args, progress)

    task = progress.add_task(f"{config}: starting", total=args.seconds)
    with prefilled(config, args, progress, task) as (server, watcher, keys):
        progress.update(task, description=f"{config}: warm-up")
        asyncio.run(
            api_traffic.run_load(
                server.url, keys, args.clients, 1.0, args.share, "Range Control", args.client
            )
        )
        progress.update(task, description=f"{config}: load")
        pg0 = server.pg_transactions()
        cpu0, gen0, t0 = server.cpu_seconds(), time.process_time(), time.monotonic()
        load = asyncio.run(
            api_traffic.run_load(
                server.url,
                keys,
                args.clients,
                args.seconds,
                args.share,
                "Range Control",
                args.client,
                seed=1,
                tick=lambda s: progress.update(task, completed=s),
            )
        )
        elapsed = time.monotonic() - t0
        cpu = server.cpu_seconds() - cpu0
        gen = time.process_time() - gen0
        pg1 = server.pg_transactions()
        progress.update(task, completed=args.seconds, description=f"{config}: events")
        arrived = watcher.collect(load.answered)
    ok = load.statuses[201]
    # Signed: below 0, the event reached the watcher before the writer had read its answer.
    delays = [(arrived[cid] - at) * 1000 for cid, at in load.answered.items() if cid in arrived]
    progress.remove_task(task)
    return {
        "config": config,
        "driver": "python",
        "clients": args.clients,
        "client": args.client,
        "seconds": round(elapsed, 2),
        "writes": ok,
        "writes_per_s": ok / elapsed,
        "p50_ms": pct(load.latencies_ms, 0.50),
        "p99_ms": pct(load.latencies_ms, 0.99),
        "max_ms": max(load.latencies_ms, default=float("nan")),
        "errors": sum(n for s, n in load.statuses.items() if s != 201)
        + sum(load.failures.values()),
        "error_detail": {
            **{str(s): n for s, n in load.statuses.items() if s != 201},
            **load.failures,
        },
        "conflicts": load.conflicts,
        "watched": len(load.answered),
        "event_p50_ms": pct(delays, 0.50),
        "event_p99_ms": pct(delays, 0.99),
        "event_max_ms": max(delays, default=float("nan")),
        "events_missing": len(load.answered) - len(delays),
        "events_before_answer": sum(d < 0 for d in delays),
        "server_cpu_ms_per_write": cpu * 1000 / max(ok, 1),
        "loadgen_cpu_ms_per_write": gen * 1000 / max(ok, 1),
        "pg_rollbacks_per_write": rollbacks_per_write(pg0, pg1, ok),
    }


def run_config_wrk(config: str, args: argparse.Namespace, progress: Progress) -> dict[str, Any]:
    task = progress.add_task(f"{config}: starting", total=args.seconds)
    with (
        prefilled(config, args, progress, task) as (server, watcher, keys),
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        progress.update(task, description=f"{config}: warm-up")
        run_wrk(server.url, folder, keys, args.clients, 1.0, args.share, seed=3)
        progress.update(task, description=f"{config}: load (wrk)")
        pg0, cpu0, t0 = server.pg_transactions(), server.cpu_seconds(), time.monotonic()
        w = run_wrk(server.url, folder, keys, args.clients, args.seconds, args.share, seed=1)
        elapsed = time.monotonic() - t0
        cpu = server.cpu_seconds() - cpu0
        pg1 = server.pg_transactions()
        progress.update(task, completed=args.seconds, description=f"{config}: events")
        arrived = watcher.collect({})
    progress.remove_task(task)
    # Events of the measured run: those that arrived after it started.
    seen = sum(1 for at in arrived.values() if at >= t0)
    ok = int(w["statuses"].get("201", 0))
    errors = {s: n for s, n in w["statuses"].items() if s != "201"}
    socket_errors = {
        k: w[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts") if w[k]
    }
    return {
        "config": config,
        "driver": "wrk",
        "clients": args.clients,
        "client": "wrk",
        "seconds": round(w["duration_us"] / 1e6, 2),
        "writes": ok,
        "writes_per_s": ok / (w["duration_us"] / 1e6),
        "p50_ms": w["p50_us"] / 1000,
        "p90_ms": w["p90_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000,
        "p999_ms": w["p999_us"] / 1000,
        "max_ms": w["max_us"] / 1000,
        "errors": sum(errors.values()) + sum(socket_errors.values()),
        "error_detail": {**errors, **socket_errors},
        "conflicts": w["conflicts"],
        "watched": w["watched"],
        "event_p50_ms": float("nan"),
        "event_p99_ms": float("nan"),
        "event_max_ms": float("nan"),
        # Counted, not matched: events that arrived for the measured run's conflicts.
        "events_missing": max(0, w["watched"] - seen),
        "events_before_answer": 0,
        "server_cpu_ms_per_write": cpu * 1000 / max(ok, 1),
        "loadgen_cpu_ms_per_write": float("nan"),
        "pg_rollbacks_per_write": rollbacks_per_write(pg0, pg1, ok),
        "wall_s": round(elapsed, 2),
    }


# Two distant regions for `--regions`: central Germany and São Paulo, flights scaled into
# ~100 x 130 km round each (about one coarse write-turn region, see engine/regions.py).
REGION_PLACES = [(50.5, 9.0, 0.3), (-23.5, -46.6, 0.3)]


def run_regions(args: argparse.Namespace, progress: Progress) -> list[dict[str, Any]]:
    """Two workers on PostgreSQL, the same load in one region and then split over two distant
    ones (half the parties in each), same run; no watcher (parties of a region share nothing
    with the other region's)."""
    rows = []
    runs = (("pg-2 one region", REGION_PLACES[:1]), ("pg-2 two regions", REGION_PLACES))
    for label, places in runs:
        task = progress.add_task(f"{label}: starting", total=args.seconds)
        with database("postgres", args.pg) as url:
            env = {"PYTHONPATH": str(args.src)} if args.src else {}
            server = api_server.Server(url, 2, env)
            try:
                with api_server.admin_client(server) as admin:
                    keys = [
                        admin.post("/v1/parties", json={"name": f"Wing {i}"}).json()["api_key"]
                        for i in range(LOAD_PARTIES)
                    ]
                progress.update(task, description=f"{label}: prefill")
                load = api_traffic.run_load
                asyncio.run(
                    load(server.url, keys, args.clients, 600, 0.0, "", seed=2,
                         limit=args.prefill, places=places)
                )  # fmt: skip
                asyncio.run(load(server.url, keys, args.clients, 1.0, 0.0, "", places=places))
                progress.update(task, description=f"{label}: load")
                pg0, cpu0, t0 = server.pg_transactions(), server.cpu_seconds(), time.monotonic()
                def tick(s: float, task: TaskID = task) -> None:
                    progress.update(task, completed=s)

                result = asyncio.run(
                    load(server.url, keys, args.clients, args.seconds, 0.0, "", seed=1,
                         places=places, tick=tick)
                )  # fmt: skip
                elapsed = time.monotonic() - t0
                cpu = server.cpu_seconds() - cpu0
                pg1 = server.pg_transactions()
            finally:
                server.stop()
        progress.remove_task(task)
        ok = result.statuses[201]
        rows.append(
            {
                "config": label,
                "writes": ok,
                "writes_per_s": ok / elapsed,
                "p50_ms": pct(result.latencies_ms, 0.50),
                "p99_ms": pct(result.latencies_ms, 0.99),
                "errors": sum(n for s, n in result.statuses.items() if s != 201)
                + sum(result.failures.values()),
                "conflicts": result.conflicts,
                "server_cpu_ms_per_write": cpu * 1000 / max(ok, 1),
                "pg_rollbacks_per_write": rollbacks_per_write(pg0, pg1, ok),
            }
        )
    rows[1]["ratio"] = rows[1]["writes_per_s"] / max(rows[0]["writes_per_s"], 1e-9)
    rows[0]["ratio"] = 1.0
    return rows


HOLD_S = 1.0  # how long the stand-in slow write holds Aleppo's turn, each time


def _hold_aleppo(url: str, stop: threading.Event) -> None:
    """A slow write over Aleppo, played by holding the very locks the service takes for one
    (`Service.turn_of`) for HOLD_S at a time, until `stop`."""
    import psycopg

    from deconflict.api.hub import libpq_url
    from deconflict.config import Config
    from deconflict.geometry import parse_volumes
    from deconflict.service import Service

    vol = api_traffic.moved(api_traffic.flight(random.Random(5), [], False), (36.2, 37.1, 0.1))
    turn = Service(Config(db_url=url)).turn_of(parse_volumes(vol["volumes"]))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        while not stop.is_set():
            conn.execute(str(turn.locks().text))
            stop.wait(HOLD_S)
            conn.execute("SELECT pg_advisory_unlock_all()")
            stop.wait(0.2)


def run_bystander(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Write latency in Paris and in Aleppo while a slow write keeps taking Aleppo's turn."""
    rows = []
    with database("postgres", args.pg) as url:
        env = {"PYTHONPATH": str(args.src)} if args.src else {}
        server = api_server.Server(url, 2, env)
        try:
            with api_server.admin_client(server) as admin:
                keys = [
                    admin.post("/v1/parties", json={"name": f"By {i}"}).json()["api_key"]
                    for i in range(2)
                ]
            stop = threading.Event()
            holder = threading.Thread(target=_hold_aleppo, args=(url, stop))
            holder.start()
            try:
                for name, key, place in (
                    ("write in Paris (far away)", keys[0], (48.85, 2.35, 0.1)),
                    ("write in Aleppo (same region)", keys[1], (36.2, 37.1, 0.1)),
                ):
                    load = asyncio.run(
                        api_traffic.run_load(server.url, [key], 1, args.seconds / 2, 0.0, "",
                                             seed=3, places=[place])
                    )  # fmt: skip
                    rows.append(
                        {
                            "config": name,
                            "writes": load.statuses[201],
                            "p50_ms": pct(load.latencies_ms, 0.5),
                            "p99_ms": pct(load.latencies_ms, 0.99),
                            "max_ms": max(load.latencies_ms, default=float("nan")),
                        }
                    )
            finally:
                stop.set()
                holder.join()
        finally:
            server.stop()
    return rows


def bystander_table(rows: list[dict[str, Any]]) -> Table:
    t = Table(title=f"A slow write holds Aleppo's turn {HOLD_S:g} s at a time (one client each)")
    for head in ("bystander", "writes", "p50 ms", "p99 ms", "max ms"):
        t.add_column(head, justify="left" if head == "bystander" else "right")
    for r in rows:
        t.add_row(
            r["config"], str(r["writes"]), f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
            f"{r['max_ms']:.0f}",
        )  # fmt: skip
    return t


def regions_table(rows: list[dict[str, Any]]) -> Table:
    cols = [
        ("config", "config", "{}"),
        ("writes/s", "writes_per_s", "{:,.0f}"),
        ("× one region", "ratio", "{:.2f}"),
        ("p50 ms", "p50_ms", "{:.1f}"),
        ("p99 ms", "p99_ms", "{:.1f}"),
        ("errors", "errors", "{}"),
        ("conflicts", "conflicts", "{}"),
        ("server CPU ms/write", "server_cpu_ms_per_write", "{:.2f}"),
        ("PG rollbacks/write", "pg_rollbacks_per_write", "{:.2f}"),
    ]
    title = "Write turns by region: two workers on PostgreSQL, POST /v1/operations"
    return _render(title, cols, rows)


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    return f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def table(rows: list[dict[str, Any]]) -> Table:
    cols = [
        ("config", "config", "{}"),
        ("driver", "client", "{}"),
        ("clients", "clients", "{}"),
        ("writes/s", "writes_per_s", "{:,.0f}"),
        ("p50 ms", "p50_ms", "{:.1f}"),
        ("p99 ms", "p99_ms", "{:.1f}"),
        ("max ms", "max_ms", "{:.0f}"),
        ("errors", "errors", "{}"),
        ("conflicts", "conflicts", "{}"),
        ("event p50 ms", "event_p50_ms", "{:.1f}"),
        ("event p99 ms", "event_p99_ms", "{:.1f}"),
        ("events missing", "events_missing", "{}"),
        ("server CPU ms/write", "server_cpu_ms_per_write", "{:.2f}"),
        ("load CPU ms/write", "loadgen_cpu_ms_per_write", "{:.2f}"),
        ("PG rollbacks/write", "pg_rollbacks_per_write", "{:.2f}"),
    ]
    return _render("API load: POST /v1/operations (server and load share the machine)", cols, rows)


def _render(title: str, cols: list[tuple[str, str, str]], rows: list[dict[str, Any]]) -> Table:
    """A table of `rows`, one column per (heading, key, format)."""
    t = Table(title=title)
    for head, _, _ in cols:
        t.add_column(head, justify="left" if head == "config" else "right")
    for r in rows:
        t.add_row(*(fmt.format(r[key]) for _, key, fmt in cols))
    return t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="5 s per configuration")
    p.add_argument("--seconds", type=float, help="measured seconds per configuration (20)")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument(
        "--prefill", type=int, help="flights stored before the measured run (5000; quick: 1000)"
    )
    p.add_argument("--share", type=float, default=0.1, help="share of flights through a zone")
    p.add_argument("--only", default=",".join(CONFIGS), help="configurations to run")
    p.add_argument(
        "--regions",
        action="store_true",
        help="instead: two PostgreSQL workers writing in one region vs two distant ones",
    )
    p.add_argument("--client", choices=["raw", "httpx"], default="raw")
    p.add_argument(
        "--driver",
        choices=["python", "wrk"],
        default="python",
        help="who posts the load: the Python client (default) or wrk (bench/api_load.lua)",
    )
    p.add_argument("--pg", default=PG_URL, help="PostgreSQL server (a database is created)")
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument(
        "--src", type=Path, help="serve the package from this src folder (e.g. an older version)"
    )
    args = p.parse_args()
    if args.driver == "wrk" and shutil.which("wrk") is None:
        p.error("--driver wrk needs wrk on PATH (Debian: apt-get install wrk)")
    args.seconds = args.seconds or (5.0 if args.quick else 20.0)
    if args.prefill is None:
        args.prefill = 1000 if args.quick else 5000
    console.print(f"[bold]machine[/bold]: {machine()}")
    rows = []
    with Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        refresh_per_second=2,
    ) as progress:
        if args.regions:
            rows = run_regions(args, progress)
            by = run_bystander(args)
        else:
            for config in args.only.split(","):
                rows.append(run_config(config, args, progress))
    if args.regions:
        console.print(regions_table(rows))
        console.print(bystander_table(by))
        if args.json:
            out = {"machine": machine(), "rows": rows, "bystander": by}
            args.json.write_text(json.dumps(out, indent=2))
        return 0
    console.print(table(rows))
    for r in rows:
        if r["errors"]:
            console.print(f"[red]{r['config']} errors[/red]: {r['error_detail']}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "rows": rows}, indent=2))
    bad = [r for r in rows if r["events_missing"] or r["event_p99_ms"] >= 1000]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
