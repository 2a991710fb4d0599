"""What another party can learn or do through the audit log's routes: read no entry of others
(404 exactly as a missing one), get only hashes from proofs, find no guess confirmed by a leaf
hash it sees, and be refused out-of-range or absurd numbers with the field named."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pg import postgres
from samples import circle

from deconflict.api import create_app
from deconflict.config import Config
from deconflict.service import audit
from deconflict.tlog import merkle
from deconflict.tlog.entry import entry_leaf

ADMIN = {"Authorization": "Bearer adm"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hostile_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The app in process, admin key `adm`, no background jobs (tests run the sequencer)."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'hostile.db'}"])
    else:
        urls = postgres()
    app = create_app(Config(db_url=next(urls), admin_key="adm", background=False))
    with TestClient(app) as c:
        yield c
    for _ in urls:  # (drops the PostgreSQL schema)
        pass


def party(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/v1/parties", json={"name": name}, headers=ADMIN)
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def sequenced(client: TestClient) -> int:
    audit.sequence(client.app.state.service)  # type: ignore[attr-defined]
    return int(client.get("/v1/audit/checkpoint", headers=ADMIN).text.split("\n")[1])


def setting(client: TestClient) -> dict[str, Any]:
    a, b = party(client, "North"), party(client, "South")
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]}, headers=a)
    assert made.status_code == 201
    mine = client.post("/v1/operations", json={"kind": "hazard", "volumes": [circle()]}, headers=b)
    size = sequenced(client)
    return {
        "a": a,
        "b": b,
        "a_index": made.json()["audit_index"],
        "op": made.json(),
        "size": size,
        "b_index": mine.json()["audit_index"],
    }


def test_another_partys_entry_answers_as_a_missing_one(hostile_client: TestClient) -> None:
    s = setting(hostile_client)
    own = hostile_client.get(f"/v1/audit/entries/{s['a_index']}", headers=s["a"])
    assert own.status_code == 200 and own.json()["entry"]["action"] == "operation.created"
    theirs = hostile_client.get(f"/v1/audit/entries/{s['a_index']}", headers=s["b"])
    for missing in (s["size"] + 5, 10**30, -1):
        gone = hostile_client.get(f"/v1/audit/entries/{missing}", headers=s["b"])
        assert (theirs.status_code, theirs.json()) == (gone.status_code, gone.json())
    assert theirs.status_code == 404 and theirs.json()["error"]["field"] == "index"


def test_proofs_are_hashes_only(hostile_client: TestClient) -> None:
    s = setting(hostile_client)
    secret = [s["op"]["operation"]["id"], "North", "operation.created"]
    answers = [
        hostile_client.get(
            "/v1/audit/proof/inclusion",
            params={"index": s["a_index"], "tree_size": s["size"]},
            headers=s["b"],
        ),
        hostile_client.get(
            "/v1/audit/proof/consistency", params={"from": 1, "to": s["size"]}, headers=s["b"]
        ),
    ]
    for r in answers:
        assert r.status_code == 200 and set(r.json()) == {"hashes"}
        assert all(len(base64.b64decode(h)) == 32 for h in r.json()["hashes"])
        assert not any(word in r.text for word in secret)
    for text in (
        hostile_client.get(p, headers=s["b"]).text
        for p in ("/v1/audit/checkpoint", "/v1/audit/key")
    ):
        assert not any(word in text for word in secret)


def test_a_sibling_leaf_hash_confirms_no_guess(hostile_client: TestClient) -> None:
    """South's own proof shows the leaf hash of the entry beside its own. Even knowing every
    field of that entry but its random nonce, South cannot confirm it."""
    s = setting(hostile_client)
    everyone = hostile_client.get("/v1/audit", params={"limit": 500}, headers=ADMIN).json()
    owner = {e["position"]: e["party_id"] for e in everyone["items"]}
    mine = hostile_client.get("/v1/audit", params={"limit": 500}, headers=s["b"]).json()
    b_index = next(
        e["position"]
        for e in mine["items"]
        if (e["position"] ^ 1) < s["size"] and owner[e["position"] ^ 1] != e["party_id"]
    )
    whole = hostile_client.get(f"/v1/audit/entries/{b_index ^ 1}", headers=ADMIN).json()
    proof = hostile_client.get(
        "/v1/audit/proof/inclusion",
        params={"index": b_index, "tree_size": s["size"]},
        headers=s["b"],
    ).json()["hashes"]
    seen = base64.b64decode(proof[0])
    assert seen == base64.b64decode(whole["leaf_hash"])  # it is the neighbour's leaf
    guess = {**whole["entry"], "nonce": None}
    assert entry_leaf(guess) != seen and merkle.leaf_hash(json.dumps(guess).encode()) != seen


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("inclusion", {"index": 0, "tree_size": 0}, "tree_size"),
        ("inclusion", {"index": 0, "tree_size": 10**40}, "tree_size"),
        ("inclusion", {"index": -1, "tree_size": 1}, "index"),
        ("inclusion", {"index": 10**40, "tree_size": 1}, "index"),
        ("inclusion", {"index": "x", "tree_size": 1}, "index"),
        ("inclusion", {"tree_size": 1}, "index"),
        ("consistency", {"from": 0, "to": 1}, "from"),
        ("consistency", {"from": 2, "to": 1}, "from"),
        ("consistency", {"from": 1, "to": 10**40}, "to"),
        ("consistency", {"from": 1, "to": -5}, "to"),
        ("consistency", {"from": 1.5, "to": 2}, "from"),
    ],
)
def test_bad_numbers_are_refused_naming_the_field(
    hostile_client: TestClient, path: str, params: dict[str, Any], field: str
) -> None:
    s = setting(hostile_client)
    r = hostile_client.get(f"/v1/audit/proof/{path}", params=params, headers=s["b"])
    assert 400 <= r.status_code < 500 and r.json()["error"]["field"] == field, r.text


def test_the_log_routes_need_a_key(hostile_client: TestClient) -> None:
    for path in ("/v1/audit/checkpoint", "/v1/audit/key", "/v1/audit/entries/0"):
        assert hostile_client.get(path).status_code == 401
