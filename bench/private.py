"""Private matching end to end: two parties with ~10,000 cells each, through a real relay.

    .venv/bin/python bench/private.py [--cells 10000] [--seed 3]

Party North (flights and hazards) and party South (flights, presences) plan around one city
until each one's cover holds about `--cells` cells at the default cell sizes (H3 res 8,
30 min, 500 m). Measured, with a real `deconflict serve` on loopback (SQLite):

- cover: each party's cells for its whole plan;
- first round: both submit (hash, blind, publish), then sync until both have opened every
  conflict (re-blind, intersect, refine, compute, report), caches cold;
- a typical check: North adds one operation of three volumes and both sync again until the
  change's conflicts are open (warm caches: only new cells are blinded);
- the plain engine on the same volumes (all pairs, and the one operation against South's
  plan with the in-memory index), and the published LPPD figure (ACSAC 2023: ~40 ms per
  check, quoted, not measured here).

Private and plain conflicts are compared (operation pairs, both directions).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
from api_server import ADMIN_KEY, Server, sqlite_db
from rich.console import Console
from rich.table import Table

from deconflict.engine import Kind, Operation, Rules, VolumeIndex, conflicts_between, detect
from deconflict.geometry import Circle, LatLng, Volume
from deconflict.geometry.geodesy import GEOD
from deconflict.private import cover as cover_memo
from deconflict.private.cover import CoverSettings, plan_cover
from deconflict.private.relay import Relay
from deconflict.private.rounds import Client, local_conflicts, submit, sync
from deconflict.private.state import Folder

T = TypeVar("T")
CITY = LatLng(33.89, 35.50)  # Beirut
T0 = datetime(2031, 6, 1, 6, tzinfo=UTC)
LPPD_MS = 40.0
console = Console(width=170)


def at(p: LatLng, azimuth: float, metres: float) -> LatLng:
    lng, lat, _ = GEOD.fwd(p.lng, p.lat, azimuth, metres)
    return LatLng(float(lat), float(lng))


def volume(rng: random.Random, kind: Kind) -> Volume:
    centre = at(CITY, rng.uniform(0, 360), rng.uniform(0, 5_000))
    start = T0 + timedelta(minutes=rng.randrange(0, 4 * 60, 15))
    if kind is Kind.PRESENCE:
        return Volume(Circle(centre, rng.uniform(100, 600)), 0.0, 0.0, start,
                      start + timedelta(hours=rng.choice([4, 8, 12])))  # fmt: skip
    low = rng.choice([0.0, 300.0, 1_000.0])
    return Volume(Circle(centre, rng.uniform(300, 1_500)), low, low + rng.choice([500.0, 1_000.0]),
                  start, start + timedelta(minutes=rng.choice([30, 60, 90])))  # fmt: skip


def plan(rng: random.Random, kinds: list[Kind], cells: int, low: bool, tag: str) -> list[Operation]:
    """Operations of 1-3 volumes until the cover holds about `cells` cells."""
    ops: list[Operation] = []
    total: set[str] = set()
    while len(total) < cells:
        kind = rng.choice(kinds)
        vols = tuple(volume(rng, kind) for _ in range(rng.randint(1, 3)))
        op = Operation(f"{tag}-{len(ops):04d}", "me", kind, vols, label=f"{tag} op {len(ops)}")
        total |= set(plan_cover([op], low, Rules(), CoverSettings()))
        ops.append(op)
    return ops


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def party(url: str, name: str) -> tuple[str, str]:
    r = httpx.post(f"{url}/v1/parties", json={"name": name},
                   headers={"Authorization": f"Bearer {ADMIN_KEY}"})  # fmt: skip
    r.raise_for_status()
    return r.json()["id"], r.json()["api_key"]


def plain_pairs(north: list[Operation], south: list[Operation]) -> set[tuple[str, str]]:
    rules, out = Rules(), set()
    for a in north:
        for b in south:
            if conflicts_between(_as(a, "north"), _as(b, "south"), rules) is not None:
                out.add((a.id, b.id))
    return out


def _as(op: Operation, party_: str) -> Operation:
    return Operation(op.id, party_, op.kind, op.volumes, op.state, op.version, op.label)


def private_pairs(client: Client) -> set[tuple[str, str]]:
    return {
        (c["my_operation"], c["other_operation"])
        for c in local_conflicts(client.folder)
        if c["status"] == "open" and not c.get("probe")
    }


def rounds(
    a: Client, b: Client, want: set[tuple[str, str]], limit: int = 8
) -> tuple[float, float, int]:
    """Sync both in turn until both have intersected the current sets and hold exactly
    `want` (North's side first); answers (North s, South s, passes)."""
    ta = tb = 0.0
    for n in range(1, limit + 1):
        ra, t = timed(lambda: sync(a))
        ta += t
        rb, t = timed(lambda: sync(b))
        tb += t
        done = all(r.shared is not None for r in [*ra, *rb])
        flipped = {(y, x) for x, y in private_pairs(b)}
        if done and private_pairs(a) == want and flipped == want:
            return ta, tb, n
    raise RuntimeError("private conflicts did not converge to the plain engine's")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="profile the typical check")
    ap.add_argument("--sort", default="tottime", help="profile order (tottime, cumtime)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with sqlite_db() as db, tempfile.TemporaryDirectory() as folder:
        server = Server(db, 1)
        try:
            n_id, n_key = party(server.url, "North")
            s_id, s_key = party(server.url, "South")
            north_ops = plan(rng, [Kind.FLIGHT, Kind.HAZARD], args.cells, n_id < s_id, "n")
            south_ops = plan(rng, [Kind.FLIGHT, Kind.PRESENCE], args.cells, s_id < n_id, "s")
            north = Client(Folder(Path(folder) / "n"), Relay(server.url, n_key))
            south = Client(Folder(Path(folder) / "s"), Relay(server.url, s_key))
            run(north, south, north_ops, south_ops, n_id < s_id, rng, args)
        finally:
            server.stop()


def run(
    north: Client,
    south: Client,
    north_ops: list[Operation],
    south_ops: list[Operation],
    north_low: bool,
    rng: random.Random,
    args: Any,
) -> None:
    rules, cells = Rules(), CoverSettings()
    cover_memo._MEMO.clear()  # the plans were drawn with the covers: measure them cold
    n_cover, t_cover_n = timed(lambda: plan_cover(north_ops, north_low, rules, cells))
    s_cover, t_cover_s = timed(lambda: plan_cover(south_ops, not north_low, rules, cells))
    want, t_plain_all = timed(lambda: plain_pairs(north_ops, south_ops))
    _, t_sub_n = timed(lambda: submit(north, north_ops))
    _, t_sub_s = timed(lambda: submit(south, south_ops))
    t_sync_n, t_sync_s, passes = rounds(north, south, want)
    first = t_sub_n + t_sub_s + t_sync_n + t_sync_s

    # A typical check: one new operation of three volumes against South's whole plan.
    new = Operation("n-new", "me", Kind.HAZARD, tuple(volume(rng, Kind.HAZARD) for _ in range(3)))
    index = VolumeIndex()
    for op in south_ops:
        index.upsert(_as(op, "south"))
    found, t_plain_one = timed(lambda: detect(_as(new, "north"), index, rules))
    want2 = plain_pairs([*north_ops, new], south_ops)
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    _, t_sub2 = timed(lambda: submit(north, [*north_ops, new]))
    t2_n, t2_s, passes2 = rounds(north, south, want2)
    if profile is not None:
        profile.disable()
        pstats.Stats(profile).sort_stats(args.sort).print_stats(30)
    check = t_sub2 + t2_n + t2_s
    new_cells = len(plan_cover([new], north_low, rules, cells))

    table = Table(title=f"Private matching, ~{args.cells:,} cells a party (seed {args.seed})")
    for col in ("phase", "private s", "plain engine s", "private / plain", "note"):
        table.add_column(col, justify="right" if col != "phase" and col != "note" else "left")
    table.add_row("cover North / South", f"{t_cover_n:.2f} / {t_cover_s:.2f}", "-", "-",
                  f"{len(n_cover):,} / {len(s_cover):,} cells")  # fmt: skip
    table.add_row("first round, end to end", f"{first:.2f}", f"{t_plain_all:.3f}",
                  f"{first / t_plain_all:,.0f}×",
                  f"submit {t_sub_n:.1f}+{t_sub_s:.1f}, sync {t_sync_n:.1f}+{t_sync_s:.1f} s, "
                  f"{passes} passes")  # fmt: skip
    table.add_row("typical check (3 volumes)", f"{check:.2f}", f"{t_plain_one:.4f}",
                  f"{check / t_plain_one:,.0f}×",
                  f"{new_cells} new cells; submit {t_sub2:.2f}, sync {t2_n:.2f}+{t2_s:.2f} s, "
                  f"{passes2} passes")  # fmt: skip
    table.add_row(
        "LPPD (ACSAC 2023, quoted)",
        f"{LPPD_MS / 1000:.3f}",
        "-",
        f"ours {check * 1000 / LPPD_MS:.0f}× theirs",
        "per check, their machine",
    )
    console.print(table)
    agree = private_pairs(north) == want2 and {(b, a) for a, b in private_pairs(south)} == want2
    console.print(
        f"conflicting operation pairs: plain {len(want2)}, private {len(private_pairs(north))}"
        f" (North) / {len(private_pairs(south))} (South), identical: {agree};"
        f" plain detect of the new operation: {len(found)} conflicts"
    )
    machine = platform.processor() or platform.machine()
    console.print(f"machine: {machine}, {os.cpu_count()} cores, Python {platform.python_version()},"
                  f" load {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
