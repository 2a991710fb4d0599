"""What reading the caller's key from the database on every request costs (no in-process key
cache, so that a rotated or revoked key is refused at once by every worker), and what the rate
limiter adds: `GET /v1/parties/me` and `GET /v1/operations?limit=1` from keep-alive clients
against a real `deconflict serve` on SQLite, for each source tree given.

    .venv/bin/python bench/auth_cost.py --src before=/tmp/before/src --src after=src
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from api_server import UNLIMITED, Server, admin_client, sqlite_db

PATHS = ["/v1/parties/me", "/v1/operations?limit=1"]


async def _hammer(url: str, key: str, path: str, seconds: float, clients: int) -> int:
    done = 0
    stop = time.monotonic() + seconds

    async def one() -> None:
        nonlocal done
        headers = {"Authorization": f"Bearer {key}"}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as c:
            while time.monotonic() < stop:
                r = await c.get(path)
                assert r.status_code == 200, r.text
                done += 1

    await asyncio.gather(*(one() for _ in range(clients)))
    return done


def run(src: str, limits: bool, seconds: float, clients: int) -> list[tuple[str, float, float]]:
    env = {"PYTHONPATH": str(Path(src).resolve())}
    if limits:  # the defaults, raised so that the bench measures the check, not refusals
        env.update({k: "1000000" for k in UNLIMITED})
        env.update({k.replace("RATE", "BURST"): "1000000" for k in UNLIMITED})
    out = []
    with sqlite_db() as db:
        os.environ.pop("PYTHONPATH", None)
        server = Server(db, 1, env)
        try:
            with admin_client(server) as admin:
                key = admin.post("/v1/parties", json={"name": "Bench"}).json()["api_key"]
            for path in PATHS:
                asyncio.run(_hammer(server.url, key, path, 1.0, clients))  # warm-up
                cpu0 = server.cpu_seconds()
                n = asyncio.run(_hammer(server.url, key, path, seconds, clients))
                cpu = server.cpu_seconds() - cpu0
                out.append((path, n / seconds, 1000 * cpu / n))
        finally:
            server.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", action="append", required=True, help="label=path/to/src")
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    rows = []
    for spec in args.src:
        label, src = spec.split("=", 1)
        for limits in (False, True):
            for path, rps, cpu in run(src, limits, args.seconds, args.clients):
                rows.append((label, "on" if limits else "off", path, rps, cpu))
    base = {(r[2]): r[3] for r in rows if r[0] == rows[0][0] and r[1] == "off"}
    print("| source | limits | route | requests/s | vs first | server CPU ms/request |")
    print("|---|---|---|---:|---:|---:|")
    for label, lim, path, rps, cpu in rows:
        print(
            f"| {label} | {lim} | `GET {path}` | {rps:,.0f} | {rps / base[path]:.2f} | {cpu:.2f} |"
        )


if __name__ == "__main__":
    main()
