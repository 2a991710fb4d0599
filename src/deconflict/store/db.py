"""Connections and transactions: one `Database` over SQLite (one writer) or PostgreSQL
(serializable, retried). Write units are callables so a serialization failure can rerun them."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

T = TypeVar("T")
log = logging.getLogger("deconflict")
MAX_ATTEMPTS = 40
# Most writes one transaction runs together (group commit; see `Database.write`).
MAX_BATCH = 64
# Wakes other workers' event streams (api.hub listens); delivered when the transaction commits.
EVENTS_CHANNEL = "deconflict_events"
_NOTIFY = sa.text(f"SELECT pg_notify('{EVENTS_CHANNEL}', :p)")
# PostgreSQL's write gate: a session advisory lock every write batch of every worker holds,
# taken BEFORE its serializable transaction begins. Writers take turns, as on SQLite, and each
# one's snapshot already holds every write committed before it, so they do not abort each
# other (measured with two workers in a dense area: 0.18 aborted transactions a write without
# it, with shared and then exclusive locks taken inside the transaction). The transaction stays
# SERIALIZABLE: that is the guarantee, against any writer that does not take the gate; the gate
# only spares the retries.
GATE_KEY = 0x64636F6E  # "dcon"
_GATE_LOCK = sa.text(f"SELECT pg_advisory_lock({GATE_KEY})")
_GATE_UNLOCK = sa.text(f"SELECT pg_advisory_unlock({GATE_KEY})")
# SQLSTATEs worth a retry: serialization failure, deadlock.
RETRY_SQLSTATES = {"40001", "40P01"}


class Tx:
    """One open transaction plus what to announce once it commits."""

    def __init__(self, conn: Connection, db: Database, shared: dict[str, Any] | None = None):
        self.conn = conn
        self.db = db
        # Parties to wake once the transaction commits (their event streams).
        self.notify: set[str] = set()
        # What to do once the transaction has committed (never if it, or this unit, rolls back).
        self.after_commit: list[Callable[[], None]] = []
        # Append-only rows written at the end of the transaction, one statement per table for
        # the whole batch (see `defer`).
        self.deferred: list[tuple[Any, dict[str, Any]]] = []
        # What this write already read and may reuse (e.g. keys worked out beforehand) ...
        self.cache: dict[str, Any] = {}
        # ... and what every write of its batch may reuse (e.g. the index levels).
        self.shared: dict[str, Any] = {} if shared is None else shared

    def execute(self, stmt: Any, params: Any = None) -> sa.CursorResult[Any]:
        return self.conn.execute(stmt, params) if params is not None else self.conn.execute(stmt)

    def defer(self, insert: Any, row: dict[str, Any]) -> None:
        """Insert `row` with `insert` before the transaction commits, batched with the other
        rows for the same statement. Only for rows this transaction never reads back."""
        self.deferred.append((insert, row))

    @property
    def postgres(self) -> bool:
        return self.db.postgres


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# JSON columns (volumes, regions, events, audit data) through orjson: the stdlib encoder was
# ~6 % of a served write's CPU. Output is the same JSON (shortest float repr, UTF-8).
JSON_CODEC: dict[str, Any] = {"json_serializer": _dumps, "json_deserializer": orjson.loads}


@contextmanager
def _gate(conn: Connection, held: bool) -> Iterator[None]:
    """Hold PostgreSQL's write gate (if `held`) around what follows on `conn`. The lock is the
    session's, taken and released outside any transaction (autocommit: one round trip each),
    so the transaction it guards begins (and takes its snapshot) only once the gate is ours.
    A lost connection releases it."""
    if not held:
        yield
        return
    _outside_transaction(conn, _GATE_LOCK)
    try:
        yield
    finally:
        if not conn.invalidated:  # (else the session is gone, and its lock with it)
            try:
                _outside_transaction(conn, _GATE_UNLOCK)
            except BaseException:
                conn.invalidate()  # never back to the pool holding the gate
                raise


def _outside_transaction(conn: Connection, statement: sa.TextClause) -> None:
    # The engine's level, from its options (`get_isolation_level()` would ask the server).
    isolation = conn.get_execution_options()["isolation_level"]
    conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        conn.execute(statement)
    finally:
        conn.rollback()  # ends SQLAlchemy's autobegun transaction (nothing is sent)
        conn.execution_options(isolation_level=isolation)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    engine = sa.create_engine(
        url, connect_args={"timeout": 60, "check_same_thread": False}, **JSON_CODEC
    )

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


# Work to do on a batch's deferred rows of one insert statement just before they are written
# (e.g. numbering events): `{insert: fn(connection, rows)}`, registered by the store's modules.
BEFORE_INSERT: dict[Any, Callable[[Connection, list[dict[str, Any]]], None]] = {}


class _Unit:
    """One caller's write, waiting for its batch to commit."""

    __slots__ = ("done", "fn", "ok", "taken", "value")

    def __init__(self, fn: Callable[[Tx], Any]) -> None:
        self.fn = fn
        self.taken = False  # in a batch that is running
        self.done = False
        self.ok = False
        self.value: Any = None

    def finish(self, ok: bool, value: Any) -> None:
        self.done, self.ok, self.value = True, ok, value

    def fail(self, err: BaseException) -> None:
        if not self.done:
            self.finish(False, err)

    def outcome(self) -> Any:
        if not self.ok:
            raise self.value
        return self.value


def _run_hooks(hooks: list[Callable[[], None]]) -> None:
    """Run after-commit hooks; one that fails is logged and cannot undo what committed."""
    for hook in hooks:
        try:
            hook()
        except Exception:
            log.exception("after-commit hook failed")


def _is_retryable(err: sa.exc.DBAPIError) -> bool:
    return getattr(err.orig, "sqlstate", None) in RETRY_SQLSTATES


class Database:
    """The store's entry point: `write(fn)` and `read(fn)` run `fn(tx)` in one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = url.startswith("postgresql")
        self.listeners: list[Callable[[set[str]], None]] = []
        self.writer: Engine
        self.reader: Engine
        # One write transaction at a time (SQLite has one writer; PostgreSQL's writers take
        # turns at the gate): this process's writers queue here, and those that wait are run
        # together in the next one (see `write`). One process cannot run more Python than one
        # core anyway: workers are the scale-out.
        self._turn = threading.Condition()
        self._queue: list[_Unit] = []
        self._leaders = 0
        # Committed write transactions and the writes they carried (writes/commit = batching).
        self.commits = 0
        self.committed_writes = 0
        self.retries = 0  # PostgreSQL batches rerun after a serialization failure
        self._file_lock: _FileLock | None = None
        # The index levels the last transaction read (they only grow): work that depends on them
        # can be done before a write transaction and checked against them inside it.
        self.levels_seen: tuple[tuple[int, int], ...] | None = None
        if self.postgres:
            base = sa.create_engine(
                url, pool_size=10, max_overflow=20, pool_pre_ping=True, **JSON_CODEC
            )
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
        """Run `fn` in a write transaction and return its result once that has committed.

        Writes that queue up while another is running are run together, in one transaction
        with a savepoint each (group commit): each sees the ones before it, one that fails is
        rolled back to its savepoint alone, and the batch costs one commit (one fsync) instead
        of one each. No result is returned before its batch has committed."""
        unit = _Unit(fn)
        if isolation and self.postgres:  # (SQLite has one isolation: serializable)
            self._lead([unit], isolation)
            return cast(T, unit.outcome())
        with self._turn:
            self._queue.append(unit)
        while True:  # lead batches (oldest writes first) until this one has been run
            with self._turn:
                while not unit.done and (unit.taken or self._leaders > 0):
                    self._turn.wait()
                if unit.done:
                    return cast(T, unit.outcome())
                batch = self._take()
            try:
                self._lead(batch)
            finally:
                with self._turn:
                    self._leaders -= 1
                    self._turn.notify_all()

    def _take(self) -> list[_Unit]:
        """Lead the next batch: the queued units, oldest first (the caller holds `_turn`)."""
        self._leaders += 1
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        for u in batch:
            u.taken = True
        return batch

    def _lead(self, batch: list[_Unit], isolation: str | None = None) -> None:
        """Run a batch to its end: every unit is done afterwards, with its value or error."""
        try:
            self._run_batch(batch, isolation)
        except BaseException as err:
            for u in batch:
                u.fail(err)

    def _run_batch(self, batch: list[_Unit], isolation: str | None = None) -> None:
        """One transaction for the batch: on SQLite holding the write lock; on PostgreSQL
        retried on serialization failures, each write on its own once the batch has failed
        (a smaller transaction collides less, and a retry costs one write, not the batch)."""
        if not self.postgres:
            if self._file_lock is None:
                return self._attempt(self.writer, batch)
            with self._file_lock.held():
                return self._attempt(self.writer, batch)
        engine, gate = self.writer, True
        if isolation:  # (the audit sequencer: not serializable, and under its own lock)
            engine, gate = self.plain.execution_options(isolation_level=isolation), False
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._attempt(engine, batch, gate)
            except sa.exc.DBAPIError as err:
                if not _is_retryable(err) or attempt == MAX_ATTEMPTS - 1:
                    raise
                self.retries += 1
                if len(batch) > 1:
                    for unit in batch:
                        self._lead([unit], isolation)
                    return None
                time.sleep(min(0.2, 0.002 * 2**attempt) * random.uniform(0.5, 1.5))

    def _attempt(self, engine: Engine, batch: list[_Unit], gate: bool = False) -> None:
        """One try at a batch. A lone unit runs without a savepoint: its error is the batch's.
        With `gate`, PostgreSQL's write gate is held from before the transaction to its end."""
        results: list[tuple[_Unit, bool, Any]] = []
        kept: list[Tx] = []  # the transactions of the writes that were not rolled back
        shared: dict[str, Any] = {}
        with engine.connect() as conn, _gate(conn, gate), conn.begin():
            for unit in batch:
                tx = Tx(conn, self, shared)
                if len(batch) == 1:
                    results.append((unit, True, unit.fn(tx)))
                    kept.append(tx)
                    continue
                savepoint = conn.begin_nested()
                try:
                    value = unit.fn(tx)
                except Exception as err:
                    if self.postgres and isinstance(err, sa.exc.DBAPIError) and _is_retryable(err):
                        raise  # the whole transaction is doomed: the batch is retried
                    savepoint.rollback()
                    shared.clear()  # it may hold what the rolled-back write added
                    results.append((unit, False, err))
                else:
                    savepoint.commit()
                    results.append((unit, True, value))
                    kept.append(tx)
            notify = set().union(*(tx.notify for tx in kept))
            self._flush(conn, [row for tx in kept for row in tx.deferred], notify)
        self.commits += 1
        self.committed_writes += len(kept)
        for unit, ok, value in results:  # committed: now, and only now, answer
            unit.finish(ok, value)
        _run_hooks([hook for tx in kept for hook in tx.after_commit])
        self._announce(notify)

    def _flush(
        self, conn: Connection, deferred: list[tuple[Any, dict[str, Any]]], notify: set[str]
    ) -> None:
        """Write the batch's deferred rows (one executemany per statement, in order) and, on
        PostgreSQL, queue a NOTIFY per party to wake other workers' streams at commit."""
        by_statement: dict[Any, list[dict[str, Any]]] = {}
        for stmt, row in deferred:
            by_statement.setdefault(stmt, []).append(row)
        # All before any insert (they may fill rows), in the order they were registered: the
        # same order in every transaction, so the row locks they take cannot deadlock.
        for stmt, hook in BEFORE_INSERT.items():
            if stmt in by_statement:
                hook(conn, by_statement[stmt])
        for stmt, rows in by_statement.items():
            conn.execute(stmt, rows)
        if self.postgres:
            for party in sorted(notify):
                conn.execute(_NOTIFY, {"p": party})

    def read(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` in a read transaction (its after-commit hooks are not run: on PostgreSQL a
        read sees each statement's own snapshot, which is no ground to remember anything)."""
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
