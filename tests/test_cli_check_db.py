"""`deconflict check FILE --db URL`: a file checked offline against the stored operations."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from deconflict.cli import app, load_operations
from deconflict.config import Config
from deconflict.service import Service
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.store import Database, migrate

runner = CliRunner()
CITY = Path(__file__).parents[1] / "src" / "deconflict" / "data" / "city.json"
ENV = {"COLUMNS": "250"}


def store(db: str, party: str, op_id: str) -> str:
    """Store the city file's operation `op_id` as `party`'s; return its stored id."""
    svc = Service(Config(db_url=db), Database(db))
    migrate(svc.db)
    (op,) = [o for o in load_operations(json.loads(CITY.read_text())) if o.id == op_id]
    who = authenticate(svc, create_party(svc, ADMIN, party)["api_key"])
    made = ops.create(svc, who, ops.Draft(op.kind, op.volumes))["operation"]["id"]
    svc.db.dispose()
    return str(made)


def rows(db: str, table: str) -> int:
    engine = sa.create_engine(db)
    with engine.connect() as conn:
        n = int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    engine.dispose()
    return n


def test_a_file_is_checked_against_the_stored_operations(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'check.db'}"
    camp = store(db, "Relief Aid", "aid-camp")
    sortie = store(db, "North Air Wing", "north-sortie-1")
    data = json.loads(CITY.read_text())
    wanted = {"south-range-2", "north-sortie-1"}  # a hazard, and North's own sortie again
    data["operations"] = [o for o in data["operations"] if o["id"] in wanted]
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(data))
    before = {t: rows(db, t) for t in ("operations", "events", "audit", "conflicts")}

    result = runner.invoke(app, ["check", str(file), "--db", db], env=ENV)

    assert result.exit_code == 0, result.output
    assert "2 operations, 2 conflicts" in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip().startswith("│ south-range-2")]
    assert any(camp in line and "Relief Aid" in line and "presence" in line for line in lines)
    assert any(sortie in line and "North Air Wing" in line for line in lines)
    # North's sortie in the file is North's stored one again: a party never conflicts with itself.
    assert not any(
        line.strip().startswith("│ north-sortie-1") for line in result.output.splitlines()
    )
    assert {t: rows(db, t) for t in before} == before  # offline: nothing written


def test_without_db_the_file_is_checked_against_itself(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    against_empty = runner.invoke(app, ["check", str(CITY), "--db", db], env=ENV)
    assert against_empty.exit_code == 0, against_empty.output
    assert "5 operations, 0 conflicts" in against_empty.output
    itself = runner.invoke(app, ["check", str(CITY)], env=ENV)
    assert "5 operations, 3 conflicts" in itself.output
