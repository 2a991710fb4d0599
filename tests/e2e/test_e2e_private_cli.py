"""`deconflict private submit | sync | conflicts` against a real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import ADMIN, Server
from private_samples import CITY, op, volume
from strategies import offset
from typer.testing import CliRunner

from deconflict.cli import app
from deconflict.geometry import Circle

runner = CliRunner()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    s = Server(f"sqlite:///{tmp_path / 'cli.db'}")
    yield s
    s.stop()


def key_of(server: Server, name: str) -> str:
    r = httpx.post(f"{server.url}/v1/parties", json={"name": name},
                   headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip
    assert r.status_code == 201
    return str(r.json()["api_key"])


def test_submit_sync_and_list_private_conflicts(sqlite_server: Server, tmp_path: Path) -> None:
    url = sqlite_server.url
    plans = {
        "east": [op("e-range", "hazard", "East range",
                    volume(Circle(CITY, 400.0), (0, 1), (0, 400)))],
        "west": [op("w-camp", "presence", "West camp",
                    volume(Circle(offset(CITY, 90, 300.0), 150.0), (0, 2), (0, 0))),
                 op("w-far", "presence", "West far camp",
                    volume(Circle(offset(CITY, 90, 9_000.0), 150.0), (0, 2), (0, 0)))],
    }  # fmt: skip
    args = {}
    for name, ops in plans.items():
        file = tmp_path / f"{name}.json"
        file.write_text(json.dumps({"operations": ops}))
        args[name] = ["--server", url, "--key", key_of(sqlite_server, name),
                      "--state", str(tmp_path / name)]  # fmt: skip
        r = runner.invoke(app, ["private", "submit", str(file), *args[name]])
        assert r.exit_code == 0, r.output
        assert "key fingerprint" in r.output
    for _ in range(3):
        for name in plans:
            r = runner.invoke(app, ["private", "sync", *args[name]])
            assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["private", "conflicts", "--state", str(tmp_path / "east")])
    assert r.exit_code == 0, r.output
    assert "e-range" in r.output and "1 private conflicts" in r.output
    r = runner.invoke(app, ["private", "conflicts", "--state", str(tmp_path / "west"), "--geojson"])
    assert r.exit_code == 0, r.output
    features = json.loads(r.output)["features"]
    assert [f["properties"]["my_operation"] for f in features] == ["w-camp"]
    assert features[0]["properties"]["other_party"] == "east"


def test_bad_plan_and_bad_key_exit_with_the_reason(sqlite_server: Server, tmp_path: Path) -> None:
    file = tmp_path / "plan.json"
    file.write_text('{"operations": [{"id": "x", "kind": "ship", "volumes": []}]}')
    state = ["--state", str(tmp_path / "s")]
    r = runner.invoke(
        app, ["private", "submit", str(file), "--server", sqlite_server.url, "--key", "k", *state]
    )
    assert r.exit_code == 1 and "operations[0]" in r.output
    file.write_text("{not json")
    r = runner.invoke(
        app, ["private", "submit", str(file), "--server", sqlite_server.url, "--key", "k", *state]
    )
    assert r.exit_code == 2 and "not JSON" in r.output
    sync = ["private", "sync", "--server", sqlite_server.url, "--key", "nope", *state]
    r = runner.invoke(app, sync)
    assert r.exit_code == 1 and "unknown API key" in r.output
