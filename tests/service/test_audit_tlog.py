"""The audit log as a transparency log on the store (SQLite and PostgreSQL): receipts on write
answers and events, leaf indices in commit order without gaps, signed checkpoints, proofs that
verify, and an operator check that finds what was changed."""

from __future__ import annotations

import base64
import threading
from typing import Any

import sqlalchemy as sa
from samples import circle

from deconflict.engine import Kind
from deconflict.errors import StaleVersion
from deconflict.geometry import parse_volumes
from deconflict.service import Principal, Service, audit, audit_check, checks, conflicts, events
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.store import log, tlog
from deconflict.store.schema import audit as audit_table
from deconflict.tlog import merkle
from deconflict.tlog.checkpoint import open_note, parse_verifier
from deconflict.tlog.entry import entry_leaf


def party(svc: Service, name: str) -> Principal:
    return authenticate(svc, create_party(svc, ADMIN, name)["api_key"])


def draft(kind: Kind = Kind.FLIGHT, **kw: Any) -> ops.Draft:
    return ops.Draft(kind, parse_volumes([circle(**kw)]))


def signed(svc: Service) -> tuple[int, bytes]:
    cp = open_note(audit.checkpoint(svc), parse_verifier(audit.key(svc)))
    return cp.size, cp.root


def proven(svc: Service, who: Principal, index: int) -> bool:
    """The entry at `index` is the caller's and is in the latest signed tree."""
    size, root = signed(svc)
    shown = audit.entry(svc, who, index)
    leaf = entry_leaf(shown["entry"])
    assert base64.b64decode(shown["leaf_hash"]) == leaf
    path = [base64.b64decode(h) for h in audit.inclusion(svc, index, size)["hashes"]]
    return merkle.verify_inclusion(index, size, leaf, path, root)


def test_write_answers_and_events_carry_receipts_that_prove(svc: Service) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    made_a = ops.create(svc, a, draft())
    made_b = ops.create(svc, b, draft(Kind.HAZARD))
    conflict_id = made_b["conflicts"][0]["id"]
    acked = conflicts.acknowledge(svc, a, conflict_id)
    said = conflicts.post_message(svc, b, conflict_id, "moving east")
    checked = checks.check(svc, a, Kind.FLIGHT, parse_volumes([circle()]))
    receipts = {
        "operation.created": [made_a["audit_index"], made_b["audit_index"]],
        "conflict.acknowledged": [acked["audit_index"]],
        "conflict.message": [said["audit_index"]],
        "check": [checked["audit_index"]],
    }
    audit.sequence(svc)
    for action, indices in receipts.items():
        for index in indices:
            who = a if index in (made_a["audit_index"], acked["audit_index"]) else b
            if action == "check":
                who = a
            assert audit.entry(svc, who, index)["entry"]["action"] == action
            assert proven(svc, who, index)
    for who in (a, b):
        told = events.after(svc, who, 0)
        assert told and all(isinstance(e["data"]["audit_index"], int) for e in told)
        for e in told:
            entry = audit.entry(svc, who, e["data"]["audit_index"])["entry"]
            assert entry["action"] == "disclosed" and entry["data"]["seq"] == e["seq"]
            assert proven(svc, who, e["data"]["audit_index"])


def test_a_replayed_idempotent_write_answers_the_same_receipt(svc: Service) -> None:
    a = party(svc, "North")
    first = ops.create(svc, a, draft(), idem="k1", print_="p")
    again = ops.create(svc, a, draft(), idem="k1", print_="p")
    assert isinstance(first["audit_index"], int) and again == first


def test_indices_follow_commits_without_gaps_under_concurrency(svc: Service) -> None:
    """Concurrent writers, some of which fail and roll back inside a batch: every committed
    entry has an index, the indices are 0..n-1, and the counter is n."""
    a = party(svc, "North")
    op = ops.create(svc, a, draft())["operation"]
    failures: list[BaseException] = []

    def work(n: int) -> None:
        for i in range(6):
            try:
                if (n + i) % 3 == 0:
                    ops.change(svc, a, op["id"], ops.Change(label="x"), if_match=999)
                else:
                    ops.create(svc, a, draft(lat=10 + n, lng=10 + i))
            except StaleVersion:
                pass
            except BaseException as err:  # pragma: no cover - reported below
                failures.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    with svc.db.connect() as conn:
        positions = conn.execute(sa.select(audit_table.c.position)).scalars().all()
    assert sorted(positions) == list(range(len(positions)))
    assert svc.read(tlog.head_size) == len(positions)


def test_checkpoints_grow_consistently(svc: Service) -> None:
    a = party(svc, "North")
    audit.sequence(svc)
    old_size, old_root = signed(svc)
    for n in range(5):
        ops.create(svc, a, draft(lat=20 + n))
    assert audit.sequence(svc) >= 5
    new_size, new_root = signed(svc)
    assert new_size > old_size
    path = [base64.b64decode(h) for h in audit.consistency(svc, old_size, new_size)["hashes"]]
    assert merkle.verify_consistency(old_size, new_size, old_root, new_root, path)
    assert audit_check.verify(svc).ok


def test_the_sequencer_signs_nothing_over_a_tree_that_changed(svc: Service) -> None:
    a = party(svc, "North")
    ops.create(svc, a, draft())
    audit.sequence(svc)
    size, _ = signed(svc)
    with svc.db.writer.begin() as conn:  # someone rewrites the stored tree
        conn.execute(sa.text("UPDATE audit SET hash = :h"), {"h": "00" * 32})
        conn.execute(sa.text("UPDATE audit_nodes SET hash = :h"), {"h": "00" * 32})
    ops.create(svc, a, draft(lat=30))
    try:
        audit.sequence(svc)
    except audit.LogBroken:
        pass
    else:
        raise AssertionError("signed over a changed tree")
    assert signed(svc)[0] == size
    assert audit_check.verify(svc).problem == (
        "entry 0: its stored leaf hash is not the hash of its content"
    )


def test_a_failed_commit_leaves_a_gap_the_sequencer_fills(svc: Service) -> None:
    """PostgreSQL hands out indices from a sequence: a transaction that takes some and then
    fails leaves them unused. The sequencer fills each with a `gap` entry once no commit is
    under way, and the tree stays whole. (SQLite's counter rolls back: no gap to fill.)"""
    a = party(svc, "North")
    with svc.db.plain.connect() as conn:
        conn.begin()
        lost = log.take_indices(conn, 2)
        conn.rollback()
    made = ops.create(svc, a, draft())
    assert audit.sequence(svc) >= 1
    with svc.db.connect() as conn:
        rows = conn.execute(sa.select(audit_table.c.position, audit_table.c.action)).all()
    gaps = sorted(p for p, action in rows if action == "gap")
    assert sorted(p for p, _ in rows) == list(range(len(rows)))
    if svc.db.postgres:
        assert gaps == [lost, lost + 1] and made["audit_index"] > lost + 1
    else:
        assert gaps == [] and made["audit_index"] <= lost
    assert audit_check.verify(svc).ok
