"""Bring a database to the current schema with the Alembic migrations shipped in the package."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from deconflict.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
LOCK_ID = 0x6465636F  # advisory lock so several starting servers migrate one at a time


def migrate(db: Database) -> None:
    """Upgrade to head, under an advisory lock on PostgreSQL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.connect() as conn:
        if db.postgres:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": LOCK_ID})
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if db.postgres:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_ID})
                conn.commit()
