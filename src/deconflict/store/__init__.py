"""Persistence: SQLAlchemy Core tables and repository functions on SQLite or PostgreSQL."""

from deconflict.store.db import Database, Tx
from deconflict.store.migrate import migrate

__all__ = ["Database", "Tx", "migrate"]
