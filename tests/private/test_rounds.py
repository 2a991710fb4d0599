"""The client's rounds through the relay (in process, real SQLite): a conflict opens on both
sides, and resolves on both when an operation is withdrawn; each side is told both times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from private_samples import CITY, op, volume
from strategies import offset

from deconflict.api import create_app
from deconflict.config import Config
from deconflict.geometry import Circle
from deconflict.private.cover import CoverSettings, Level
from deconflict.private.relay import Relay
from deconflict.private.rounds import Client, local_conflicts, submit, sync
from deconflict.private.state import Folder, load_plan
from deconflict.service import events
from deconflict.service.parties import authenticate

CELLS = CoverSettings(Level(8, 3_600.0, 1_000.0), Level(5, 21_600.0, 5_000.0), 5_000)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    with TestClient(create_app(Config(db_url=url, admin_key="adm"))) as c:
        yield c


def client(app: TestClient, name: str, folder: Path) -> Client:
    r = app.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
    return Client(Folder(folder), Relay("", r.json()["api_key"], app), settings=CELLS)


def test_a_conflict_opens_and_resolves_on_both_sides(app: TestClient, tmp_path: Path) -> None:
    east, west = client(app, "East", tmp_path / "e"), client(app, "West", tmp_path / "w")
    strike = op("e-strike", "hazard", "", volume(Circle(CITY, 500.0), (0, 1), (0, 300)))
    other = op(
        "e-other", "hazard", "", volume(Circle(offset(CITY, 0, 20_000.0), 500.0), (0, 1), (0, 300))
    )
    camp = op(
        "w-camp", "presence", "", volume(Circle(offset(CITY, 90, 400.0), 200.0), (0, 9), (0, 0))
    )
    submit(east, load_plan({"operations": [strike, other]}))
    submit(west, load_plan({"operations": [camp]}))
    for _ in range(3):
        sync(east), sync(west)
    for side, mine in ((east, "e-strike"), (west, "w-camp")):
        (c,) = local_conflicts(side.folder)
        assert c["status"] == "open" and c["my_operation"] == mine
    submit(east, load_plan({"operations": [other]}))  # the strike is withdrawn
    for _ in range(3):
        sync(east), sync(west)
    assert [c["status"] for c in local_conflicts(east.folder)] == ["resolved"]
    assert [c["status"] for c in local_conflicts(west.folder)] == ["resolved"]
    svc = app.app.state.service  # type: ignore[attr-defined]
    for side in (east, west):
        who = authenticate(svc, side.relay.headers["Authorization"].split()[1])
        told = [e["type"] for e in events.after(svc, who, 0)]
        assert told == ["private.conflict.opened", "private.conflict.resolved"]
    (row,) = app.get("/v1/private/conflicts", headers=east.relay.headers).json()
    assert row["status"] == "resolved" and row["my_status"] == row["other_status"] == "resolved"
