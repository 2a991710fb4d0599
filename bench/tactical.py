"""Tactical detection benchmark: deconflict.tactical.detect against BlueSky 1.1.1.

    .venv/bin/python bench/tactical.py [--quick]

Synthetic traffic: N = 1,000, 5,000, 20,000 in a 500 km box at 52° N (FL100-FL400,
200-250 m/s, 30 % climbing or descending) and 100,000 spread over latitudes 45° S-70° N, all
longitudes. For each: our median time and peak traced memory beside BlueSky's compiled
``cstatebased.detect`` and its NumPy ``StateBased.detect`` (called unbound, without
``bluesky.init()``), skipped where they would exceed about 60 s or 3 GB. Pairs are compared
twice: our pruning + CPA on BlueSky's flat-earth geometry must give IDENTICAL pairs; our WGS84
model differs only near boundaries (counted).

Real traffic: the OpenSky samples bundled with ``traffic`` (quickstart, switzerland), cut into
one-minute snapshots (latest state per aircraft), compared with BlueSky at 999 ft vertical
separation (exact 1,000 ft gaps are common and BlueSky decides them on float rounding).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from deconflict.tactical import detect
from deconflict.tactical.detector import detect_with
from deconflict.tactical.frame import ecef_state, kwik_relative

Traffic = tuple[np.ndarray, ...]
H_SEP, V_SEP, LOOKAHEAD = 9260.0, 304.8, 300.0
FT, KT, FPM = 0.3048, 1852.0 / 3600.0, 0.3048 / 60.0
SECONDS_LIMIT, BYTES_LIMIT = 60.0, 3e9
console = Console(width=200)


def box_traffic(n: int, seed: int, lat0: float = 52.0, lon0: float = 4.0) -> Traffic:
    rng = np.random.default_rng(seed)
    half_lat = 250e3 / 111_320.0
    half_lon = half_lat / np.cos(np.radians(lat0))
    lat = lat0 + rng.uniform(-half_lat, half_lat, n)
    lon = lon0 + rng.uniform(-half_lon, half_lon, n)
    return (lat, lon, *_flight_states(rng, n))


def world_traffic(n: int, seed: int) -> Traffic:
    rng = np.random.default_rng(seed)
    lo, hi = np.sin(np.radians(-45.0)), np.sin(np.radians(70.0))
    lat = np.degrees(np.arcsin(rng.uniform(lo, hi, n)))  # uniform per area
    lon = rng.uniform(-180.0, 180.0, n)
    return (lat, lon, *_flight_states(rng, n))


def _flight_states(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    climbing = rng.random(n) < 0.3
    vs = np.where(climbing, rng.choice([-1.0, 1.0], n) * rng.uniform(5.0, 15.0, n), 0.0)
    return [
        rng.uniform(3048.0, 12192.0, n),
        rng.uniform(200.0, 250.0, n),
        rng.uniform(0.0, 360.0, n),
        vs,
    ]


def ours(t: Traffic, v_sep: float = V_SEP) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in detect(*t, v_sep_m=v_sep).pairs}


def ours_kwik(t: Traffic, v_sep: float = V_SEP) -> set[tuple[int, int]]:
    lat, lon, alt, gs, trk, vs = t
    result = detect_with(
        lambda i, j: kwik_relative(lat, lon, gs, trk, i, j),
        ecef_state(lat, lon, gs, trk),
        alt,
        vs,
        h_sep_m=H_SEP,
        v_sep_m=v_sep,
        lookahead_s=LOOKAHEAD,
        extra_margin_m=10_000.0,
    )
    return {(int(i), int(j)) for i, j in result.pairs}


def _bluesky_args(t: Traffic, v_sep: float) -> tuple[Any, ...]:
    lat, lon, alt, gs, trk, vs = t
    n = lat.size
    own = types.SimpleNamespace(
        ntraf=n, id=list(range(n)), lat=lat, lon=lon, alt=alt, gs=gs, trk=trk, vs=vs
    )
    return own, own, np.full(n, H_SEP), np.full(n, v_sep), np.full(n, LOOKAHEAD)


def bluesky_c(t: Traffic, v_sep: float = V_SEP) -> set[tuple[int, int]]:
    from bluesky.traffic.asas import cstatebased

    return {(min(p), max(p)) for p in cstatebased.detect(*_bluesky_args(t, v_sep))[0]}


def bluesky_numpy(t: Traffic, v_sep: float = V_SEP) -> set[tuple[int, int]]:
    from bluesky.traffic.asas.statebased import StateBased

    # detect() does not use self; unbound, it needs no bluesky.init().
    return {(min(p), max(p)) for p in StateBased.detect(None, *_bluesky_args(t, v_sep))[0]}


def timed(
    fn: Callable[[Traffic], set[tuple[int, int]]], t: Traffic, repeats: int
) -> tuple[float, set[tuple[int, int]]]:
    """Median seconds over ``repeats`` calls, and the result."""
    times, result = [], set()
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(t)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_bytes(fn: Callable[[Traffic], object], t: Traffic) -> int:
    tracemalloc.start()
    fn(t)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def synthetic(quick: bool) -> None:
    cases = (
        [("box", 1000), ("box", 5000)]
        if quick
        else [("box", 1000), ("box", 5000), ("box", 20_000), ("world", 100_000)]
    )
    repeats = 3 if quick else 7
    table = Table(title="Synthetic traffic (times: median; memory: tracemalloc peak)")
    for column in (
        "traffic",
        "N",
        "ours",
        "ours mem",
        "BlueSky C",
        "C / ours",
        "BlueSky NumPy",
        "NumPy / ours",
        "NumPy mem",
        "pairs (BlueSky)",
        "flat-earth pairs",
        "WGS84 differs",
    ):
        table.add_column(column, justify="right")
    c_seconds_per_pair = None  # BlueSky's C loop is N² work: extrapolate to skip
    for kind, n in cases:
        t = box_traffic(n, 1) if kind == "box" else world_traffic(n, 1)
        ours(t)  # warm-up
        our_s, our_pairs = timed(ours, t, repeats)
        our_mem = peak_bytes(ours, t)
        row = [kind, f"{n:,}", f"{our_s * 1e3:.1f} ms", f"{our_mem / 1e6:.0f} MB"]
        estimate = c_seconds_per_pair * n * n if c_seconds_per_pair else 0.0
        if estimate > SECONDS_LIMIT:
            row += [f"skipped (~{estimate:.0f} s)", "", "", "", "", "", "", ""]
            table.add_row(*row)
            continue
        c_s, c_pairs = timed(bluesky_c, t, 3 if n <= 5000 else 1)
        c_seconds_per_pair = c_s / (n * n)
        row += [f"{c_s * 1e3:.0f} ms", f"{c_s / our_s:.1f}×"]
        row += _numpy_columns(t, n, our_s)
        kwik_same = "identical" if ours_kwik(t) == c_pairs else "DIFFER"
        row += [f"{len(c_pairs):,}", kwik_same, f"{len(our_pairs ^ c_pairs):,}"]
        table.add_row(*row)
    console.print(table)


def _numpy_columns(t: Traffic, n: int, our_s: float) -> list[str]:
    """BlueSky's NumPy detector holds ~30 N×N float64 matrices: 228 MB at N = 1,000."""
    estimate = 228e6 * (n / 1000) ** 2
    if estimate > BYTES_LIMIT:
        return [f"skipped (~{estimate / 1e9:.1f} GB)", "", ""]
    np_s, _ = timed(bluesky_numpy, t, 1)
    return [
        f"{np_s * 1e3:.0f} ms",
        f"{np_s / our_s:.0f}×",
        f"{peak_bytes(bluesky_numpy, t) / 1e6:.0f} MB",
    ]


def snapshots(name: str) -> list[Traffic]:
    """One-minute snapshots: the latest airborne state of every aircraft in each minute."""
    from traffic.data import samples

    frame = getattr(samples, name).data
    columns = ["latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate"]
    frame = frame.dropna(subset=columns)
    if "onground" in frame:
        frame = frame[~frame["onground"].astype(bool)]
    frame = frame.assign(minute=frame["timestamp"].dt.floor("min")).sort_values("timestamp")
    latest = frame.groupby(["minute", "icao24"]).tail(1)
    out = []
    for _, group in latest.groupby("minute"):
        if len(group) >= 2:
            out.append(
                (
                    group["latitude"].to_numpy(float),
                    group["longitude"].to_numpy(float),
                    group["altitude"].to_numpy(float) * FT,
                    group["groundspeed"].to_numpy(float) * KT,
                    group["track"].to_numpy(float),
                    group["vertical_rate"].to_numpy(float) * FPM,
                )
            )
    return out


def real(quick: bool) -> None:
    try:
        import traffic.data.samples  # noqa: F401
    except ImportError as error:
        console.print(f"Real traffic skipped: cannot import traffic ({error})")
        return
    v_sep = 999 * FT
    table = Table(title="OpenSky samples from traffic, one-minute snapshots, v_sep = 999 ft")
    for column in (
        "sample",
        "snapshots",
        "aircraft/snapshot",
        "BlueSky pairs",
        "flat-earth differ",
        "WGS84 agree",
        "WGS84 differ",
        "ours total",
        "BlueSky C total",
    ):
        table.add_column(column, justify="right")
    for name in ("quickstart", "switzerland"):
        snaps = snapshots(name)[: 30 if quick else None]
        sizes = [s[0].size for s in snaps]
        ours_s = c_s = 0.0
        total = kwik_differ = wgs_agree = wgs_differ = 0
        for snap in snaps:
            s, mine = timed(lambda t: ours(t, v_sep), snap, 1)
            ours_s += s
            s, theirs = timed(lambda t: bluesky_c(t, v_sep), snap, 1)
            c_s += s
            total += len(theirs)
            kwik_differ += len(ours_kwik(snap, v_sep) ^ theirs)
            wgs_agree += len(mine & theirs)
            wgs_differ += len(mine ^ theirs)
        table.add_row(
            name,
            f"{len(snaps)}",
            f"{np.mean(sizes):.0f} (max {max(sizes)})",
            f"{total}",
            f"{kwik_differ}",
            f"{wgs_agree}",
            f"{wgs_differ}",
            f"{ours_s * 1e3:.0f} ms",
            f"{c_s * 1e3:.0f} ms",
        )
    console.print(table)


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    blas = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return (
        f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, env {blas}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, fewer repeats")
    args = parser.parse_args()
    console.print(machine())
    synthetic(args.quick)
    real(args.quick)


if __name__ == "__main__":
    main()
