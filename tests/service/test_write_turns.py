"""Write turns (`store.turns`) and how one process schedules them (`Database.write`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from pg import postgres

from deconflict.store import Database, Tx, migrate
from deconflict.store.turns import OTHER, TRACKS, WORLD, Turn, in_regions

HERE, THERE = in_regions({1, 2}), in_regions({7})


def test_turns_clash_on_a_shared_region_or_lane_or_the_world() -> None:
    assert HERE.clashes(in_regions({2, 3}))
    assert not HERE.clashes(THERE)
    assert not HERE.clashes(OTHER) and not OTHER.clashes(TRACKS)
    assert all(WORLD.clashes(t) and t.clashes(WORLD) for t in (HERE, THERE, OTHER))
    assert in_regions(None) == WORLD


def test_a_batch_joins_writes_near_it_and_holds_their_union() -> None:
    near = in_regions({2, 5})
    assert HERE.joins(near) and (HERE | near) == in_regions({1, 2, 5})
    assert not HERE.joins(THERE) and not HERE.joins(WORLD)
    assert WORLD.joins(THERE) and (HERE | WORLD) == WORLD


def test_locks_are_taken_in_one_order() -> None:
    sql = str(Turn(regions=frozenset({9, 3, 5})).locks())
    assert sql.index("_shared(") < sql.index(", 3)") < sql.index(", 5)") < sql.index(", 9)")
    assert "shared" not in str(WORLD.locks())


@pytest.fixture
def pg_db() -> Iterator[Database]:
    for url in postgres():
        database = Database(url)
        migrate(database)
        yield database
        database.dispose()


@pytest.mark.postgres
def test_one_process_runs_writes_far_apart_side_by_side(pg_db: Database) -> None:
    """The write here waits inside its transaction for the write there to commit: were they
    run one after the other (one batch, or one turn), it would wait forever."""
    here_inside, there_done = threading.Event(), threading.Event()
    results: list[str] = []

    def here(tx: Tx) -> str:
        here_inside.set()
        assert there_done.wait(20), "the write far away never ran meanwhile"
        return "here"

    def there(tx: Tx) -> str:
        return "there"

    first = threading.Thread(target=lambda: results.append(pg_db.write(here, turn=HERE)))
    first.start()
    assert here_inside.wait(20)
    results.append(pg_db.write(there, turn=THERE))
    there_done.set()
    first.join(30)
    assert results == ["there", "here"]
