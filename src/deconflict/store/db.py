"""Connections and transactions: one `Database` over SQLite (one writer) or PostgreSQL
(serializable, retried). Write units are callables so a serialization failure can rerun them."""

from __future__ import annotations

import fcntl
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import orjson
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

from deconflict.store.outage import mapped
from deconflict.store.turns import OTHER, UNLOCK_ALL, WORLD, Turn

T = TypeVar("T")
log = logging.getLogger("deconflict")
MAX_ATTEMPTS = 40
# Most writes one transaction runs together (group commit; see `Database.write`).
MAX_BATCH = 64
# Wakes other workers' event streams (api.hub listens); delivered when the transaction commits.
EVENTS_CHANNEL = "deconflict_events"
_NOTIFY = sa.text(f"SELECT pg_notify('{EVENTS_CHANNEL}', :p)")
# PostgreSQL's write turns (see `store.turns`): each write batch of every worker holds the turn
# of the regions its candidate search covers, as session advisory locks taken BEFORE its
# serializable transaction begins. Writes that could meet take turns, as on SQLite, and each
# one's snapshot already holds every write committed before it, so they do not abort each
# other (measured with two workers in a dense area: 0.18 aborted transactions a write without
# a gate, with shared and then exclusive locks taken inside the transaction); writes far apart
# run side by side. The transaction stays SERIALIZABLE: that is the guarantee, against any
# writer that does not take a turn; turns only spare the retries.
# Most write batches one process runs at once (each holds a connection).
MAX_LEADERS = 8
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
def _gate(conn: Connection, turn: Turn | None) -> Iterator[None]:
    """Hold a write turn on PostgreSQL (if any) around what follows on `conn`. The locks are the
    session's, taken and released outside any transaction (autocommit: one round trip each),
    so the transaction they guard begins (and takes its snapshot) only once the turn is ours.
    A lost connection releases them."""
    if turn is None:
        yield
        return
    _outside_transaction(conn, turn.locks())
    try:
        yield
    finally:
        if not conn.invalidated:  # (else the session is gone, and its locks with it)
            try:
                _outside_transaction(conn, UNLOCK_ALL)
            except BaseException:
                conn.invalidate()  # never back to the pool holding a turn
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


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    """No JIT: the candidate search's per-range index scans are planned at a cost that
    triggers it, and compiling takes longer (~10 ms) than the search itself."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    dbapi_conn.execute("SET jit = off")
    dbapi_conn.autocommit = autocommit


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

    __slots__ = ("done", "fn", "ok", "taken", "turn", "value")

    def __init__(self, fn: Callable[[Tx], Any], turn: Turn) -> None:
        self.fn = fn
        self.turn = turn
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
        # This process's writers queue here. A batch is led when its turn clashes with no batch
        # running (SQLite: every turn is the world's, one writer; PostgreSQL: by region), and
        # writes queued meanwhile within its turn are run with it (see `write`).
        self._turn = threading.Condition()
        self._queue: list[_Unit] = []
        self._running: list[Turn] = []
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
            event.listen(base, "connect", _postgres_session)
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

    def write(
        self, fn: Callable[[Tx], T], isolation: str | None = None, turn: Turn = OTHER
    ) -> T:
        """Run `fn` in a write transaction and return its result once that has committed.

        `turn` says what the write may meet (`store.turns`): writes whose turns clash take
        turns; on PostgreSQL the others run side by side. Writes that queue up while a clashing
        one is running are run together, in one transaction with a savepoint each (group
        commit): each sees the ones before it, one that fails is rolled back to its savepoint
        alone, and the batch costs one commit (one fsync) instead of one each. No result is
        returned before its batch has committed. A database that cannot be reached raises
        `Unavailable` (see `store.outage`)."""
        with mapped():
            return self._write(fn, isolation, turn if self.postgres else WORLD)

    def _write(self, fn: Callable[[Tx], T], isolation: str | None, turn: Turn) -> T:
        unit = _Unit(fn, turn)
        if isolation and self.postgres:  # (SQLite has one isolation: serializable)
            self._lead([unit], None, isolation)
            return cast(T, unit.outcome())
        with self._turn:
            self._queue.append(unit)
        self._await(unit)
        return cast(T, unit.outcome())

    def write_all(
        self, fns: Sequence[Callable[[Tx], T]], turns: Sequence[Turn]
    ) -> list[tuple[bool, T | BaseException]]:
        """Run each `fn` as its own write in its turn, queued together so that they share group
        commits (up to MAX_BATCH a transaction, a savepoint each): (True, value) or (False,
        error)."""
        units = [
            _Unit(fn, turn if self.postgres else WORLD) for fn, turn in zip(fns, turns, strict=True)
        ]
        with mapped():
            with self._turn:
                self._queue.extend(units)
            for unit in units:
                self._await(unit)
        return [(u.ok, u.value) for u in units]

    def _await(self, unit: _Unit) -> None:
        """Lead batches (oldest writes first) until `unit` has been run."""
        while True:
            with self._turn:
                while True:
                    if unit.done:
                        return
                    taken = None if unit.taken else self._take()
                    if taken is not None:
                        break
                    self._turn.wait()
            batch, lead = taken
            try:
                self._lead(batch, lead)
            finally:
                with self._turn:
                    self._running.remove(lead)
                    self._turn.notify_all()

    def _take(self) -> tuple[list[_Unit], Turn] | None:
        """The next batch to lead and its turn (the caller holds `_turn`): the oldest queued
        unit whose turn clashes with no running batch nor older waiting unit, and the later
        ones that may join it (`Turn.joins`) that nothing older holds back; None if there is
        none now."""
        if len(self._running) >= MAX_LEADERS:
            return None
        held: list[Turn] = list(self._running)
        for i, first in enumerate(self._queue):
            if any(first.turn.clashes(t) for t in held):
                held.append(first.turn)
                continue
            batch, turn = [first], first.turn
            for later in self._queue[i + 1 :]:
                if len(batch) == MAX_BATCH:
                    break
                if turn.joins(later.turn) and not any(later.turn.clashes(t) for t in held):
                    batch.append(later)
                    turn |= later.turn
                else:
                    held.append(later.turn)
            taken = set(map(id, batch))
            self._queue = [u for u in self._queue if id(u) not in taken]
            for u in batch:
                u.taken = True
            self._running.append(turn)
            return batch, turn
        return None

    def _lead(self, batch: list[_Unit], turn: Turn | None, isolation: str | None = None) -> None:
        """Run a batch to its end: every unit is done afterwards, with its value or error."""
        try:
            self._run_batch(batch, turn, isolation)
        except BaseException as err:
            for u in batch:
                u.fail(err)

    def _run_batch(
        self, batch: list[_Unit], turn: Turn | None, isolation: str | None = None
    ) -> None:
        """One transaction for the batch: on SQLite holding the write lock; on PostgreSQL
        retried on serialization failures, each write on its own once the batch has failed
        (a smaller transaction collides less, and a retry costs one write, not the batch)."""
        if not self.postgres:
            if self._file_lock is None:
                return self._attempt(self.writer, batch)
            with self._file_lock.held():
                return self._attempt(self.writer, batch)
        engine = self.writer
        if isolation:  # (the audit sequencer: not serializable, and under its own lock)
            engine, turn = self.plain.execution_options(isolation_level=isolation), None
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._attempt(engine, batch, turn)
            except sa.exc.DBAPIError as err:
                if not _is_retryable(err) or attempt == MAX_ATTEMPTS - 1:
                    raise
                self.retries += 1
                if len(batch) > 1:
                    for unit in batch:
                        self._lead([unit], unit.turn, isolation)
                    return None
                time.sleep(min(0.2, 0.002 * 2**attempt) * random.uniform(0.5, 1.5))

    def _attempt(self, engine: Engine, batch: list[_Unit], turn: Turn | None = None) -> None:
        """One try at a batch. A lone unit runs without a savepoint: its error is the batch's.
        With a `turn` (PostgreSQL), it is held from before the transaction to its end."""
        results: list[tuple[_Unit, bool, Any]] = []
        kept: list[Tx] = []  # the transactions of the writes that were not rolled back
        shared: dict[str, Any] = {}
        with engine.connect() as conn, _gate(conn, turn), conn.begin():
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
        with mapped(), self.reader.connect() as conn, conn.begin():
            return fn(Tx(conn, self))

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with mapped(), self.plain.connect() as conn:
            yield conn

    def _announce(self, parties: set[str]) -> None:
        if parties:
            for listener in list(self.listeners):
                listener(parties)
