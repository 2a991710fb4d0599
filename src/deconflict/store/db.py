"""Connections and transactions: one `Database` over SQLite (one writer) or PostgreSQL
(serializable, retried). Write units are callables so a serialization failure can rerun them."""

from __future__ import annotations

import fcntl
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

T = TypeVar("T")
MAX_ATTEMPTS = 40
# SQLSTATEs worth a retry: serialization failure, deadlock.
RETRY_SQLSTATES = {"40001", "40P01"}


class Tx:
    """One open transaction plus what to announce once it commits."""

    def __init__(self, conn: Connection, db: Database) -> None:
        self.conn = conn
        self.db = db
        self.notify: set[str] = set()
        # What this transaction already read and may reuse (e.g. the index levels).
        self.cache: dict[str, Any] = {}

    def execute(self, stmt: Any, params: Any = None) -> sa.CursorResult[Any]:
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)

    @property
    def postgres(self) -> bool:
        return self.db.postgres


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock up front: no upgrade deadlock, one writer at a time.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class _FileLock:
    """An exclusive `flock` on a file beside the SQLite database, held around each write
    transaction: writers of every process (several `serve` workers, CLI commands) queue in the
    kernel and are woken the moment the lock is free, instead of polling in SQLite's busy
    handler (which sleeps up to 100 ms between tries). SQLite's own lock stays the guarantee."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._file()
        fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return name


def _is_retryable(err: sa.exc.DBAPIError) -> bool:
    return getattr(err.orig, "sqlstate", None) in RETRY_SQLSTATES


class Database:
    """The store's entry point: `write(fn)` and `read(fn)` run `fn(tx)` in one transaction."""

    def __init__(self, url: str, write_slots: int = 1) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self.listeners: list[Callable[[set[str]], None]] = []
        self.writer: Engine
        self.reader: Engine
        # SQLite has one writer: queue this process's writers here rather than in SQLite's busy
        # handler, which sleeps in growing steps (up to 100 ms) and so wrecks tail latency.
        self._write_lock = threading.Lock()
        # PostgreSQL: at most this many write transactions of this process at once. Serializable
        # transactions that run together abort each other more often the more of them there
        # are (measured: 16 at once retried 70 % of writes; one per worker, about none), and
        # one process cannot run more Python than one core anyway: workers are the scale-out.
        self._write_slots = threading.BoundedSemaphore(max(1, write_slots))
        self._file_lock: _FileLock | None = None
        # The index levels the last transaction read (they only grow): work that depends on them
        # can be done before a write transaction and checked against them inside it.
        self.levels_seen: tuple[tuple[int, int], ...] | None = None
        if self.postgres:
            base = sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.writer = base.execution_options(isolation_level="SERIALIZABLE")
            self.reader = base.execution_options(isolation_level="READ COMMITTED")
            self.plain = base
            self._engines = [base]
        else:
            self.writer = _sqlite_engine(url, immediate=True)
            self.reader = _sqlite_engine(url, immediate=False)
            self.plain = self.writer
            self._engines = [self.writer, self.reader]
            path = _sqlite_file(url)
            self._file_lock = _FileLock(f"{path}.writelock") if path else None

    def dispose(self) -> None:
        for e in self._engines:
            e.dispose()
        if self._file_lock is not None:
            self._file_lock.close()

    def write(self, fn: Callable[[Tx], T], isolation: str | None = None) -> T:
        """Run `fn` in a write transaction; on PostgreSQL retry serialization failures."""
        engine = self.writer
        if not self.postgres:
            with self._write_lock:
                if self._file_lock is None:
                    return self._attempt(engine, fn)
                with self._file_lock.held():
                    return self._attempt(engine, fn)
        if isolation:
            engine = self.plain.execution_options(isolation_level=isolation)
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._write_slots:
                    return self._attempt(engine, fn)
            except sa.exc.DBAPIError as err:
                if not _is_retryable(err) or attempt == MAX_ATTEMPTS - 1:
                    raise
                time.sleep(min(0.2, 0.002 * 2**attempt) * random.uniform(0.5, 1.5))
        raise AssertionError("unreachable")

    def _attempt(self, engine: Engine, fn: Callable[[Tx], T]) -> T:
        with engine.connect() as conn, conn.begin():
            tx = Tx(conn, self)
            result = fn(tx)
        self._announce(tx.notify)
        return result

    def read(self, fn: Callable[[Tx], T]) -> T:
        with self.reader.connect() as conn, conn.begin():
            return fn(Tx(conn, self))

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.plain.connect() as conn:
            yield conn

    def _announce(self, parties: set[str]) -> None:
        if parties:
            for listener in list(self.listeners):
                listener(parties)
