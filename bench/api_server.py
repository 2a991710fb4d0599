"""Real `deconflict serve` processes on loopback for the API load benchmark, and the throwaway
databases they run on (a SQLite file in a temporary folder; a fresh PostgreSQL database that is
created for the run and dropped after it)."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ADMIN_KEY = secrets.token_urlsafe(24)
# The benches measure capacity, so per-party rate limits are off (a bench party posts far
# faster than any real one); the probe budget stays (bench traffic rarely checks).
UNLIMITED = {f"DECONFLICT_RATE_{c}": "0" for c in ("CHECKS", "TRACKS", "WRITES", "READS", "EVENTS")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def sqlite_db() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="deconflict-load-") as folder:
        yield f"sqlite:///{Path(folder) / 'load.db'}"


@contextlib.contextmanager
def postgres_db(base: str) -> Iterator[str]:
    """A fresh database on the server of `base` (which must allow CREATE DATABASE)."""
    name = f"deconflict_load_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Server:
    """`deconflict serve` in a child process, ready when /healthz answers."""

    def __init__(self, db: str, workers: int, extra_env: dict[str, str] | None = None) -> None:
        self.db, self.workers, self.port = db, workers, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, **UNLIMITED, "DECONFLICT_ADMIN_KEY": ADMIN_KEY, **(extra_env or {})}
        cmd = [sys.executable, "-m", "deconflict.cli", "serve", "--db", db]
        cmd += ["--port", str(self.port), "--workers", str(workers)]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start")

    def pids(self) -> list[int]:
        """The serving processes: the uvicorn parent and, with several workers, its children."""
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True
        ).stdout.split()
        return [self.proc.pid, *(int(p) for p in out)]

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server and its workers so far (from /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        return total / tick

    def pg_transactions(self) -> tuple[int, int] | None:
        """PostgreSQL's (commits, rollbacks) on the server's database so far; None on SQLite.
        A rollback here is mostly a serialization failure being retried."""
        if not self.db.startswith("postgresql"):
            return None
        time.sleep(1.1)  # backends flush their counters at most once a second
        engine = sa.create_engine(self.db)
        try:
            with engine.connect() as conn:
                row = conn.execute(
                    sa.text(
                        "SELECT xact_commit, xact_rollback FROM pg_stat_database"
                        " WHERE datname = current_database()"
                    )
                ).one()
        finally:
            engine.dispose()
        return int(row[0]), int(row[1])

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def admin_client(server: Server) -> httpx.Client:
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
    )
