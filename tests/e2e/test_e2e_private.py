"""Private matching through a real server on loopback (SQLite and PostgreSQL): two parties'
clients find exactly the plain engine's conflicts, and the service never holds either plan.

The service's whole database, its log output and every answer it gives a third party are
searched for the plans' coordinates, labels and cell ids: none may appear in the clear.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from attrs import evolve
from live_server import ADMIN, Server
from private_samples import plan_pair

from deconflict.engine import Conflict, Rules, conflicts_between
from deconflict.private.cover import CoverSettings, Level, parse_key, plan_cover
from deconflict.private.relay import Relay
from deconflict.private.rounds import Client, local_conflicts, submit, sync
from deconflict.private.state import Folder, load_plan

# Coarser cells than the defaults keep the sets (and the test) small; the matching is the same.
SETTINGS = CoverSettings(Level(7, 3_600.0, 1_000.0), Level(4, 21_600.0, 5_000.0), 5_000)


def make_party(server: Server, name: str) -> tuple[str, str]:
    r = httpx.post(
        f"{server.url}/v1/parties",
        json={"name": name},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["api_key"]


def run_rounds(clients: list[Client], passes: int = 3) -> None:
    for _ in range(passes):
        for c in clients:
            sync(c)


def plain(north: dict[str, Any], south: dict[str, Any]) -> list[Conflict]:
    """The plain engine's conflicts between the two plans (North's side as `a`)."""
    a = [evolve(op, party="north") for op in load_plan(north)]
    b = [evolve(op, party="south") for op in load_plan(south)]
    return [c for x in a for y in b if (c := conflicts_between(x, y, Rules())) is not None]


def secrets_of(plan: dict[str, Any], low: bool) -> set[str]:
    """What must never be in the service's hands in the clear: coordinates, labels, cells."""
    out: set[str] = set()
    for op in plan["operations"]:
        out.add(op["label"])
        for v in op["volumes"]:
            inner = v["volume"]
            pts = inner.get("outline_polygon", {}).get("vertices", [])
            if "outline_circle" in inner:
                pts = [inner["outline_circle"]["center"]]
            for p in pts:
                out.update({repr(p["lat"]), repr(p["lng"]), f"{p['lat']:.4f}", f"{p['lng']:.4f}"})
    cover = plan_cover(load_plan(plan), low, Rules(), SETTINGS)
    cells = {parse_key(k)[2] for k in cover}
    out.update(cells)
    out.update(sorted(cover)[:200])  # whole element keys too (a sample: they hold the cells)
    return {s for s in out if len(s) >= 6}


def dump(url: str) -> str:
    """Every row of every table, as text (bytes both raw and as base64 of nothing else)."""
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        raw = bytes(value)
                        parts.append(raw.decode("latin-1"))
                    else:
                        parts.append(json.dumps(value, default=str))
    engine.dispose()
    return "\n".join(parts)


def test_private_parties_find_the_plain_conflicts_and_the_service_holds_no_plan(
    server: Server, tmp_path: Path
) -> None:
    north_id, north_key = make_party(server, "North")
    south_id, south_key = make_party(server, "South")
    _third_id, third_key = make_party(server, "Third")
    north_plan, south_plan = plan_pair()
    north = Client(Folder(tmp_path / "north"), Relay(server.url, north_key), settings=SETTINGS)
    south = Client(Folder(tmp_path / "south"), Relay(server.url, south_key), settings=SETTINGS)
    submit(north, load_plan(north_plan))
    submit(south, load_plan(south_plan))
    run_rounds([north, south])
    north.relay.close()
    south.relay.close()

    expected = plain(north_plan, south_plan)
    assert expected, "the scenario must hold conflicts"
    mine = local_conflicts(north.folder)
    theirs = local_conflicts(south.folder)
    pairs = {(c.a_operation, c.b_operation) for c in expected}
    assert {(c["my_operation"], c["other_operation"]) for c in mine} == pairs
    assert {(c["other_operation"], c["my_operation"]) for c in theirs} == pairs
    # Both clients computed the same regions (the same bytes), and the relay holds them.
    by_ref = {c["ref"]: c["regions"] for c in theirs}
    assert all(by_ref[c["ref"]] == c["regions"] for c in mine)
    listed = httpx.get(
        f"{server.url}/v1/private/conflicts", headers={"Authorization": f"Bearer {north_key}"}
    ).json()
    assert {c["ref"] for c in listed} == {c["ref"] for c in mine}
    assert all(c["status"] == "open" and c["other_party"] == "South" for c in listed)

    # A third party learns nothing: every blob addressed to others answers 404.
    third = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {third_key}"})
    answers = []
    for path in (
        f"/v1/private/sets/{north_id}",
        f"/v1/private/sets/{south_id}",
        f"/v1/private/reblinded/{north_id}",
        f"/v1/private/refinements/{north_id}",
        f"/v1/private/refinements/{south_id}",
        f"/v1/private/conflicts/{listed[0]['id']}",
    ):
        r = third.get(path)
        assert r.status_code == 404, (path, r.text)
        answers.append(r.text)
    for path in ("/v1/private/conflicts", "/v1/conflicts", "/v1/operations", "/v1/audit"):
        r = third.get(path)
        assert r.status_code == 200, (path, r.text)
        answers.append(r.text)
        assert "South" not in r.text and "North" not in r.text
    third.close()

    # Events told both parties, with no region.
    events = httpx.get(
        f"{server.url}/v1/audit", headers={"Authorization": f"Bearer {ADMIN}"}
    ).json()["items"]
    assert any(e["action"] == "private.conflict.open" for e in events)

    server.proc.terminate()
    server.proc.wait(20)
    assert server.proc.stdout is not None
    logs = server.proc.stdout.read().decode(errors="replace")
    text = "\n".join([dump(server.db), logs, "\n".join(answers), json.dumps(events)])
    secrets = secrets_of(north_plan, north_id < south_id) | secrets_of(
        south_plan, south_id < north_id
    )
    leaked = sorted(s for s in secrets if s in text)
    assert leaked == []
    # And the blobs are not the plans merely encoded: no base64 of a plan either.
    for plan in (north_plan, south_plan):
        assert base64.b64encode(json.dumps(plan).encode()[:30]).decode()[:20] not in text
