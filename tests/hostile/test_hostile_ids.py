"""The ids a party sees count nothing of other parties' activity: message numbers are per
thread, audit ids opaque, event numbers per party (audit *positions* are global by design: a
transparency log's leaf index)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hostile_helpers import new_party
from samples import circle


def _conflict(client: TestClient, owner: dict[str, str], other: dict[str, str], lat: float) -> str:
    hazard = {"kind": "hazard", "volumes": [circle(lat=lat)]}
    assert client.post("/v1/operations", json=hazard, headers=owner).status_code == 201
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle(lat=lat)]},
                       headers=other)  # fmt: skip
    return str(made.json()["conflicts"][0]["id"])


def _say(client: TestClient, who: dict[str, str], conflict: str, text: str) -> dict[str, object]:
    r = client.post(f"/v1/conflicts/{conflict}/messages", json={"body": text}, headers=who)
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_ids_do_not_move_with_the_other_parties_activity(client: TestClient) -> None:
    a, b, c = (new_party(client, n) for n in "ABC")
    ours = _conflict(client, a, b, 36.2)
    theirs = _conflict(client, a, c, 40.0)
    first = _say(client, b, ours, "B speaks")
    audit_before = client.get("/v1/audit", headers=b).json()["items"]
    events_before = [e["data"]["seq"] for e in audit_before if e["action"] == "disclosed"]
    for i in range(5):  # A and C talk meanwhile, in their own thread
        _say(client, (a, c)[i % 2], theirs, f"A-C {i}")
    second = _say(client, b, ours, "B again")
    assert (first["id"], second["id"]) == (1, 2)
    listed = client.get(f"/v1/conflicts/{ours}/messages", headers=b).json()["items"]
    assert [m["id"] for m in listed] == [1, 2]
    items = client.get("/v1/audit", headers=b).json()["items"]
    for entry in items:
        assert isinstance(entry["id"], str) and not entry["id"].isdigit()
    assert [e["id"] for e in items[: len(audit_before)]] == [e["id"] for e in audit_before]
    # B's event numbers went on from where they were: one per message told, no gap.
    seqs = [e["data"]["seq"] for e in items if e["action"] == "disclosed"]
    assert seqs == list(range(1, len(seqs) + 1)) and seqs[: len(events_before)] == events_before
