"""Crash tests' tools: a server that can be killed with SIGKILL (its whole process group), a
Server-Sent Events reader, and a load of client threads that records every answer it got."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from live_server import ADMIN, free_port, healthy
from samples import FAR, circle


class KillableServer:
    """`deconflict serve` in its own session, so SIGKILL reaches every worker at once."""

    def __init__(self, db: str, log: Path, workers: int = 1) -> None:
        self.db, self.port = db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "deconflict.cli", "serve", "--db", db]
        cmd += ["--port", str(self.port), "--workers", str(workers)]
        self.log = log.open("ab")
        env = {**os.environ, "DECONFLICT_ADMIN_KEY": ADMIN}
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        if not healthy(self.url):
            self.kill()
            raise RuntimeError(f"server did not start; see {log}")

    def kill(self) -> None:
        """SIGKILL to the process group: no handler runs, nothing is flushed or rolled back."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(20)
        self.log.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def client(url: str, key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def all_items(c: httpx.Client, path: str) -> list[dict[str, Any]]:
    """Every item of a paged list."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = c.get(path, params={"limit": 500, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return items


@dataclass(frozen=True)
class Event:
    seq: int
    type: str
    data: dict[str, Any]


def read_events(
    url: str, key: str, last: int, until: int, sink: list[Event] | None = None
) -> list[Event]:
    """SSE events after `last`, up to sequence number `until` (or until the stream breaks,
    which a killed server does). Each complete event is also appended to `sink` as it comes."""
    out = [] if sink is None else sink
    headers = {"Authorization": f"Bearer {key}", "Last-Event-ID": str(last)}
    with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=30) as r:
        assert r.status_code == 200, r.read()
        fields: dict[str, str] = {}
        for line in r.iter_lines():
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
                continue
            if "data" in fields:  # a blank line ends an event; comments and `retry:` are not
                out.append(Event(int(fields["id"]), fields["event"], json.loads(fields["data"])))
                if out[-1].seq >= until:
                    break
            fields = {}
    return out


@dataclass
class Call:
    """One write request and what came back; `status` None: no answer (the server died)."""

    thread: int
    party: str
    action: str  # create | change | message | ack
    path: str
    body: dict[str, Any]  # empty: no body
    headers: dict[str, str]
    target: str | None = None  # operation or conflict id
    status: int | None = None
    answer: Any = None

    @property
    def acked(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Tally:
    """Calls made so far (recorded before they are sent), and a signal on each answer."""

    calls: list[Call] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def acked(self) -> int:
        return sum(c.acked for c in self.calls)

    def covers(self) -> bool:
        """Every kind of write was acknowledged, keyed creates and messages among them."""
        done = {(c.action, "Idempotency-Key" in c.headers) for c in self.calls if c.acked}
        return {("create", True), ("message", True), ("change", False), ("ack", False)} <= done

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def answer(self, call: Call, status: int, answer: Any) -> None:
        with self.lock:
            call.status, call.answer = status, answer
            self.lock.notify_all()

    def wait_for(self, ok: Callable[[], bool], timeout: float = 60) -> None:
        with self.lock:
            assert self.lock.wait_for(ok, timeout), "the load did not get that far"


def volumes(rng: random.Random) -> list[dict[str, Any]]:
    """One or two circles over a small area (many conflicts), sometimes far away (none)."""
    out = []
    for _ in range(rng.choice((1, 1, 2))):
        far = rng.random() < 0.1
        lat, lng = (FAR["lat"], FAR["lng"]) if far else (36.2, 37.1)
        start = rng.uniform(0, 4)
        out.append(
            circle(
                lat=lat + rng.uniform(-0.03, 0.03),
                lng=lng + rng.uniform(-0.03, 0.03),
                radius=rng.uniform(1000, 3000),
                lo=rng.uniform(0, 500),
                hi=rng.uniform(600, 1500),
                start=start,
                end=start + rng.uniform(0.5, 2),
            )
        )
    return out


class Worker:
    """One client thread of one party: creates, relabels and cancels its own operations, talks
    on and acknowledges the conflicts its answers reported. Keyed threads send Idempotency-Key."""

    def __init__(self, n: int, party: str, c: httpx.Client, tally: Tally, keyed: bool) -> None:
        self.n, self.party, self.c, self.tally, self.keyed = n, party, c, tally, keyed
        self.rng = random.Random(1000 + n)
        self.ops: dict[str, tuple[int, str]] = {}  # live own operation -> (version, label base)
        self.conflicts: list[str] = []
        self.step = 0

    def label(self, base: str, version: int) -> str:
        return f"{base}-v{version}"  # the label names its version: both change in one write

    def next_call(self) -> Call:
        self.step += 1
        tag = f"t{self.n}-s{self.step}"
        keyed = {"Idempotency-Key": tag} if self.keyed else {}
        roll = self.rng.random()
        if self.ops and roll < 0.3:
            op_id = self.rng.choice(sorted(self.ops))
            version, base = self.ops[op_id]
            body: dict[str, Any] = {"label": self.label(base, version + 1)}
            if self.rng.random() < 0.15:
                body["state"] = "cancelled"
            headers = {"If-Match": str(version)}
            path = f"/v1/operations/{op_id}"
            return Call(self.n, self.party, "change", path, body, headers, op_id)
        if self.conflicts and roll < 0.55:
            cid = self.rng.choice(self.conflicts)
            path = f"/v1/conflicts/{cid}/messages"
            return Call(self.n, self.party, "message", path, {"body": tag}, keyed, cid)
        if self.conflicts and roll < 0.65:
            cid = self.rng.choice(self.conflicts)
            return Call(self.n, self.party, "ack", f"/v1/conflicts/{cid}/ack", {}, {}, cid)
        kind = "flight" if self.party == "A" or self.rng.random() < 0.5 else "hazard"
        body = {"kind": kind, "volumes": volumes(self.rng), "label": self.label(tag, 1)}
        return Call(self.n, self.party, "create", "/v1/operations", body, keyed)

    def send(self, call: Call) -> httpx.Response:
        if call.action == "change":
            return self.c.patch(call.path, json=call.body, headers=call.headers)
        return self.c.post(call.path, json=call.body or None, headers=call.headers)

    def learn(self, call: Call) -> None:
        """Remember what an acknowledged answer says: versions, conflicts to talk about."""
        if call.action in ("create", "change") and call.acked:
            op = call.answer["operation"]
            if op["state"] in ("planned", "active"):
                self.ops[op["id"]] = (op["version"], op["label"].rsplit("-v", 1)[0])
            else:
                self.ops.pop(op["id"], None)
            self.conflicts += [c["id"] for c in call.answer["conflicts"]]

    def run(self, max_steps: int = 2000) -> None:
        for _ in range(max_steps):
            call = self.next_call()
            self.tally.record(call)  # before it is sent: without an answer it may have happened
            try:
                r = self.send(call)
            except httpx.TransportError:
                return
            json_ = r.headers.get("content-type", "").startswith("application/json")
            self.tally.answer(call, r.status_code, r.json() if json_ else r.text)
            self.learn(call)


def run_load(workers: list[Worker]) -> Iterator[threading.Thread]:
    for w in workers:
        t = threading.Thread(target=w.run, daemon=True)
        t.start()
        yield t
