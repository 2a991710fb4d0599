"""The command line reads volume files with the same strict parser as the API: lax values and
unknown keys are refused naming the field (exit 2), nothing is checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from samples import circle
from typer.testing import CliRunner

from deconflict.cli import app

runner = CliRunner()


def _op(**extra: Any) -> dict[str, Any]:
    return {"id": "a", "party": "A", "kind": "hazard", "volumes": [circle()], **extra}


def _lax_center(op: dict[str, Any]) -> dict[str, Any]:
    op["volumes"][0]["volume"]["outline_circle"]["center"]["lng"] = True
    return op


def _unknown(op: dict[str, Any]) -> dict[str, Any]:
    op["volumes"][0]["volume"]["altitude_lower"]["datum"] = "EGM96"
    return op


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (_lax_center(_op()), "operations[0].volumes[0].volume.outline_circle.center.lng"),
        (_unknown(_op()), "operations[0].volumes[0].volume.altitude_lower.datum"),
        (_op(owner="B"), "operations[0].owner"),
        (_op(id=7), "operations[0].id"),
        (_op(kind=["hazard"]), "operations[0].kind"),
    ],
)
def test_check_refuses_lax_files(tmp_path: Path, op: dict[str, Any], field: str) -> None:
    f = tmp_path / "ops.json"
    f.write_text(json.dumps({"operations": [op]}))
    result = runner.invoke(app, ["check", str(f)], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert field in result.output
