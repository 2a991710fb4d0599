"""Profile the server under the API load: py-spy samples the serving processes while the load
runs, and the collapsed stacks are summed per function (inclusive and self share of samples).

    .venv/bin/python bench/api_profile.py [--config sqlite-1] [--seconds 10] [--out DIR]

Needs `py-spy` (pip install py-spy) and permission to trace child processes (ptrace).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_load
import api_server
import api_traffic

console = Console(width=160)


def summarise(collapsed: Path, top: int, only: str) -> Table:
    """Inclusive and self sample shares per frame (`function (file:line)` without the line)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        count = int(n)
        # Drop the `process N:"cmd"` root and the line numbers: one row per function.
        frames = [f.rsplit(":", 1)[0] + ")" for f in stack.split(";")[1:]] or ["(process)"]
        total += count
        for f in set(frames):
            inclusive[f] += count
        own[frames[-1]] += count
    t = Table(title=f"{collapsed.name}: {total} samples")
    t.add_column("function")
    t.add_column("incl %", justify="right")
    t.add_column("self %", justify="right")
    shown = [(f, n) for f, n in inclusive.most_common() if only in f][:top]
    for f, n in shown:
        t.add_row(f[:120], f"{100 * n / total:.1f}", f"{100 * own[f] / total:.1f}")
    return t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", default="sqlite-1", choices=api_load.CONFIGS)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--out", type=Path, default=Path("artifacts/profile"))
    p.add_argument("--top", type=int, default=45)
    p.add_argument("--only", default="", help="show frames containing this text")
    p.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    raw = args.out / f"{args.config}.collapsed"
    workers = int(args.config.rsplit("-", 1)[1])
    with api_load.database(args.config, api_load.PG_URL) as url:
        server = api_server.Server(url, workers)
        try:
            _, keys = api_load.setup_parties(server)
            spy = [
                "py-spy", "record", "--nonblocking", "--subprocesses", "--format", "raw",
                "-r", "200", "-d", str(int(args.seconds)), "-o", str(raw),
                "-p", str(server.proc.pid), *(["--gil"] if args.gil else []),
            ]  # fmt: skip
            bin_dir = Path(sys.executable).parent
            spy[0] = str(bin_dir / "py-spy") if (bin_dir / "py-spy").exists() else "py-spy"
            done = threading.Event()
            rec = subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            threading.Thread(target=lambda: (rec.wait(), done.set()), daemon=True).start()
            load = asyncio.run(
                api_traffic.run_load(
                    server.url, keys, args.clients, args.seconds, 0.1, "Range Control"
                )
            )
            rec.wait(60)
        finally:
            server.stop()
    console.print(f"{load.statuses[201] / args.seconds:.0f} writes/s while profiled")
    console.print(summarise(raw, args.top, args.only))
    return 0


if __name__ == "__main__":
    sys.exit(main())
