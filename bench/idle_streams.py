"""Idle event streams: server CPU while N streams are open and nothing happens.

    .venv/bin/python bench/idle_streams.py [--streams 50] [--seconds 10] [--pg URL]

Runs `deconflict serve` (one worker) on SQLite and, with --pg, on PostgreSQL, once with the
old 0.25 s poll (the baseline: what every idle stream did before wake-ups) and once with the
default safety poll, in the same run; opens N streams of N parties, waits for them to be
quiet, then reads the server's CPU time (from /proc) over the window.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_server

from deconflict.config import Config

BASELINE_POLL_S = 0.25


async def _hold(url: str, keys: list[str], seconds: float, server: api_server.Server) -> float:
    """Open a stream per key, let them settle, and return the server's CPU share meanwhile."""
    limits = httpx.Limits(max_connections=len(keys) + 5)
    async with httpx.AsyncClient(timeout=None, limits=limits) as client:
        opened = asyncio.Event()
        count = 0

        async def one(key: str) -> None:
            nonlocal count
            async with client.stream("GET", f"{url}/v1/events?access_token={key}") as r:
                async for _ in r.aiter_lines():
                    count += 1
                    if count == len(keys):
                        opened.set()

        tasks = [asyncio.create_task(one(k)) for k in keys]
        await asyncio.wait_for(opened.wait(), 60)
        await asyncio.sleep(1.0)
        cpu0, t0 = server.cpu_seconds(), time.monotonic()
        await asyncio.sleep(seconds)
        share = (server.cpu_seconds() - cpu0) / (time.monotonic() - t0)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return share


def run(db: str, poll: float, streams: int, seconds: float) -> float:
    server = api_server.Server(db, 1, {"DECONFLICT_EVENT_POLL_S": str(poll)})
    try:
        with api_server.admin_client(server) as admin:
            keys = [
                admin.post("/v1/parties", json={"name": f"idle{poll}-{i}"}).json()["api_key"]
                for i in range(streams)
            ]
        return asyncio.run(_hold(server.url, keys, seconds, server))
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--streams", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--pg", default=None, help="also on this PostgreSQL (CREATE DATABASE)")
    args = ap.parse_args()
    table = Table(title=f"{args.streams} idle event streams, server CPU (% of one core)")
    for col in ("database", f"poll {BASELINE_POLL_S} s (before)", "wake-up + safety poll"):
        table.add_column(col, justify="right")
    table.add_column("ratio", justify="right")
    dbs = [("sqlite", api_server.sqlite_db())]
    if args.pg:
        dbs.append(("postgres", api_server.postgres_db(args.pg)))
    for name, ctx in dbs:
        with ctx as db:
            before = run(db, BASELINE_POLL_S, args.streams, args.seconds)
            after = run(db, Config().event_poll_s, args.streams, args.seconds)
        ratio = f"{before / after:.0f}×" if after > 0 else "∞"
        poll = f"{Config().event_poll_s:g} s"
        table.add_row(name, f"{before:.1%}", f"{after:.1%} (poll {poll})", ratio)
    Console().print(table)


if __name__ == "__main__":
    main()
