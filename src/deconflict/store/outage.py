"""The one place that tells a database outage (unreachable, restarting, connection lost) from
any other database error, and turns it into the domain's `Unavailable` (HTTP 503)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from deconflict.errors import Unavailable

# SQLSTATE classes and codes of a server that is gone or not ready: connection exception (08),
# admin/crash shutdown, cannot connect now (57P01-57P03).
_OUTAGE_CLASSES = ("08",)
_OUTAGE_CODES = {"57P01", "57P02", "57P03"}
# SQLite's words for a database file it cannot reach.
_SQLITE_OUTAGE = ("unable to open database file", "disk i/o error")


def is_outage(err: BaseException) -> bool:
    """Whether `err` says the database cannot be reached now (worth a retry later)."""
    if not isinstance(err, sa.exc.DBAPIError):
        return False
    if err.connection_invalidated:
        return True
    orig = err.orig
    state = getattr(orig, "sqlstate", None)
    if state is not None:
        return bool(state.startswith(_OUTAGE_CLASSES) or state in _OUTAGE_CODES)
    module = type(orig).__module__
    if module.startswith("psycopg"):  # no SQLSTATE: the connection failed or broke
        return isinstance(err, sa.exc.OperationalError)
    if module.startswith("sqlite3"):
        return any(words in str(orig).lower() for words in _SQLITE_OUTAGE)
    return False


@contextmanager
def mapped() -> Iterator[None]:
    """Raise `Unavailable` instead of a database error that is an outage."""
    try:
        yield
    except sa.exc.DBAPIError as err:
        if is_outage(err):
            raise Unavailable("database_unavailable", "the database cannot be reached") from err
        raise
