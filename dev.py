#!/usr/bin/env python3
"""One entry point for people and CI: `python3 dev.py demo` or `python3 dev.py test`.

Creates `.venv` beside this file on first use (and again whenever pyproject.toml changes),
installs the package with its test extras, then runs the job. Needs only Python 3.11.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".deconflict-installed"


def _run(*cmd: str | Path) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def setup() -> None:
    """Create the virtual environment and install the package if pyproject.toml changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    pip = [BIN / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    print("Installing deconflict and its dependencies ...", flush=True)
    if _run(*pip, "-e", f"{ROOT}[test]") != 0:
        sys.exit("pip install failed")
    STAMP.write_text(wanted)


LOCAL_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _local_postgres() -> bool:
    """Whether a PostgreSQL server answers on 127.0.0.1:5432."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def test(args: list[str]) -> int:
    """Every gate, the same way locally and in CI: ruff, mypy, pytest. The PostgreSQL half runs
    on `DECONFLICT_TEST_PG`, else on the local server's database `test` when one answers (set
    `DECONFLICT_TEST_PG=` empty to leave it out)."""
    if "DECONFLICT_TEST_PG" not in os.environ and _local_postgres():
        os.environ["DECONFLICT_TEST_PG"] = LOCAL_PG
    steps = [
        [BIN / "ruff", "check", "src", "tests", "bench", "scripts", "dev.py"],
        [BIN / "mypy"],
        [BIN / "python", "-m", "pytest", *args],
    ]
    for step in steps:
        print("$", " ".join(Path(str(s)).name if i == 0 else str(s) for i, s in enumerate(step)),
              flush=True)
        code = _run(*step)
        if code != 0:
            return code
    return 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test", "setup"}:
        print(__doc__)
        return 2
    job, rest = sys.argv[1], sys.argv[2:]
    setup()
    if job == "test":
        return test(rest)
    if job == "demo":
        return _run(BIN / "deconflict", "demo", *rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
