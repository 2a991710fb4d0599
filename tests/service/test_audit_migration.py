"""Migration 0004 on a database that has a hash-chained audit log (SQLite and PostgreSQL):
entries keep their order as leaf indices 0..n-1 (pending ones after), the sequencer hashes them
as leaves and signs, and the operator's check holds."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from deconflict.config import Config
from deconflict.service import Service, audit, audit_check
from deconflict.store import Database, migrate
from deconflict.store.migrate import MIGRATIONS


def test_a_chained_log_becomes_a_tree(db_url: str) -> None:
    db = Database(db_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
        conn.commit()
    rows = [
        {"a": f"act{i}", "p": i if i <= 3 else None, "h": "ab" * 32 if i <= 3 else None}
        for i in range(1, 6)
    ]
    with db.plain.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit (party_id, action, subject, data, created_at, position, "
                "prev_hash, hash) VALUES (NULL, :a, '', '{}', 1.5, :p, NULL, :h)"
            ),
            rows,
        )
    migrate(db)
    with db.connect() as conn:
        got = conn.execute(sa.text("SELECT action, position, hash FROM audit ORDER BY id")).all()
        size = conn.execute(sa.text("SELECT size FROM audit_head")).scalar_one()
    assert [(r.action, r.position, r.hash) for r in got] == [
        (f"act{i}", i - 1, None) for i in range(1, 6)
    ]
    assert size == 5
    svc = Service(Config(db_url=db_url), db)
    assert audit.sequence(svc) == 5
    verdict = audit_check.verify(svc)
    assert verdict.ok and verdict.count == 5, verdict
    db.dispose()
