"""Every route of the OpenAPI and every event type, walked by an attacker after a scene that
raises each of them: each view of another party's data that reaches the wire has the shape of a
view only the disclosure gate builds, and nothing of the victim leaks that the victim was not
told. With the static half: no other module builds such a view, and nothing stores an event but
from what the gate returned (`emit` takes only the gate's `Delivery`, which only it can stamp)."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from fastapi.testclient import TestClient
from hostile_helpers import Party, around_now, leaks, party, received, state

from deconflict.engine import disclosure as gate
from deconflict.service import conflicts as conflicts_service

SRC = Path(gate.__file__).parents[1]
CROSS = {"other_party", "other_kind", "from_party", "my_operation_id", "hit_party"}
CAMP = (36.20137, 37.10213)
NEAR = (36.2041, 37.1021)  # where the attacker aims: 300 m north of the camp's centre
EVENTS_ROUTE = ("/v1/events", "get")  # a stream: read as it replays (`received`), below


def gate_shapes() -> set[frozenset[str]]:
    """The key sets of every view the gate builds, from the gate itself."""
    region = {"parts": [], "geojson": {}}
    c = gate.StoredConflict(
        "c", "open", region, "o1", "o2", "p1", "p2", "k", "k", "open", "open", 0, 0
    )
    names = {"p1": "P1", "p2": "P2"}
    hit = gate.Hit("p2", "o2", "k", region)
    side = gate.PairSide("p1", "a1", "x1", {"lat": 0.0}, True)
    unq = gate.PairSide("p2", "a2", "x2", {"lat": 0.0}, False)
    base = gate.Encounter("new", False, 0, 0, 0, 0, 0, 0)
    made: list[dict[str, Any]] = [
        gate.conflict_view(c, "p1", names).json(),
        gate.check("p1", "k", [hit], names, 0, "r").answer[0].json(),
        dict(gate.check("p1", "k", [hit], names, 0, "r").deliveries[0].data),
        *(dict(d.data) for d in gate.pair_alert("x", side, unq, base, names)),
        *(dict(d.data) for d in gate.pair_cleared("x", side, unq, names, 0, {"p1", "p2"})),
        dict(gate.recheck_hit("p1", {}, "nc", hit, names, 0)[0].data),
        dict(gate.nonconformance("p1", {"operation_id": "o1", "track_id": "a1"}, [], "o1").data),
        *(
            dict(d.data)
            for d in gate.message(c, "p1", {"id": 1, "body": "", "created_at": ""}, names)
        ),
        gate.conflict_export_properties(gate.conflict_view(c, "p1", names).json()),
    ]
    return {frozenset(v) for v in made}


def objects(blob: Any) -> Iterator[dict[str, Any]]:
    if isinstance(blob, dict):
        yield blob
        for v in blob.values():
            yield from objects(v)
    elif isinstance(blob, list):
        for v in blob:
            yield from objects(v)


class Walker:
    """Calls routes as one party, keeping every answer and which (path, method) was walked."""

    def __init__(self, client: TestClient, who: Party) -> None:
        self.client, self.who, self.answers, self.walked = client, who, [], set()

    def __call__(self, method: str, route: str, path: str | None = None, **kw: Any) -> Any:
        headers = {**self.who.headers, **kw.pop("headers", {})}
        r = self.client.request(method.upper(), path or route, headers=headers, **kw)
        self.walked.add((route, method))
        body = (
            r.json() if r.headers.get("content-type", "").startswith("application/json") else r.text
        )
        self.answers.append(body)
        return r


def scene(client: TestClient, c: Party, b: Party) -> dict[str, str]:
    """C (the victim) and B (the attacker) raise every event type; C's secrets by name."""
    camp = client.post(
        "/v1/operations",
        json={"kind": "presence", "label": "secret camp", "volumes": [around_now(*CAMP, 400)]},
        headers=c.headers,
    ).json()["operation"]["id"]
    second = client.post(
        "/v1/operations",
        json={
            "kind": "presence",
            "label": "second camp",
            "volumes": [around_now(36.2611, 37.1029, 400)],
        },
        headers=c.headers,
    ).json()["operation"]["id"]
    c_flight = client.post(
        "/v1/operations",
        json={
            "kind": "flight",
            "label": "relief shuttle",
            "volumes": [around_now(36.2, 37.1, 20_000, lo=800, hi=3000)],
            "state": "active",
        },
        headers=c.headers,
    ).json()["operation"]["id"]
    client.post(
        "/v1/tracks",
        json={"tracks": [state("RELIEF-HELO-7", 36.2, 37.08137, 90.0, operation_id=c_flight)]},
        headers=c.headers,
    )
    return {"camp": camp, "second": second, "flight": c_flight}


def test_every_route_and_event_type_shows_others_data_only_as_the_gate_built_it(
    client: TestClient,
) -> None:
    c, b = party(client, "Relief"), party(client, "Raider")
    secrets = scene(client, c, b)
    walk = Walker(client, b)
    hazard = {"kind": "hazard", "volumes": [around_now(*NEAR, 1000, hi=500)]}
    made = walk("post", "/v1/operations", json=hazard).json()
    op, (conflict,) = made["operation"], made["conflicts"]
    cid = conflict["id"]
    ops_path, c_path = f"/v1/operations/{op['id']}", f"/v1/conflicts/{cid}"
    walk("get", "/v1/operations")
    walk("get", "/v1/operations/{op_id}", ops_path)
    walk(
        "post",
        "/v1/checks",
        json={"kind": "hazard", "volumes": [around_now(36.2611, 37.1029, 800, hi=500)]},
    )
    wide = [op["volumes"][0], around_now(*NEAR, 10_000, hi=500)]
    refused = walk(
        "patch",
        "/v1/operations/{op_id}",
        ops_path,
        json={"state": "active", "volumes": wide},
        headers={"If-Match": "1"},
    )
    assert refused.status_code == 409
    walk("get", "/v1/conflicts")
    walk("get", "/v1/conflicts/{conflict_id}", c_path)
    walk("post", "/v1/conflicts/{conflict_id}/ack", f"{c_path}/ack")
    client.post(f"{c_path}/messages", json={"body": "we are at the camp"}, headers=c.headers)
    walk(
        "post", "/v1/conflicts/{conflict_id}/messages", f"{c_path}/messages", json={"body": "noted"}
    )
    walk("get", "/v1/conflicts/{conflict_id}/messages", f"{c_path}/messages")
    svc = client.app.state.service  # type: ignore[attr-defined]
    svc.config = attrs.evolve(svc.config, escalation_deadline_s=0.0)
    conflicts_service.escalate_due(svc)
    # Overridden, then updated (the conflict's region changes), then resolved (cancelled).
    walk(
        "patch",
        "/v1/operations/{op_id}",
        ops_path,
        json={"state": "active", "override": [cid]},
        headers={"If-Match": "1"},
    )
    walk(
        "patch",
        "/v1/operations/{op_id}",
        ops_path,
        json={"volumes": [around_now(*NEAR, 1200, hi=500)]},
        headers={"If-Match": "2"},
    )
    walk("delete", "/v1/operations/{op_id}", ops_path, headers={"If-Match": "3"})
    # Tracks: a sweep with no flight (shown, sees nothing); an honest sortie (alert, cleared);
    # a straying aircraft (nonconformance; the re-check alerts C).
    walk(
        "post",
        "/v1/tracks",
        json={"tracks": [state(f"SWEEP-{i}", 36.2 + 0.01 * i, 37.12, 270.0) for i in range(5)]},
    )
    sortie = {"kind": "flight", "volumes": [around_now(36.2, 37.1, 20_000)]}
    mine = walk("post", "/v1/operations", json=sortie).json()
    over = [x["id"] for x in mine["conflicts"]]
    walk(
        "patch",
        "/v1/operations/{op_id}",
        f"/v1/operations/{mine['operation']['id']}",
        json={"state": "active", "override": over},
        headers={"If-Match": "1"},
    )
    walk(
        "post",
        "/v1/tracks",
        json={
            "tracks": [state("RAIDER-1", 36.2, 37.12, 270.0, operation_id=mine["operation"]["id"])]
        },
    )
    walk(
        "post",
        "/v1/tracks",
        json={
            "tracks": [
                state(
                    "RAIDER-1",
                    36.2,
                    37.121,
                    90.0,
                    alt_m=5000.0,
                    operation_id=mine["operation"]["id"],
                )
            ]
        },
    )
    walk("get", "/v1/tracks")
    walk("get", "/v1/tracks/alerts")
    # Files: a dry-run import over the camp (a check: the victim is told), exports of what the
    # attacker may see, a batch.
    site = f"name,lat,lon,radius_m,kind\nraid,{NEAR[0]},{NEAR[1]},900,hazard\n"
    walk("post", "/v1/imports", params={"format": "csv", "check": "true"}, content=site)
    for fmt in ("geojson", "kml", "csv"):
        walk("get", "/v1/exports/operations.{fmt}", f"/v1/exports/operations.{fmt}")
        walk("get", "/v1/exports/conflicts.{fmt}", f"/v1/exports/conflicts.{fmt}")
    walk("post", "/v1/operations/batch", json=[hazard])
    # The audit log: own entries, the checkpoint and key, proofs (hashes), others' entries.
    walk("get", "/v1/audit/checkpoint")
    walk("get", "/v1/audit/key")
    walk("get", "/v1/audit/proof/inclusion", params={"index": 0, "tree_size": 1})
    walk("get", "/v1/audit/proof/consistency", params={"from": 1, "to": 1})
    for i in range(3):  # the victim's first entries: answered as missing ones
        walk("get", "/v1/audit/entries/{index}", f"/v1/audit/entries/{i}")
    # Private matching's relay, probed at the victim (its own tests walk it with real rounds).
    walk("put", "/v1/private/key", json={})
    walk("get", "/v1/private/parties")
    for kind in ("sets", "reblinded", "refinements"):
        route = f"/v1/private/{kind}/{{counterpart}}"
        walk("put", route, f"/v1/private/{kind}/{c.id}", json={})
        walk("get", route, f"/v1/private/{kind}/{c.id}")
    walk("get", "/v1/private/conflicts")
    walk("post", "/v1/private/conflicts", json={})
    walk("get", "/v1/private/conflicts/{conflict_id}", "/v1/private/conflicts/nope")
    # Keys last (the attacker's own; the others' are the admin's: refused).
    walk("post", "/v1/parties/{party_id}/key", f"/v1/parties/{c.id}/key")
    walk("delete", "/v1/parties/{party_id}/key", f"/v1/parties/{c.id}/key")
    # Every route again with the victim's ids: each answers as an id that does not exist.
    for route, path in [
        ("/v1/operations/{op_id}", f"/v1/operations/{secrets['camp']}"),
        ("/v1/conflicts/{conflict_id}", "/v1/conflicts/" + secrets["second"]),
    ]:
        assert walk("get", route, path).status_code == 404
    walk("get", "/v1/parties/me")
    walk("get", "/v1/audit", params={"limit": 500})
    walk("get", "/healthz")
    walk("get", "/metrics")
    walk("post", "/v1/parties", json={"name": "Mallory"})  # admin only: refused
    walk.walked.add(EVENTS_ROUTE)
    rotated = walk("post", "/v1/parties/me/key")  # last: the attacker's key changes
    assert rotated.status_code == 200, rotated.text
    b = attrs.evolve(b, key=rotated.json()["api_key"])

    # Every route of the OpenAPI was walked, and every event type was raised to someone.
    spec = client.get("/openapi.json").json()["paths"]
    assert {(p, m) for p, ms in spec.items() for m in ms} <= walk.walked
    told_b, told_c = received(client, b), received(client, c)
    # (private.conflict.* need two parties' private rounds: tests/hostile/test_private_hostile.py)
    private = {gate.EventType.PRIVATE_CONFLICT_OPENED, gate.EventType.PRIVATE_CONFLICT_RESOLVED}
    raised = {e["type"] for e in told_b + told_c}
    assert raised == {t.value for t in gate.EventType if t not in private}

    # Every view of another party's data on the wire has a shape only the gate builds.
    shapes = gate_shapes()
    wire = [*walk.answers, *(e["data"] for e in told_b)]
    for obj in objects(wire):
        keys = set(obj) - {"audit_index"}  # the receipt the store adds to what the gate built
        if CROSS & keys and "error" not in obj:
            assert frozenset(keys) in shapes, sorted(obj)
    # Nothing of the victim's ids, labels or the camp's centre reached the attacker.
    victim = [
        c.id,
        *secrets.values(),
        "secret camp",
        "second camp",
        "relief shuttle",
        "RELIEF-HELO-7",
        f"{CAMP[0]}",
    ]
    assert leaks(wire, victim) == []
    # What the attacker was shown of the victim's plans, the victim was told: every region.
    shown = [
        o["region"] for o in objects(wire) if "region" in o and o.get("other_party") == "Relief"
    ]
    told = [e["data"]["region"] for e in told_c if "region" in e["data"]]
    assert shown and all(r in told for r in shown)


def test_only_the_gate_builds_views_of_others_data() -> None:
    stamped = [
        cls
        for _, cls in inspect.getmembers(gate, inspect.isclass)
        if attrs.has(cls) and "stamp" in attrs.fields_dict(cls)
    ]
    assert {c.__name__ for c in stamped} >= {
        "AuditNote",
        "Delivery",
        "ConflictView",
        "CheckHitView",
        "CheckOutcome",
        "RefusalDetail",
    }
    for cls in stamped:
        args = [None] * (len(attrs.fields(cls)) - 1)
        with pytest.raises(TypeError):
            cls(*args)
        with pytest.raises(TypeError):
            cls(*args, stamp=object())


def test_no_module_but_the_gate_builds_a_cross_party_view_or_stores_an_event() -> None:
    """No dict literal with a key that shows another party outside the gate; the event store
    is called from `records.emit` alone (which takes only the gate's `Delivery`)."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("private/"):  # the party's own client: never runs on the server
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if rel != "engine/disclosure.py" and isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if keys & CROSS:
                    offenders.append(f"{rel}:{node.lineno}")
            called = isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "insert_event"
            if called and rel != "service/records.py":
                offenders.append(f"{rel}:{node.lineno} insert_event")
    assert offenders == []
