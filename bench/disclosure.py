"""What the disclosure gate costs on the live-track path, against baselines in the same run.

    PYTHONPATH=src .venv/bin/python bench/disclosure.py [--aircraft 500] [--runs 5]

1. The kinematic check of a batch (every aircraft with a stored state): one vectorised geodesic
   call (shipped) against one `distance_m` call per state (the obvious loop).
2. `POST /v1/tracks` through the service on SQLite, two parties whose aircraft meet pairwise
   (head-on, stacked 400 m apart in altitude so each meets only its counterpart): states tied
   to each party's active flight (judged for conformance; both sides alerted: 2 events a pair)
   against the same states untied (neither side qualified: nothing shown, no event). Median
   milliseconds per batch: what the alerts cost, not the gate.
3. The gate's own part of the tied batch: `disclosure.pair_alert` for as many pairs, against
   the whole tied batch (the ratio is its share).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from attrs import evolve
from rich.console import Console
from rich.table import Table

from deconflict.config import Config
from deconflict.engine import Kind, State
from deconflict.engine.disclosure import Encounter, PairSide, pair_alert
from deconflict.geometry import parse_volumes
from deconflict.geometry.geodesy import distance_m
from deconflict.geometry.model import LatLng
from deconflict.service import Principal, Service, tracks
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.service.tracks import InvalidTrack, TrackState, _check_speeds
from deconflict.store import Database, migrate
from deconflict.tactical.settings import TrackSettings


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def loop_check(states: list[TrackState], stored: dict[str, Any], cfg: TrackSettings) -> None:
    """The baseline: one geodesic distance per state."""
    for i, s in enumerate(states):
        prev = stored.get(s.id)
        if prev is None:
            continue
        d = distance_m(LatLng(prev.lat, prev.lng), LatLng(s.lat, s.lng))
        if d > cfg.max_speed_mps * (s.time - prev.time) + cfg.jump_slack_m:
            raise InvalidTrack("impossible_jump", "too fast", f"tracks[{i}].time")


def states(n: int, t: float, lng0: float, trk: float, op: str | None) -> list[TrackState]:
    return [
        TrackState(f"A-{i}", 36.2, lng0, 100.0 + 400.0 * i, 100.0, trk, 0.0, t, op)
        for i in range(n)
    ]


def sortie(svc: Service, who: Principal, now: float) -> str:
    start = datetime.fromtimestamp(now, UTC) - timedelta(hours=1)
    vol = {
        "volume": {
            "outline_circle": {
                "center": {"lat": 36.2, "lng": 37.1},
                "radius": {"value": 50_000, "units": "M"},
            },
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 99_000, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": start.isoformat(), "format": "RFC3339"},
        "time_end": {"value": (start + timedelta(hours=3)).isoformat(), "format": "RFC3339"},
    }
    made = ops.create(svc, who, ops.Draft(Kind.FLIGHT, parse_volumes([vol])))
    over = tuple(c["id"] for c in made["conflicts"])
    op = made["operation"]["id"]
    ops.change(svc, who, op, ops.Change(state=State.ACTIVE, override=over), 1)
    return str(op)


def post_batches(n: int, runs: int, tied: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        svc = Service(Config(db_url=url, admin_key="a"), Database(url))
        migrate(svc.db)
        clock = SimpleNamespace(t=time.time())
        svc.clock = lambda: clock.t
        a, b = (authenticate(svc, create_party(svc, ADMIN, p)["api_key"]) for p in "AB")
        op_a, op_b = (sortie(svc, p, clock.t) if tied else None for p in (a, b))
        tracks.post(svc, a, states(n, clock.t, 37.0, 90.0, op_a))

        def once() -> None:
            clock.t += 1
            moved = [evolve(s, time=clock.t) for s in states(n, clock.t, 37.2, 270.0, op_b)]
            tracks.post(svc, b, moved)

        ms = median_ms(once, runs)
        svc.db.dispose()
        return ms


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aircraft", type=int, default=200)  # stacked 400 m apart: ≤ 247
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n, cfg = args.aircraft, TrackSettings()
    now = time.time()
    before = {s.id: s for s in states(n, now - 1, 37.0, 90.0, None)}
    batch = states(n, now, 37.001, 90.0, None)
    table = Table(title=f"Disclosure gate on the live-track path ({n} aircraft per batch)")
    for col in ("what", "shipped ms", "baseline ms", "ratio"):
        table.add_column(col, justify="right" if col != "what" else "left")
    vec = median_ms(lambda: _check_speeds(batch, before, cfg), args.runs * 4)
    loop = median_ms(lambda: loop_check(batch, before, cfg), args.runs * 4)
    table.add_row(
        "kinematic check (vectorised vs loop)", f"{vec:.2f}", f"{loop:.2f}", f"{loop / vec:.1f}x"
    )
    tied = post_batches(n, args.runs, tied=True)
    untied = post_batches(n, args.runs, tied=False)
    table.add_row(
        "POST /v1/tracks, tied vs untied", f"{tied:.1f}", f"{untied:.1f}", f"{tied / untied:.2f}x"
    )
    a = PairSide("A", "A-1", "trk-a", {"lat": 36.2, "lng": 37.0}, True)
    b = PairSide("B", "B-1", "trk-b", {"lat": 36.2, "lng": 37.2}, True)
    meet = Encounter("new", False, 90.0, 1.0, 40.0, now, 36.2, 37.1)
    names = {"A": "Party A", "B": "Party B"}
    built = median_ms(lambda: [pair_alert(str(i), a, b, meet, names) for i in range(n)], args.runs)
    table.add_row(
        "gate: pair_alert × batch vs tied POST",
        f"{built:.2f}",
        f"{tied:.1f}",
        f"{built / tied:.1%}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
