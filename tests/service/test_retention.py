"""Retention on the store (SQLite and PostgreSQL): events, `probe` notices, idempotency keys
and probe-budget hits go once older than their windows; the audit log never does; a stream
resuming from a pruned event number is told what it missed."""

from __future__ import annotations

import sqlalchemy as sa
from samples import circle

from deconflict.engine import Kind, State
from deconflict.geometry import parse_volumes
from deconflict.limits import HOUR_S, Retention
from deconflict.service import Principal, Service, checks, events
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.service.retention import prune
from deconflict.store.schema import audit, idempotency, probe_hits
from deconflict.store.schema import events as events_table


def _party(svc: Service, name: str) -> Principal:
    return authenticate(svc, create_party(svc, ADMIN, name)["api_key"])


def _count(svc: Service, table: sa.Table, **where: str) -> int:
    q = sa.select(sa.func.count()).select_from(table)
    for col, value in where.items():
        q = q.where(table.c[col] == value)
    return int(svc.read(lambda tx: tx.execute(q).scalar_one()))


def test_windows_prune_what_grows_and_never_the_audit_log(svc: Service) -> None:
    svc.config = svc.config.with_(retention=Retention(events_s=10 * HOUR_S,
                                                      idempotency_s=5 * HOUR_S,
                                                      probes_s=2 * HOUR_S))  # fmt: skip
    t = [1_000_000.0]
    svc.clock = lambda: t[0]
    a, b = _party(svc, "A"), _party(svc, "B")
    draft = ops.Draft(Kind.HAZARD, parse_volumes([circle()]), State.PLANNED)
    ops.create(svc, a, draft)
    checks.check(svc, b, Kind.FLIGHT, parse_volumes([circle()]), "k1", "print")
    ops.create(svc, b, ops.Draft(Kind.FLIGHT, parse_volumes([circle()]), State.PLANNED))
    kinds = [e["type"] for e in events.after(svc, a, 0)]
    assert "probe" in kinds and "conflict.opened" in kinds
    logged = _count(svc, audit)
    assert prune(svc) == {"events": 0, "probes": 0, "idempotency": 0, "probe_hits": 0}

    t[0] += 1.5 * HOUR_S  # the probe budget's hour is over
    assert prune(svc)["probe_hits"] == 1 and _count(svc, probe_hits) == 0
    t[0] += HOUR_S  # past the probe window: the probe notice goes, the rest stays
    gone = prune(svc)
    assert gone["probes"] == 1 and gone["events"] == 0
    assert "probe" not in [e["type"] for e in events.after(svc, a, 0)]
    t[0] += 3 * HOUR_S  # past the idempotency window
    assert prune(svc)["idempotency"] == 1 and _count(svc, idempotency) == 0
    t[0] += 5 * HOUR_S  # past the event window
    assert prune(svc)["events"] > 0 and _count(svc, events_table) == 0
    assert _count(svc, audit) == logged  # pruning writes no entry and removes none


def test_a_resumed_stream_learns_which_events_were_pruned(svc: Service) -> None:
    svc.config = svc.config.with_(retention=Retention(events_s=HOUR_S, probes_s=HOUR_S))
    t = [1_000_000.0]
    svc.clock = lambda: t[0]
    a, b = _party(svc, "A"), _party(svc, "B")
    ops.create(svc, a, ops.Draft(Kind.HAZARD, parse_volumes([circle()]), State.PLANNED))
    ops.create(svc, b, ops.Draft(Kind.FLIGHT, parse_volumes([circle()]), State.PLANNED))
    first = events.latest(svc, a)
    assert first >= 1 and events.gap(svc, a, 0) is None
    t[0] += 2 * HOUR_S
    prune(svc)
    assert events.gap(svc, a, 0) == {"after": 0, "missing_through": first}
    assert events.gap(svc, a, first) is None  # a client that had them all missed nothing
    ops.create(svc, b, ops.Draft(Kind.FLIGHT, parse_volumes([circle()]), State.PLANNED))
    assert events.gap(svc, a, 0) == {"after": 0, "missing_through": first}
    assert events.after(svc, a, 0)[0]["seq"] == first + 1
