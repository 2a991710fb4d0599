"""The CLI is a thin layer: exit codes and output through Typer's runner."""

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from deconflict.cli import app

runner = CliRunner()
CITY = Path(__file__).parents[1] / "src" / "deconflict" / "data" / "city.json"


def test_check_prints_the_conflicts_of_the_city_file() -> None:
    result = runner.invoke(app, ["check", str(CITY)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "5 operations, 3 conflicts" in result.output
    assert "aid-camp" in result.output  # the live-fire range over the camp


def test_check_names_the_bad_field(tmp_path: Path) -> None:
    data = json.loads(CITY.read_text())
    data["operations"][1]["volumes"][0]["volume"]["altitude_lower"]["value"] = 99999
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = runner.invoke(app, ["check", str(bad)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "operations[1].volumes[0].volume.altitude_lower" in result.output


def test_party_add_and_audit_verify(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    made = runner.invoke(app, ["party", "add", "North", "--db", db], env={"COLUMNS": "200"})
    assert made.exit_code == 0, made.output
    assert "api key" in made.output
    again = runner.invoke(app, ["party", "add", "North", "--db", db], env={"COLUMNS": "200"})
    assert again.exit_code == 1 and "name" in again.output
    ok = runner.invoke(app, ["audit", "verify", "--db", db], env={"COLUMNS": "200"})
    assert ok.exit_code == 0 and "OK" in ok.output and "1 pending entries added" in ok.output
    again = runner.invoke(app, ["audit", "verify", "--db", db], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "1 entries, 1 signed checkpoints" in again.output
    with sqlite3.connect(tmp_path / "cli.db") as con:  # a rewritten entry
        con.execute("UPDATE audit SET data = '{\"name\": \"South\"}' WHERE position = 0")
    bad = runner.invoke(app, ["audit", "verify", "--db", db], env={"COLUMNS": "200"})
    assert bad.exit_code == 1 and "entry 0: its stored leaf hash" in bad.output, bad.output


def test_demo_loads_the_scenario_and_exits(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--check"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("North Air Wing", "South Air Wing", "Relief Aid"):
        assert name in result.output
    assert "6 conflict sides open" in result.output
