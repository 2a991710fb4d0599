"""A crash loses nothing that was acknowledged: client threads of two parties write through a
real `deconflict serve` (SQLite file; PostgreSQL with two workers) until K writes were answered,
then the server's process group gets SIGKILL. A new server on the same database must hold every
acknowledged write, nothing half-written, every event, the whole audit log (each acknowledged
write's receipt naming its entry), and the stored answers of idempotent requests."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from crash_samples import (
    Call,
    Event,
    KillableServer,
    Tally,
    Worker,
    all_items,
    client,
    read_events,
    run_load,
)
from live_server import ADMIN
from pg import postgres

from deconflict.engine import Kind, Operation, Rules, State, conflicts_between
from deconflict.geometry import parse_volumes, volume_to_json
from deconflict.service.sequencer import SEQUENCER_LOCK
from deconflict.store.schema import audit, parties

pytestmark = pytest.mark.slow
THREADS = 6  # even: party A, odd: party B; threads 0 and 1 send Idempotency-Key
K = 60  # acknowledged writes before the kill
MORE = 3  # then this many more, written while no sequencer can add to the audit tree (PG)


@dataclass
class Crash:
    """What the clients were told before the kill, and a new server on the same database."""

    db: str
    server: KillableServer
    keys: dict[str, str]
    calls: list[Call]
    live: list[Event]  # what party A's event stream delivered before the kill
    audit_rows: int  # audit entries in the database after the kill ...
    audit_last: int  # ... the last one's id ...
    unchained: int  # ... and how many of them were not in the tree yet
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def as_(self, party: str) -> httpx.Client:
        if party not in self.clients:
            self.clients[party] = client(self.server.url, self.keys[party])
        return self.clients[party]

    def acked(self, action: str) -> list[Call]:
        return [c for c in self.calls if c.action == action and c.acked]

    def operations(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Every stored operation: id -> (party, operation as its owner sees it)."""
        return {o["id"]: (p, o) for p in "AB" for o in all_items(self.as_(p), "/v1/operations")}

    def query(self, stmt: Any) -> list[Any]:
        engine = sa.create_engine(self.db)
        try:
            with engine.connect() as conn:
                return list(conn.execute(stmt).all())
        finally:
            engine.dispose()


@contextlib.contextmanager
def sequencer_held(db: str) -> Iterator[None]:
    """PostgreSQL: hold the audit sequencer's advisory lock, so entries written meanwhile are
    certainly not in the tree when the server dies. (SQLite's sequencer cannot be held apart from
    writers; there the kill only usually lands between two sequencer runs.)"""
    if not db.startswith("postgresql"):
        yield
        return
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": SEQUENCER_LOCK})
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": SEQUENCER_LOCK})
    engine.dispose()


def settle(db: str, app: str) -> None:
    """PostgreSQL: wait until the killed server's sessions are gone (a COMMIT sent just before
    the kill still completes), so what is measured now is what the new server starts from."""
    if not db.startswith("postgresql"):
        return
    q = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = :a AND pid <> pg_backend_pid()"
    )
    engine = sa.create_engine(db)
    deadline = time.monotonic() + 20
    with engine.connect() as conn:
        while conn.execute(q, {"a": app}).scalar_one() and time.monotonic() < deadline:
            time.sleep(0.05)
    engine.dispose()


def follow(url: str, key: str, sink: list[Event]) -> None:
    with contextlib.suppress(httpx.TransportError):  # the kill ends the stream
        read_events(url, key, 0, 10**9, sink)


def run_crash(db: str, folder: Path, workers: int, app: str = "") -> Iterator[Crash]:
    first = KillableServer(db, folder / "server.log", workers)
    try:
        with client(first.url, ADMIN) as admin:
            made = {p: admin.post("/v1/parties", json={"name": f"Party {p}"}) for p in "AB"}
        keys = {p: r.json()["api_key"] for p, r in made.items()}
        live: list[Event] = []
        reader = threading.Thread(target=follow, args=(first.url, keys["A"], live), daemon=True)
        reader.start()
        tally = Tally()
        clients = [client(first.url, keys["AB"[n % 2]]) for n in range(THREADS)]
        load = [Worker(n, "AB"[n % 2], c, tally, keyed=n < 2) for n, c in enumerate(clients)]
        threads = list(run_load(load))
        tally.wait_for(lambda: tally.acked() >= K and tally.covers() and bool(live))
        with sequencer_held(db):
            base = tally.acked()
            tally.wait_for(lambda: tally.acked() >= base + MORE)
            first.kill()
        for t in [*threads, reader]:
            t.join(30)
        for c in clients:
            c.close()
    finally:
        first.kill()
    settle(db, app)
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        rows, last = conn.execute(sa.select(sa.func.count(), sa.func.max(audit.c.id))).one()
        unchained = conn.execute(
            sa.select(sa.func.count()).select_from(audit).where(audit.c.hash.is_(None))
        ).scalar_one()
    engine.dispose()
    second = KillableServer(db, folder / "server.log", workers)
    crash = Crash(db, second, keys, tally.calls, live, rows, last, unchained)
    try:
        yield crash
    finally:
        for c in crash.clients.values():
            c.close()
        second.stop()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def crash(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crash]:
    folder = tmp_path_factory.mktemp(f"crash-{request.param}")
    if request.param == "sqlite":
        yield from run_crash(f"sqlite:///{folder / 'crash.db'}", folder, workers=1)
        return
    app = f"deconflict-crash-{uuid.uuid4().hex[:8]}"  # names the server's sessions
    for url in postgres():
        yield from run_crash(f"{url}&application_name={app}", folder, workers=2, app=app)


def test_the_load_was_cut_mid_flight(crash: Crash) -> None:
    assert sum(c.acked for c in crash.calls) >= K + MORE
    assert any(c.status is None for c in crash.calls)  # some requests never got an answer
    assert {c.action for c in crash.calls if c.acked} == {"create", "change", "message", "ack"}
    assert any(call.answer["conflicts"] for call in crash.acked("create"))


def other(party: str) -> str:
    return "B" if party == "A" else "A"


def test_every_acknowledged_write_is_there_after_the_restart(crash: Crash) -> None:
    ops = crash.operations()
    version: dict[str, int] = {}  # operation -> last version acknowledged
    unanswered = {c.target for c in crash.calls if c.action == "change" and c.status is None}
    for call in crash.acked("create") + crash.acked("change"):
        op = call.answer["operation"]
        version[op["id"]] = max(version.get(op["id"], 0), op["version"])
    for op_id, v in version.items():
        stored = ops[op_id][1]
        # A change in flight at the kill may have committed without its answer arriving.
        assert stored["version"] in ({v, v + 1} if op_id in unanswered else {v})
        assert stored["label"].endswith(f"-v{stored['version']}")  # label and version: one write
    views = {p: {v["id"]: v for v in all_items(crash.as_(p), "/v1/conflicts")} for p in "AB"}
    for call in crash.acked("create") + crash.acked("change"):
        for reported in call.answer["conflicts"]:
            mine, theirs = views[call.party], views[other(call.party)]
            assert mine[reported["id"]]["my_operation_id"] == call.answer["operation"]["id"]
            assert ops[theirs[reported["id"]]["my_operation_id"]][0] == other(call.party)
    threads = {
        (cid, p): all_items(crash.as_(p), f"/v1/conflicts/{cid}/messages")
        for cid in {c.target for c in crash.acked("message")}
        for p in "AB"
    }
    for call in crash.acked("message"):
        said = {k: v for k, v in call.answer.items() if k != "audit_index"}  # (the receipt)
        assert said in threads[call.target, "A"] and said in threads[call.target, "B"]
    for call in crash.acked("ack"):
        assert views[call.party][call.target]["my_status"] == "acknowledged"


def engine_operation(party: str, o: dict[str, Any]) -> Operation:
    volumes = parse_volumes(o["volumes"])
    return Operation(o["id"], party, Kind(o["kind"]), volumes, State(o["state"]), o["version"])


def ordered(a: Operation, b: Operation) -> tuple[Operation, Operation]:
    """The order the service computes a pair in (by id), so regions match exactly."""
    return (a, b) if a.id < b.id else (b, a)


def test_unanswered_writes_happened_whole_or_not_at_all(crash: Crash) -> None:
    ops = crash.operations()
    sent = {c.body["label"].rsplit("-v", 1)[0]: c for c in crash.calls if c.action == "create"}
    bases = Counter(o["label"].rsplit("-v", 1)[0] for _, o in ops.values())
    assert set(bases) <= set(sent) and set(bases.values()) == {1}  # each create at most once
    refused = {base for base, c in sent.items() if c.status is not None and not c.acked}
    assert not refused & set(bases)  # a refused create left nothing behind
    for party, o in ops.values():
        asked = sent[o["label"].rsplit("-v", 1)[0]]
        assert (party, o["kind"]) == (asked.party, asked.body["kind"])
        assert o["volumes"] == [volume_to_json(v) for v in parse_volumes(asked.body["volumes"])]
    # The stored conflicts are exactly the engine's answer over the stored operations.
    views = {p: {v["id"]: v for v in all_items(crash.as_(p), "/v1/conflicts")} for p in "AB"}
    assert views["A"].keys() == views["B"].keys()  # each one seen by both sides
    pairs = {
        cid: (v["my_operation_id"], views["B"][cid]["my_operation_id"])
        for cid, v in views["A"].items()
    }
    assert len(set(pairs.values())) == len(pairs)  # one conflict per pair of operations
    unresolved = {pairs[cid] for cid, v in views["A"].items() if v["status"] != "resolved"}
    side = {p: [engine_operation(p, o) for q, o in ops.values() if q == p] for p in "AB"}
    expected = {
        (a.id, b.id)
        for a in side["A"]
        for b in side["B"]
        if conflicts_between(*ordered(a, b), Rules()) is not None
    }
    assert expected and unresolved == expected
    # Messages: each at most once, and only what was sent to that thread.
    sent_messages = {(c.target, c.body["body"]) for c in crash.calls if c.action == "message"}
    for cid in views["A"]:
        thread = [
            (cid, m["body"]) for m in all_items(crash.as_("A"), f"/v1/conflicts/{cid}/messages")
        ]
        assert len(set(thread)) == len(thread) and set(thread) <= sent_messages


def last_event_seq(crash: Crash, party: str) -> int:
    me = crash.as_(party).get("/v1/parties/me").json()["id"]
    (row,) = crash.query(sa.select(parties.c.last_event_seq).where(parties.c.id == me))
    return int(row[0])


def test_events_replay_and_resume_across_the_kill(crash: Crash) -> None:
    conflicts = {
        c["id"]
        for call in crash.calls
        if call.acked and call.action in ("create", "change")
        for c in call.answer["conflicts"]
    }
    messages = {c.answer["id"] for c in crash.acked("message")}
    replay = {}
    for party in "AB":
        last = last_event_seq(crash, party)
        replay[party] = read_events(crash.server.url, crash.keys[party], 0, last)
        assert [e.seq for e in replay[party]] == list(range(1, last + 1))  # no gap, no repeat
        opened = {e.data["id"] for e in replay[party] if e.type == "conflict.opened"}
        stored = {v["id"] for v in all_items(crash.as_(party), "/v1/conflicts")}
        assert conflicts <= stored <= opened  # every conflict stored was told, with its write
        told = {e.data["id"] for e in replay[party] if e.type == "conflict.message"}
        assert messages <= told
    # Party A's stream was cut by the kill after event N: resuming from N gets exactly the rest.
    live, everything = crash.live, replay["A"]
    assert live == everything[: len(live)]
    n = live[-1].seq
    rest = (
        read_events(crash.server.url, crash.keys["A"], n, everything[-1].seq)
        if everything[-1].seq > n
        else []
    )
    assert live + rest == everything


def audit_entry(call: Call) -> tuple[str, str]:
    """(action, subject) of the audit entry an acknowledged write must have left."""
    if call.action in ("create", "change"):
        return f"operation.{call.action}d", call.answer["operation"]["id"]
    assert call.target is not None
    return {"message": "conflict.message", "ack": "conflict.acknowledged"}[call.action], call.target


def test_the_audit_tree_covers_what_the_crash_left_unhashed(crash: Crash) -> None:
    if crash.db.startswith("postgresql"):
        assert crash.unchained > 0  # entries were written while the sequencer was held off
    left = sa.select(sa.func.count()).select_from(audit)
    left = left.where(audit.c.hash.is_(None), audit.c.id <= crash.audit_last)
    deadline = time.monotonic() + 15
    while crash.query(left)[0][0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert crash.query(left)[0][0] == 0  # the new server's sequencer hashed the leftovers
    cmd = [sys.executable, "-m", "deconflict.cli", "audit", "verify", "--db", crash.db]
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    found = re.search(r"OK: (\d+) entries", done.stdout)
    assert found, done.stdout
    acked = sum(c.acked for c in crash.calls)
    assert int(found[1]) >= crash.audit_rows >= acked
    entries = {
        r.position: (r.action, r.subject, r.hash is not None)
        for r in crash.query(
            sa.select(audit.c.action, audit.c.subject, audit.c.position, audit.c.hash)
        )
    }
    for call in crash.calls:
        if not call.acked:
            continue
        assert (*audit_entry(call), True) in entries.values()
        receipt = call.answer.get("audit_index")
        if call.action != "ack":  # (a second acknowledgement changes and audits nothing)
            assert receipt is not None
        if receipt is not None:  # the receipt names the write's own entry, in the tree
            assert entries[receipt] == (*audit_entry(call), True)


def retry(crash: Crash, call: Call) -> httpx.Response:
    c = crash.as_(call.party)
    return c.post(call.path, json=call.body, headers=call.headers)


def test_an_idempotent_request_retried_after_the_restart_gets_its_first_answer(
    crash: Crash,
) -> None:
    keyed = [c for c in crash.calls if "Idempotency-Key" in c.headers]
    done = [c for c in keyed if c.acked]
    assert {c.action for c in done} == {"create", "message"}
    before = crash.operations()
    threads = {
        c.target: all_items(crash.as_("A"), f"/v1/conflicts/{c.target}/messages")
        for c in done
        if c.action == "message"
    }
    for call in done:
        again = retry(crash, call)
        assert (again.status_code, again.json()) == (call.status, call.answer)
    assert crash.operations() == before  # nothing new, nothing changed
    for cid, thread in threads.items():
        assert all_items(crash.as_("A"), f"/v1/conflicts/{cid}/messages") == thread
    # A request the kill left unanswered may have happened: its retry answers it, exactly once.
    by_label = {o["label"].rsplit("-v", 1)[0]: o for _, o in before.values()}
    for call in (c for c in keyed if c.status is None):
        again = retry(crash, call)
        assert again.status_code == 201, again.text
        if call.action == "message":
            thread = all_items(crash.as_("A"), f"/v1/conflicts/{call.target}/messages")
            assert [m["body"] for m in thread].count(call.body["body"]) == 1
            continue
        base = call.body["label"].rsplit("-v", 1)[0]
        if base in by_label:
            assert again.json()["operation"]["id"] == by_label[base]["id"]
        labels = [o["label"].rsplit("-v", 1)[0] for _, o in crash.operations().values()]
        assert labels.count(base) == 1
