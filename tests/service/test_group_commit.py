"""Group commit (`store.Database.write`): writes that queue up run in one transaction, each in
its own savepoint; none is answered before its batch has committed (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pg import postgres
from psycopg.errors import SerializationFailure
from samples import circle

from deconflict.engine import key_levels, volume_key
from deconflict.geometry import parse_volumes, volume_to_json
from deconflict.store import Database, Tx, migrate
from deconflict.store.log import insert_event
from deconflict.store.operations import insert_operation, insert_volumes, levels
from deconflict.store.parties import insert_party
from deconflict.store.schema import audit, events, meta, parties
from deconflict.store.turns import WORLD_KEY


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    migrate(database)
    yield database
    database.dispose()


hooks: list[str] = []  # keys whose write's after-commit hook ran


def put(key: str, then: Callable[[Tx], Any] | None = None) -> Callable[[Tx], Any]:
    """A write that stores `key` and answers how many keys it saw (its own included)."""

    def unit(tx: Tx) -> Any:
        tx.execute(meta.insert().values(key=key, value="v"))
        seen = tx.execute(sa.select(sa.func.count()).select_from(meta)).scalar_one()
        tx.after_commit.append(lambda: hooks.append(key))
        return then(tx) if then else seen

    return unit


def stored(db: Database) -> set[str]:
    with db.connect() as conn:
        return {r.key for r in conn.execute(sa.select(meta.c.key))}


def queue_behind_a_blocker(db: Database, units: list[Callable[[Tx], Any]]) -> list[Any]:
    """Hold the write turn with one write while `units` queue up (one thread each), then let
    them run; answers (value or exception) in the order of `units`."""
    entered, release = threading.Event(), threading.Event()

    def blocker(tx: Tx) -> None:
        entered.set()
        assert release.wait(30)

    first = threading.Thread(target=db.write, args=(blocker,))
    first.start()
    assert entered.wait(30)
    answers: list[Any] = [None] * len(units)

    def call(i: int) -> None:
        try:
            answers[i] = db.write(units[i])
        except Exception as err:
            answers[i] = err

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(units))]
    for i, t in enumerate(threads):
        t.start()
        while len(db._queue) <= i:  # queue them in order, so the batch order is known
            threading.Event().wait(0.001)
    release.set()
    for t in [first, *threads]:
        t.join(30)
    return answers


def test_queued_writes_commit_together_and_each_sees_those_before(db: Database) -> None:
    hooks.clear()
    before = db.commits
    keys = [f"k{i}" for i in range(12)]
    before_keys = len(stored(db))
    answers = queue_behind_a_blocker(db, [put(k) for k in keys])
    assert answers == [before_keys + i + 1 for i in range(len(keys))]
    assert set(keys) <= stored(db)
    assert hooks == keys
    # The blocker's commit, then one commit for all twelve queued writes.
    assert db.commits - before == 2


def test_a_failing_write_is_rolled_back_alone(db: Database) -> None:
    hooks.clear()

    def fail(tx: Tx) -> None:
        raise LookupError("refused")

    answers = queue_behind_a_blocker(db, [put("a"), put("b", then=fail), put("c")])
    assert isinstance(answers[1], LookupError)
    assert answers[0] == answers[2] - 1  # "c" saw "a" but not the rolled-back "b"
    keys = stored(db)
    assert {"a", "c"} <= keys and "b" not in keys
    assert hooks == ["a", "c"]  # the failed write's after-commit work never runs


def test_a_failed_commit_fails_every_write_of_its_batch(tmp_path: Path) -> None:
    """No write is answered before its batch commits: when the commit itself fails (here a
    foreign key checked only at COMMIT), every write of the batch gets the error."""
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    migrate(db)
    hooks.clear()

    def orphan(tx: Tx) -> None:
        tx.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
        tx.execute(
            sa.text(
                "INSERT INTO operations (id, party_id, kind, state, version, label, created_at,"
                " updated_at) VALUES ('o', 'no-such-party', 'flight', 'planned', 1, '', 0, 0)"
            )
        )

    try:
        answers = queue_behind_a_blocker(db, [put("x"), orphan, put("y")])
        assert all(isinstance(a, sa.exc.IntegrityError) for a in answers), answers
        assert not {"x", "y"} & stored(db)
        assert hooks == []
    finally:
        db.dispose()


def test_many_writers_at_once_all_land(db: Database) -> None:
    keys = [f"w{i}" for i in range(150)]  # more than one batch can hold
    errors: list[BaseException] = []

    def call(k: str) -> None:
        try:
            db.write(put(k))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=call, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert set(keys) <= stored(db)


def test_a_level_added_by_a_rolled_back_write_is_still_recorded_by_the_next(
    db: Database,
) -> None:
    """The index levels are shared by a batch's writes. If a write that added a new level is
    rolled back, a later write of the batch at that level must still record it: otherwise
    candidate searches would skip the level and miss conflicts (a false negative)."""
    (vol,) = parse_volumes([circle(radius=40_000, end=50)])  # a level no other test stores
    level = key_levels(volume_key(vol))
    db.write(lambda tx: insert_party(tx, "p", "P", "h", 0.0))

    def store_op(op_id: str, fail: bool) -> Callable[[Tx], Any]:
        def unit(tx: Tx) -> None:
            insert_operation(
                tx, id=op_id, party_id="p", kind="flight", state="planned", version=1,
                label="", created_at=0.0, updated_at=0.0,
            )  # fmt: skip
            insert_volumes(tx, op_id, [(volume_to_json(vol), vol)])
            if fail:
                raise LookupError("refused after adding the level")

        return unit

    answers = queue_behind_a_blocker(db, [store_op("a", True), store_op("b", False)])
    assert isinstance(answers[0], LookupError) and answers[1] is None
    assert level in db.read(levels)


@pytest.fixture
def pg_db() -> Iterator[Database]:
    for url in postgres():
        database = Database(url)
        migrate(database)
        yield database
        database.dispose()


@pytest.mark.postgres
def test_a_write_aborted_by_serialization_failures_is_retried_at_the_gate(
    pg_db: Database,
) -> None:
    """PostgreSQL: a write aborted by serialization failures is retried, each try holding the
    write gate, which is free again afterwards."""
    held: list[list[str]] = []

    def unit(tx: Tx) -> str:
        held.append(sorted(tx.execute(HELD_ADVISORY).scalars()))
        assert tx.execute(sa.text("SHOW transaction_isolation")).scalar() == "serializable"
        if len(held) <= 3:
            raise sa.exc.OperationalError("forced", {}, SerializationFailure("forced"))
        return "landed"

    retries = pg_db.retries
    assert pg_db.write(unit) == "landed"
    assert held == [["ExclusiveLock", "ShareLock"]] * 4  # its lane's, and the world's shared
    assert pg_db.retries - retries == 3
    with pg_db.connect() as conn:
        assert conn.execute(sa.text(f"SELECT pg_try_advisory_lock({WORLD_KEY})")).scalar()
        conn.execute(sa.text(f"SELECT pg_advisory_unlock({WORLD_KEY})"))


@pytest.mark.postgres
def test_two_workers_take_turns_and_the_later_write_sees_the_earlier(pg_db: Database) -> None:
    """PostgreSQL: a second worker's write waits at the gate outside any transaction, so once
    the first has committed it begins with a snapshot that holds the first's write (waiting
    inside its transaction it would not see it), and neither is aborted."""
    other = Database(pg_db.url)  # a second worker on the same database
    inside, release = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def first(tx: Tx) -> None:
        insert_party(tx, "w1", "W1", "h1", 0.0)
        inside.set()
        assert release.wait(20)

    def second(tx: Tx) -> None:
        seen.append(sorted(tx.execute(sa.select(parties.c.id)).scalars()))
        insert_party(tx, "w2", "W2", "h2", 0.0)

    retries = pg_db.retries, other.retries
    one = threading.Thread(target=pg_db.write, args=(first,))
    one.start()
    try:
        assert inside.wait(20)
        two = threading.Thread(target=other.write, args=(second,))
        two.start()
        two.join(0.5)
        assert seen == []  # still waiting at the gate
    finally:
        release.set()
        one.join(20)
    two.join(20)
    other.dispose()
    assert seen == [["w1"]]
    assert (pg_db.retries, other.retries) == retries


HELD_ADVISORY = sa.text(
    "SELECT mode FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
)


def test_events_of_a_batch_are_numbered_in_order_without_gaps(db: Database) -> None:
    """Events are numbered at commit, per party, in the order their writes ran; a rolled-back
    write's events take no number, and each disclosure in the audit log names its event's."""
    for party in ("p", "q"):
        db.write(lambda tx, party=party: insert_party(tx, party, party.upper(), party, 0.0))

    def tell(n: int, fail: bool = False) -> Callable[[Tx], Any]:
        def unit(tx: Tx) -> None:
            insert_event(tx, "p", "note", {"id": f"n{n}"}, 0.0, f"n{n}")
            insert_event(tx, "q", "note", {"id": f"n{n}"}, 0.0, f"n{n}")
            if fail:
                raise LookupError("rolled back")

        return unit

    queue_behind_a_blocker(db, [tell(1), tell(2, fail=True), tell(3), tell(4)])
    with db.connect() as conn:
        for party in ("p", "q"):
            got = conn.execute(
                sa.select(events.c.seq, events.c.data)
                .where(events.c.party_id == party)
                .order_by(events.c.seq)
            ).all()
            assert [(r.seq, r.data["id"]) for r in got] == [(1, "n1"), (2, "n3"), (3, "n4")]
        told = conn.execute(
            sa.select(audit.c.subject, audit.c.data)
            .where(audit.c.action == "disclosed", audit.c.party_id == "p")
            .order_by(audit.c.id)
        ).all()
        assert [(r.subject, r.data) for r in told] == [
            (f"n{n}", {"event": "note", "seq": s}) for n, s in ((1, 1), (3, 2), (4, 3))
        ]


@pytest.mark.postgres
def test_a_batch_aborted_by_a_serialization_failure_is_retried_write_by_write(
    pg_db: Database,
) -> None:
    runs: list[str] = []

    def flaky(tx: Tx) -> Any:
        runs.append("flaky")
        if runs.count("flaky") == 1:
            raise sa.exc.OperationalError("forced", {}, SerializationFailure("forced"))
        return put("f")(tx)

    before = pg_db.commits
    answers = queue_behind_a_blocker(pg_db, [put("e"), flaky, put("g")])
    assert not any(isinstance(a, Exception) for a in answers), answers
    assert {"e", "f", "g"} <= stored(pg_db)
    # The blocker's commit, then (the batch having failed) one commit per write.
    assert pg_db.commits - before == 4
