"""Write-path key enumeration: `sorted_query_keys` against the expression it replaces.

    .venv/bin/python bench/query_keys.py [--quick] [--flights 2000] [--margins 0,9260] [--cold]

On every operation create the service works out the index keys its candidate search reads.
Flights are the API load benchmark's (`api_traffic.flight`: 1-3 legs of circles 300-2,000 m or
4-6-vertex polygons, 15-60 min each, a tenth inside a hazard zone), parsed as the API parses
them. Levels are the (space, time) pairs the store holds once the load benchmark's hazards
and flights are in ("traffic", 3 pairs), or ten pairs as a longer-lived store would ("wide").
Margin 0 is the default rules'; 9,260 m (5 NM) a configured separation.

Per create, the baseline is the old expression, `sorted({k for v in vols for k in
query_keys(v, margin, levels)})`, timed in the same run, call by call interleaved with
`sorted_query_keys`, and the best of several rounds kept. Every answer is compared.
Polygon caps are memoised after the first pass (the API's validation has computed them
already); --cold clears the geometry caches before each call instead.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_traffic

from deconflict.engine.index import key_levels, query_keys, sorted_query_keys, volume_key
from deconflict.geometry import Bounds, Volume, geodesy, parse_volumes

Levels = list[tuple[int, int]]
console = Console(width=max(Console().width, 120))
# A longer-lived store also holds coarser and longer volumes: ten pairs in all.
WIDER = [(0, 1), (1, 1), (2, 0), (2, 1), (2, 3), (3, 3), (4, 4)]


def baseline(vols: Sequence[Volume], margin_m: float, levels: Levels) -> list[int]:
    """The expression the write path used before `sorted_query_keys`."""
    return sorted({k for v in vols for k in query_keys(v, margin_m, list(levels))})


def traffic(n: int, seed: int) -> tuple[list[tuple[Volume, ...]], Levels]:
    """`n` flights as the API parses them, and the level pairs of the store they fill."""
    rng = random.Random(seed)
    zones = api_traffic.zone_centres()
    bounds = Bounds()
    stored = [parse_volumes(api_traffic.hazard(*z)["volumes"], "volumes", bounds) for z in zones]
    flights = []
    for _ in range(n):
        body = api_traffic.flight(rng, zones, rng.random() < 0.1)
        flights.append(parse_volumes(body["volumes"], "volumes", bounds))
    levels = {key_levels(volume_key(v)) for vols in [*stored, *flights] for v in vols}
    return flights, sorted(levels)


def timed(
    flights: Sequence[tuple[Volume, ...]],
    arms: dict[str, Callable[[Sequence[Volume]], list[int]]],
    rounds: int,
    cold: bool,
) -> dict[str, float]:
    """Best round's mean seconds per call of each arm, calls interleaved flight by flight."""
    best = dict.fromkeys(arms, float("inf"))
    for r in range(rounds):
        total = dict.fromkeys(arms, 0.0)
        names = list(arms) if r % 2 == 0 else list(reversed(arms))
        for vols in flights:
            for name in names:
                if cold:
                    geodesy.clear_caches()
                t = time.process_time()
                arms[name](vols)
                total[name] += time.process_time() - t
        for name in arms:
            best[name] = min(best[name], total[name] / len(flights))
    return best


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--flights", type=int, default=2000)
    ap.add_argument("--margins", default="0,9260", help="metres, comma-separated")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="clear geometry caches before each call")
    ap.add_argument("--quick", action="store_true", help="300 flights, 3 rounds")
    args = ap.parse_args(argv)
    n, rounds = (300, 3) if args.quick else (args.flights, args.rounds)
    flights, levels = traffic(n, args.seed)
    level_sets = {"traffic": levels, "wide": sorted({*levels, *WIDER})}
    table = Table(title=f"Query keys per create, {n} flights (best of {rounds} rounds)")
    for head in ("levels", "margin m", "keys", "baseline µs", "sorted_query_keys µs", "ratio"):
        table.add_column(head, justify="right")
    bad = 0
    for label, lv in level_sets.items():
        for margin in (float(m) for m in args.margins.split(",")):
            arms: dict[str, Callable[[Sequence[Volume]], list[int]]] = {
                "baseline": lambda vols, m=margin, lv=lv: baseline(vols, m, lv),
                "new": lambda vols, m=margin, lv=lv: sorted_query_keys(vols, m, lv),
            }
            keys = 0
            for vols in flights:  # also fills the caps' memo for the warm runs
                want, got = arms["baseline"](vols), arms["new"](vols)
                bad += want != got
                keys += len(want)
            t = timed(flights, arms, rounds, args.cold)
            table.add_row(
                f"{label} ({len(lv)})",
                f"{margin:,.0f}",
                f"{keys / n:.0f}",
                f"{t['baseline'] * 1e6:.1f}",
                f"{t['new'] * 1e6:.1f}",
                f"{t['baseline'] / t['new']:.1f}×",
            )
    console.print(table)
    if bad:
        console.print(f"[red]{bad} answers differ from the baseline")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
