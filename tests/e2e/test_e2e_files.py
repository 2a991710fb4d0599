"""`deconflict import` and `deconflict export` against a real server on loopback (SQLite and
PostgreSQL): refused rows named, the rest created, conflicts counted, exports written."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from live_server import ADMIN, Server
from samples import circle
from typer.testing import CliRunner

from deconflict.cli import app

FILES = Path(__file__).parents[1] / "formats" / "files"
runner = CliRunner()


def key(server: Server, name: str) -> str:
    r = httpx.post(
        f"{server.url}/v1/parties",
        json={"name": name},
        headers={"Authorization": f"Bearer {ADMIN}"},
    )
    assert r.status_code == 201
    return str(r.json()["api_key"])


def test_import_then_export(server: Server, tmp_path: Path) -> None:
    army, aid = key(server, "Army"), key(server, "Aid")
    hazard = {"kind": "hazard", "volumes": [circle(36.2, 37.1, 3000)]}
    r = httpx.post(
        f"{server.url}/v1/operations", json=hazard, headers={"Authorization": f"Bearer {army}"}
    )
    assert r.status_code == 201
    common = ["--server", server.url, "--key", aid]
    env = {"COLUMNS": "200"}

    checked = runner.invoke(app, ["import", str(FILES / "sites.csv"), "--check", *common], env=env)
    assert checked.exit_code == 1, checked.output  # one row refused
    assert "item 3 time_end" in checked.output and "4 checked, 3 conflicts" in checked.output

    done = runner.invoke(app, ["import", str(FILES / "sites.csv"), *common], env=env)
    assert "4 created, 3 conflicts, 1 refused" in done.output, done.output

    out = tmp_path / "mine.geojson"
    exported = runner.invoke(app, ["export", "operations", "-o", str(out), *common], env=env)
    assert exported.exit_code == 0, exported.output
    doc = json.loads(out.read_text())
    assert sorted(f["properties"]["label"] for f in doc["features"]) == [
        "Clinic Bab al-Hadid",
        "Field kitchen",
        "School far east",
        "Warehouse",
    ]
    regions = runner.invoke(app, ["export", "conflicts", "--format", "kml", *common], env=env)
    assert regions.exit_code == 0 and regions.output.count("<Placemark>") == 3
