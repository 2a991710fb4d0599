"""A real `deconflict serve` on loopback for end-to-end tests (fixtures in conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque

import httpx

ADMIN = "e2e-admin-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(url: str, within_s: float = 60) -> bool:
    """Whether the server at `url` answers /healthz within `within_s` seconds."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.05)
    return False


class Server:
    def __init__(self, db: str, workers: int = 1, **env: str) -> None:
        self.db, self.port = db, free_port()
        self.clients: list[httpx.Client] = []
        self.url = f"http://127.0.0.1:{self.port}"
        full = {**os.environ, "DECONFLICT_ADMIN_KEY": ADMIN, **env}
        cmd = [
            sys.executable,
            "-m",
            "deconflict.cli",
            "serve",
            "--db",
            db,
            "--port",
            str(self.port),
            "--workers",
            str(workers),
        ]
        self.proc = subprocess.Popen(
            cmd, env=full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        # Read the server's output as it comes (its last lines kept): a full pipe would block
        # a server that logs a lot, e.g. while its database is away.
        self.output: deque[bytes] = deque(maxlen=200)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        if not healthy(self.url):
            self.stop()
            raise RuntimeError("server did not start")

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
