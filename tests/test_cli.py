"""The CLI is a thin layer: exit codes and output through Typer's runner."""

import json
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
