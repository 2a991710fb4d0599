"""Through a real server on loopback: keys, operations, disclosure, events, audit, escalation."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from typing import Any

import httpx
import sqlalchemy as sa
from live_server import ADMIN, Server
from samples import FAR, circle


def client(server: Server, key: str) -> httpx.Client:
    c = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    server.clients.append(c)
    return c


def party(server: Server, name: str) -> httpx.Client:
    r = client(server, ADMIN).post("/v1/parties", json={"name": name})
    assert r.status_code == 201, r.text
    return client(server, r.json()["api_key"])


def op(kind: str = "flight", **kw: Any) -> dict[str, Any]:
    return {"kind": kind, "volumes": [circle(**kw)]}


def read_events(
    server: Server, key: str, last: int | None, n: int, connected: threading.Event | None = None
) -> list[tuple[int, str]]:
    """The first `n` SSE events (id, type) from the stream, resuming after `last`; `connected`
    is set on the stream's first line (its start is then fixed: nothing later is missed)."""
    headers = {} if last is None else {"Last-Event-ID": str(last)}
    out: list[tuple[int, str]] = []
    url = f"{server.url}/v1/events?access_token={key}"
    with httpx.stream("GET", url, headers=headers, timeout=10) as r:
        assert r.status_code == 200
        seq, typ = 0, ""
        for line in r.iter_lines():
            if connected is not None:
                connected.set()
            if line.startswith("id: "):
                seq = int(line[4:])
            elif line.startswith("event: "):
                typ = line[7:]
            elif line.startswith("data: "):
                json.loads(line[6:])
                out.append((seq, typ))
                if len(out) == n:
                    return out
    return out


def test_the_whole_line(server: Server) -> None:
    north, south = party(server, "North"), party(server, "South")
    key_n = north.headers["Authorization"].split()[1]
    assert north.get("/v1/parties/me").json()["name"] == "North"
    assert client(server, "nope").get("/v1/parties/me").status_code == 401

    # A live stream, opened before anything happens, gets the conflict within a second.
    live: list[list[tuple[int, str]]] = []
    connected = threading.Event()
    t = threading.Thread(
        target=lambda: live.append(read_events(server, key_n, None, 2, connected))
    )
    t.start()
    assert connected.wait(10)
    mine = north.post("/v1/operations", json=op()).json()["operation"]
    r = south.post("/v1/operations", json=op("hazard"))
    assert r.status_code == 201
    theirs, (seen,) = r.json()["operation"], r.json()["conflicts"]
    assert mine["id"] not in json.dumps(r.json()) and "volumes" not in json.dumps(seen)
    assert south.get(f"/v1/operations/{mine['id']}").status_code == 404
    assert south.get("/v1/operations/no-such-id").status_code == 404
    cid = seen["id"]
    assert north.get(f"/v1/conflicts/{cid}").json()["my_operation_id"] == mine["id"]

    # Stale version, gated activation, override.
    stale = south.patch(
        f"/v1/operations/{theirs['id']}", json={"label": "x"}, headers={"If-Match": "9"}
    )
    assert stale.status_code == 412 and stale.json()["error"]["field"] == "If-Match"
    blind = south.patch(f"/v1/operations/{theirs['id']}", json={"state": "active"})
    assert blind.status_code == 428 and blind.json()["error"]["field"] == "If-Match"
    refused = south.patch(
        f"/v1/operations/{theirs['id']}", json={"state": "active"}, headers={"If-Match": "1"}
    )
    assert refused.status_code == 409 and refused.json()["error"]["conflicts"][0]["id"] == cid
    ok = south.patch(
        f"/v1/operations/{theirs['id']}",
        json={"state": "active", "override": [cid]},
        headers={"If-Match": "1"},
    )
    assert ok.status_code == 200 and ok.json()["operation"]["state"] == "active"

    # Ack and messages; the dry run tells the other side.
    assert north.post(f"/v1/conflicts/{cid}/ack").json()["my_status"] == "acknowledged"
    assert south.post(f"/v1/conflicts/{cid}/messages", json={"body": "hold"}).status_code == 201
    assert south.post("/v1/checks", json=op()).json()["conflicts"][0]["other_party"] == "North"
    t.join(15)
    assert [typ for _, typ in live[0]] == ["conflict.opened", "operation.overridden"]

    # Replay from the start, then resume after the 3rd: nothing lost or repeated.
    expected = [
        "conflict.opened",
        "operation.overridden",
        "conflict.acknowledged",
        "conflict.message",
        "probe",
    ]
    everything = read_events(server, key_n, 0, 5)
    assert [typ for _, typ in everything] == expected
    assert read_events(server, key_n, everything[2][0], 2) == everything[3:]

    audit = north.get("/v1/audit").json()["items"]
    assert {"operation.created", "disclosed"} <= {e["action"] for e in audit}
    assert north.get("/metrics").status_code == 403  # another party's activity: admin only
    admin = {"Authorization": f"Bearer {ADMIN}"}
    assert httpx.get(f"{server.url}/metrics", headers=admin).text.count("conflicts_open") >= 1


def test_escalation_and_idempotency(server: Server) -> None:
    north, south = party(server, "North"), party(server, "South")
    key_s = south.headers["Authorization"].split()[1]
    north.post("/v1/operations", json=op())
    headers = {"Idempotency-Key": "once"}
    first = south.post("/v1/operations", json=op(), headers=headers)
    again = south.post("/v1/operations", json=op(), headers=headers)
    assert first.json() == again.json()
    assert len(south.get("/v1/operations").json()["items"]) == 1
    reused = south.post("/v1/operations", json=op(**FAR), headers=headers)
    assert reused.status_code == 422 and reused.json()["error"]["field"] == "Idempotency-Key"
    types = [typ for _, typ in read_events(server, key_s, 0, 2)]
    assert types == ["conflict.opened", "conflict.escalated"]  # deadline 1 s in this server


def test_bad_input_names_the_field_and_writes_nothing(server: Server) -> None:
    north = party(server, "North")
    bad = op()
    bad["volumes"][0]["volume"]["outline_circle"]["center"]["lat"] = 123
    r = north.post("/v1/operations", json=bad)
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "volumes[0].volume.outline_circle.center.lat"
    r = north.post("/v1/operations", json={"kind": "boat", "volumes": []})
    assert r.status_code == 422 and r.json()["error"]["field"] == "kind"
    r = north.post("/v1/operations", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert north.get("/v1/operations").json() == {"items": [], "next_cursor": None}


def test_audit_verify_detects_an_edited_row(server: Server) -> None:
    north = party(server, "North")
    north.post("/v1/operations", json=op())
    cmd = [sys.executable, "-m", "deconflict.cli", "audit", "verify", "--db", server.db]
    env = {**os.environ, "COLUMNS": "200"}
    ok = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert ok.returncode == 0 and "OK" in ok.stdout, ok.stdout + ok.stderr
    engine = sa.create_engine(server.db)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit SET data = '{\"forged\": 1}' WHERE position = 2"))
    engine.dispose()
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "entry 2: its stored leaf hash" in bad.stdout, bad.stdout
