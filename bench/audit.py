"""The audit log as a transparency log: what a checkpoint and a proof cost at 10⁶ entries, and
whether the sequencer keeps pace with the write path, measured in the same run.

    .venv/bin/python bench/audit.py [--size 1000000] [--proofs 200] [--threads 16]
        [--writes 1600] [--db sqlite|postgres] [--pg URL]

1. Pace: `--writes` operation creates from `--threads` threads through the service (group
   commit, the sequencer off), as `bench/write_path.py` runs them: creates/s and audit entries/s
   written. Then the sequencer alone over the backlog those writes left: entries/s sequenced
   (leaf hashes, subtree nodes, one signed checkpoint per 1,000). Then the same creates again
   with the sequencer running beside them every 0.5 s, as `serve` runs it: creates/s, and how
   far behind the signed tree is when the writes stop.
2. Scale: a log of `--size` entries (synthetic disclosures, inserted directly), sequenced; then
   the latest checkpoint read, and inclusion and consistency proofs for random indices and
   sizes, each read from the database and verified: ms per proof, hashes per proof. The same at
   1,000 entries is the baseline (ratio), and one proof computed the naive way (every leaf
   read, the tree hashed in memory) shows what the stored subtrees save.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_traffic
from write_path import draft, drop_database, fresh_database

from deconflict.config import Config
from deconflict.service import Principal, Service, audit
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.store import migrate
from deconflict.store import tlog as store
from deconflict.store.schema import audit as audit_table
from deconflict.store.schema import audit_head
from deconflict.tlog import merkle
from deconflict.tlog.checkpoint import open_note, parse_verifier

PG_URL = os.environ.get("DECONFLICT_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
console = Console(width=max(Console().width, 120))


def head(svc: Service) -> int:
    return svc.read(store.head_size)


def signed_size(svc: Service) -> int:
    last = svc.read(store.latest_checkpoint)
    return 0 if last is None else int(last.size)


def writes(svc: Service, args: argparse.Namespace, seed: int) -> tuple[float, int]:
    """Creates from several threads; (wall seconds, entries written)."""
    cfg, rng = svc.config, random.Random(seed)
    zones = api_traffic.zone_centres()
    load: list[Principal] = [
        authenticate(svc, create_party(svc, ADMIN, f"Load {seed}-{i}")["api_key"]) for i in range(4)
    ]
    timed = [
        draft(api_traffic.flight(rng, zones, rng.random() < 0.1), cfg) for _ in range(args.writes)
    ]

    def worker(part: list[ops.Draft]) -> None:
        for i, d in enumerate(part):
            ops.create(svc, load[i % 4], d)

    threads = [
        threading.Thread(target=worker, args=(timed[i :: args.threads],))
        for i in range(args.threads)
    ]
    before = head(svc)
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, head(svc) - before


def pace(url: str, args: argparse.Namespace) -> list[tuple[str, str, str]]:
    svc = Service(Config(db_url=url, background=False))
    migrate(svc.db)
    watcher = authenticate(svc, create_party(svc, ADMIN, "Range Control")["api_key"])
    for z in api_traffic.zone_centres():
        ops.create(svc, watcher, draft(api_traffic.hazard(*z), svc.config))
    audit.sequence(svc)
    wall, entries = writes(svc, args, 1)
    write_rate, entry_rate = args.writes / wall, entries / wall
    t0 = time.perf_counter()
    sequenced = audit.sequence(svc)
    seq_rate = sequenced / (time.perf_counter() - t0)
    stop = threading.Event()

    def sequencer() -> None:
        while not stop.wait(0.5):
            audit.sequence(svc)

    beside = threading.Thread(target=sequencer)
    beside.start()
    wall2, _ = writes(svc, args, 2)
    lag = head(svc) - signed_size(svc)
    stop.set()
    beside.join()
    svc.db.dispose()
    return [
        ("creates/s, sequencer off", f"{write_rate:.0f}", f"{entry_rate:.0f} entries/s written"),
        (
            "entries/s sequenced (backlog)",
            f"{seq_rate:.0f}",
            f"{seq_rate / entry_rate:.1f}x the entries written/s",
        ),
        (
            "creates/s, sequencer beside",
            f"{args.writes / wall2:.0f}",
            f"{args.writes / wall2 / write_rate:.2f}x; {lag} entries unsigned at the end",
        ),
    ]


def fill(svc: Service, size: int) -> float:
    """Insert `size` synthetic entries (disclosures), indices 0..size-1; seconds to sequence."""
    parties = [str(uuid.uuid4()) for _ in range(8)]
    now = time.time()
    step = 20_000
    with svc.db.connect() as conn:
        for start in range(0, size, step):
            rows = [
                {
                    "party_id": parties[i % 8],
                    "action": "disclosed",
                    "subject": str(uuid.uuid4()),
                    "data": {"event": "conflict.opened", "seq": i // 8 + 1},
                    "created_at": now + i * 1e-3,
                    "nonce": secrets.token_hex(16),
                    "position": i,
                }
                for i in range(start, min(size, start + step))
            ]
            conn.execute(audit_table.insert(), rows)
        conn.execute(audit_head.update().values(size=size))
        conn.commit()
    t0 = time.perf_counter()
    audit.sequence(svc)
    return time.perf_counter() - t0


def timed(fn: Any, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e3


def proofs(svc: Service, n: int, rng: random.Random) -> dict[str, float]:
    verifier = parse_verifier(audit.key(svc))
    cp = open_note(audit.checkpoint(svc), verifier)
    size, root = cp.size, cp.root
    incl_ms, cons_ms, incl_len, cons_len = [], [], [], []
    for _ in range(n):
        i = rng.randrange(size)
        t0 = time.perf_counter()
        path = [base64.b64decode(h) for h in audit.inclusion(svc, i, size)["hashes"]]
        leaf = svc.read(lambda tx, i=i: store.nodes(tx, {(0, i)}))[(0, i)]
        assert merkle.verify_inclusion(i, size, leaf, path, root)
        incl_ms.append((time.perf_counter() - t0) * 1e3)
        incl_len.append(len(path))
        m = rng.randrange(1, size + 1)
        old = svc.read(lambda tx, m=m: merkle.root(m, store.nodes(tx, set(merkle.frontier(m)))))
        t0 = time.perf_counter()
        path = [base64.b64decode(h) for h in audit.consistency(svc, m, size)["hashes"]]
        assert merkle.verify_consistency(m, size, old, root, path)
        cons_ms.append((time.perf_counter() - t0) * 1e3)
        cons_len.append(len(path))
    return {
        "checkpoint_ms": timed(lambda: open_note(audit.checkpoint(svc), verifier), 50),
        "incl_ms": statistics.median(incl_ms),
        "incl_p99": sorted(incl_ms)[int(len(incl_ms) * 0.99)],
        "incl_len": max(incl_len),
        "cons_ms": statistics.median(cons_ms),
        "cons_p99": sorted(cons_ms)[int(len(cons_ms) * 0.99)],
        "cons_len": max(cons_len),
    }


def naive_proof_ms(svc: Service, size: int) -> float:
    """One inclusion proof the naive way: read every leaf hash, hash the tree in memory."""
    t0 = time.perf_counter()
    q = sa.select(audit_table.c.hash).where(audit_table.c.position < size)
    with svc.db.connect() as conn:
        leaves = [bytes.fromhex(h) for (h,) in conn.execute(q.order_by(audit_table.c.position))]
    merkle.assemble(merkle.inclusion_spans(size // 3, size), merkle.tree(leaves))
    return (time.perf_counter() - t0) * 1e3


def scale(url_of: Any, sizes: list[int], n: int) -> list[tuple[int, dict[str, float]]]:
    out = []
    for size in sizes:
        url = url_of()
        svc = Service(Config(db_url=url, background=False))
        migrate(svc.db)
        seconds = fill(svc, size)
        got = proofs(svc, n, random.Random(size))
        got["sequence_rate"] = size / seconds
        got["naive_ms"] = naive_proof_ms(svc, size)
        svc.db.dispose()
        out.append((size, got))
        drop_database(url, PG_URL)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--proofs", type=int, default=200)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--writes", type=int, default=1600)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--pg", default=PG_URL)
    ap.add_argument("--skip-pace", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:

        def url_of() -> str:
            return fresh_database(args.db, args.pg, folder)

        if not args.skip_pace:
            url = url_of()
            try:
                rows = pace(url, args)
            finally:
                drop_database(url, args.pg)
            title = f"Sequencer pace ({args.db}, {args.threads} threads, {args.writes} creates)"
            table = Table(title=title)
            for col in ("measure", "rate", "against the write path"):
                table.add_column(col, justify="left" if col != "rate" else "right")
            for row in rows:
                table.add_row(*row)
            console.print(table)
        results = scale(url_of, [1000, args.size], args.proofs)
    base = results[0][1]
    table = Table(title=f"Checkpoint and proofs ({args.db}, {args.proofs} random proofs a size)")
    for col in (
        "entries",
        "sequenced/s",
        "checkpoint ms",
        "inclusion ms p50/p99",
        "hashes",
        "consistency ms p50/p99",
        "hashes",
        "ratio (incl. p50)",
        "naive proof ms",
    ):
        table.add_column(col, justify="right")
    for size, r in results:
        table.add_row(
            f"{size:,}",
            f"{r['sequence_rate']:,.0f}",
            f"{r['checkpoint_ms']:.2f}",
            f"{r['incl_ms']:.2f} / {r['incl_p99']:.2f}",
            f"{r['incl_len']:.0f}",
            f"{r['cons_ms']:.2f} / {r['cons_p99']:.2f}",
            f"{r['cons_len']:.0f}",
            f"{r['incl_ms'] / base['incl_ms']:.2f}x",
            f"{r['naive_ms']:,.0f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
