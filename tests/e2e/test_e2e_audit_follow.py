"""A party that trusts nobody checks the audit log through a real server on loopback
(`deconflict audit follow`), and catches an operator who rewrites it on a copy of the database:
an entry deleted and the log re-signed, one altered, the tail truncated, two views forked."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from live_server import ADMIN, Server
from samples import circle
from typer.testing import CliRunner

from deconflict.cli import app

FAST = {"DECONFLICT_AUDIT_INTERVAL_S": "0.05"}
runner = CliRunner()


def http(server: Server, key: str) -> httpx.Client:
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    server.clients.append(c)
    return c


def new_party(server: Server, name: str) -> str:
    r = http(server, ADMIN).post("/v1/parties", json={"name": name})
    assert r.status_code == 201, r.text
    return str(r.json()["api_key"])


def act(server: Server, key: str, n: int, lat: float = 36.2) -> list[int]:
    """`n` writes by a party; their receipts."""
    c = http(server, key)
    out = []
    for i in range(n):
        r = c.post("/v1/operations", json={"kind": "flight", "volumes": [circle(lat=lat + i)]})
        assert r.status_code == 201, r.text
        out.append(r.json()["audit_index"])
    return out


def settled(server: Server) -> int:
    """Wait until the signed checkpoint covers every committed entry; its size."""
    admin = http(server, ADMIN)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items, cursor = [], None
        while True:
            page = admin.get(
                "/v1/audit", params={"limit": 500, **({"cursor": cursor} if cursor else {})}
            ).json()
            items += page["items"]
            if not (cursor := page["next_cursor"]):
                break
        size = int(admin.get("/v1/audit/checkpoint").text.split("\n")[1])
        if size >= len(items):
            return size
        time.sleep(0.05)
    raise AssertionError("the sequencer did not catch up")


def follow(server: Server, key: str, state: Path, *extra: str) -> tuple[int, str]:
    args = ["audit", "follow", "--server", server.url, "--key", key, "--state", str(state)]
    got = runner.invoke(app, [*args, *extra], env={"COLUMNS": "300"})
    return got.exit_code, got.output


def test_a_party_follows_the_log(db: str, tmp_path: Path) -> None:
    server = Server(db, **FAST)
    try:
        a, b = new_party(server, "North"), new_party(server, "South")
        mine = act(server, a, 2)
        theirs = act(server, b, 1)  # conflicts with A's first: both told, both audited
        settled(server)
        state, receipts = tmp_path / "north.json", tmp_path / "receipts.txt"
        receipts.write_text("\n".join(map(str, mine)))  # as North's own systems logged them
        code, out = follow(server, a, state, "--receipts", str(receipts))
        assert code == 0 and "OK" in out and "first checkpoint" in out, out
        act(server, a, 2, lat=40)
        settled(server)
        code, out = follow(server, a, state)
        assert code == 0 and "extends size" in out, out
        saved = json.loads(state.read_text())
        assert saved["log_key"] and len(saved["receipts"]) >= 5
        assert set(mine) <= {r["index"] for r in saved["receipts"]}
        # A receipt that is not North's, or a wrong pinned key, is refused at once.
        receipts.write_text(str(theirs[0]))
        code, out = follow(server, a, state, "--receipts", str(receipts))
        assert code == 1 and f"receipt {theirs[0]}: the server does not show" in out, out
        code, out = follow(server, a, state, "--log-key", "x+00000000+AA==")
        assert code == 1 and "pinned" in out
    finally:
        server.stop()


# --- the operator's attacks, on copies of a SQLite database --------------------------------


def copy(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


def resign(path: Path, change: Callable[[sqlite3.Connection], Any]) -> None:
    """Rewrite the log the way an operator holding the key would: change the entries, number
    them 0..n-1 again, drop the tree and its checkpoints; the server rebuilds and signs it."""
    with sqlite3.connect(path) as con:
        change(con)
        ids = [r[0] for r in con.execute("SELECT id FROM audit ORDER BY position")]
        con.execute("UPDATE audit SET position = -1 - position, hash = NULL")
        con.executemany("UPDATE audit SET position = ? WHERE id = ?", list(enumerate(ids)))
        con.execute("DELETE FROM audit_nodes")
        con.execute("DELETE FROM audit_checkpoints")
        con.execute("UPDATE audit_head SET size = ?", (len(ids),))


def party_id(con: sqlite3.Connection, name: str) -> str:
    return str(con.execute("SELECT id FROM parties WHERE name = ?", (name,)).fetchone()[0])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A log two parties used, North having followed it (state saved) at the end."""
    folder = tmp_path_factory.mktemp("history")
    db = folder / "log.db"
    server = Server(f"sqlite:///{db}", **FAST)
    try:
        a, b = new_party(server, "North"), new_party(server, "South")
        act(server, a, 3)
        act(server, b, 2)
        act(server, a, 2, lat=45)
        size = settled(server)
        state = folder / "north.json"
        code, out = follow(server, a, state)
        assert code == 0, out
    finally:
        server.stop()
    yield {"db": db, "keys": (a, b), "state": state, "size": size}


def attacked(
    history: dict[str, Any], tmp_path: Path, change: Callable[[sqlite3.Connection], Any], more: int
) -> tuple[int, str]:
    """North follows the log served from a rewritten copy (with `more` writes by South since)."""
    db = copy(history["db"], tmp_path / "copy.db")
    resign(db, change)
    state = shutil.copy(history["state"], tmp_path / "north.json")
    server = Server(f"sqlite:///{db}", **FAST)
    try:
        act(server, history["keys"][1], more, lat=50)
        settled(server)
        return follow(server, history["keys"][0], Path(state))
    finally:
        server.stop()


def test_an_untouched_copy_follows(history: dict[str, Any], tmp_path: Path) -> None:
    code, out = attacked(history, tmp_path, lambda con: None, more=1)
    assert code == 0, out


def test_deleting_an_entry_and_resigning_is_caught(history: dict[str, Any], tmp_path: Path) -> None:
    def delete(con: sqlite3.Connection) -> None:
        north = party_id(con, "North")
        (first,) = con.execute(
            "SELECT MIN(position) FROM audit WHERE party_id = ? AND action = 'operation.created'",
            (north,),
        ).fetchone()
        con.execute("DELETE FROM audit WHERE position = ?", (first,))

    code, out = attacked(history, tmp_path, delete, more=3)  # the size grows past the saved one
    assert code == 1 and "consistency" in out and "does not extend" in out, out


def test_altering_an_entry_and_resigning_is_caught(history: dict[str, Any], tmp_path: Path) -> None:
    def alter(con: sqlite3.Connection) -> None:
        con.execute(
            'UPDATE audit SET data = \'{"kind": "hazard"}\' WHERE party_id = ? '
            "AND action = 'operation.created'",
            (party_id(con, "North"),),
        )

    code, out = attacked(history, tmp_path, alter, more=0)  # same size, another root
    assert code == 1 and "split view" in out, out


def test_truncating_the_tail_is_caught(history: dict[str, Any], tmp_path: Path) -> None:
    def truncate(con: sqlite3.Connection) -> None:
        con.execute("DELETE FROM audit WHERE position >= ?", (history["size"] - 4,))

    code, out = attacked(history, tmp_path, truncate, more=1)
    assert code == 1 and "shrank" in out, out


def test_two_forked_views_are_caught(history: dict[str, Any], tmp_path: Path) -> None:
    """The operator shows North the true log and South a fork (one of South's entries
    rewritten). Each view is consistent in itself; comparing the state files catches it, and so
    does North's follow if it is later switched to the other view."""
    a, b = history["keys"]
    true_db = copy(history["db"], tmp_path / "true.db")
    fork_db = copy(history["db"], tmp_path / "fork.db")

    def rewrite(con: sqlite3.Connection) -> None:
        con.execute(
            "UPDATE audit SET subject = 'elsewhere' WHERE party_id = ? AND position = "
            "(SELECT MAX(position) FROM audit WHERE party_id = ?)",
            (party_id(con, "South"),) * 2,
        )

    resign(fork_db, rewrite)
    north = Path(shutil.copy(history["state"], tmp_path / "north.json"))
    south = tmp_path / "south.json"
    true_server, fork_server = (
        Server(f"sqlite:///{true_db}", **FAST),
        Server(f"sqlite:///{fork_db}", **FAST),
    )
    try:
        for server in (true_server, fork_server):
            settled(server)
        assert follow(true_server, a, north)[0] == 0
        code, out = follow(fork_server, b, south, "--log-key", history_key(north))
        assert code == 0, out  # the fork is consistent in itself
        got = runner.invoke(
            app, ["audit", "compare", str(north), str(south)], env={"COLUMNS": "300"}
        )
        assert got.exit_code == 1 and "split view" in got.output, got.output
        act(fork_server, b, 2, lat=60)  # the fork grows; North is switched to it
        settled(fork_server)
        code, out = follow(fork_server, a, north)
        assert code == 1 and "consistency" in out, out
        assert "evidence" in north.read_text() and "does not extend" in north.read_text()
    finally:
        true_server.stop()
        fork_server.stop()


def history_key(state: Path) -> str:
    return str(json.loads(state.read_text())["log_key"])
