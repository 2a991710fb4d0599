"""`detect` through the index finds exactly what brute force over every stored operation finds."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given, settings
from strategies import examples, random_operations, scenarios

from deconflict.engine import (
    Conflict,
    Kind,
    Operation,
    Rules,
    Separation,
    VolumeIndex,
    conflicts_between,
    detect,
)


def brute_force(op: Operation, stored: list[Operation], rules: Rules) -> list[Conflict]:
    found = [conflicts_between(op, other, rules) for other in stored if other.id != op.id]
    return sorted((c for c in found if c is not None), key=lambda c: c.b_operation)


def same(got: list[Conflict], want: list[Conflict]) -> None:
    assert [c.b_operation for c in got] == [c.b_operation for c in want]
    for g, w in zip(got, want, strict=True):
        assert (g.a_operation, g.a_party, g.a_kind, g.b_party, g.b_kind) == (
            w.a_operation,
            w.a_party,
            w.a_kind,
            w.b_party,
            w.b_kind,
        )
        assert Counter(g.regions) == Counter(w.regions)


def check(ops: list[Operation], rules: Rules, queries: int, seed: int = 0) -> int:
    index = VolumeIndex()
    for op in ops:
        index.upsert(op)
    total = 0
    for op in random.Random(seed).sample(ops, min(queries, len(ops))):
        want = brute_force(op, ops, rules)
        same(detect(op, index, rules), want)
        total += len(want)
    return total


@settings(max_examples=examples(12))
@given(scenarios())
def test_detect_equals_brute_force(scenario: tuple[list[Operation], Rules]) -> None:
    ops, rules = scenario
    check(ops, rules, queries=15)


SEPARATED = (
    Rules()
    .with_separation(Kind.FLIGHT, Kind.FLIGHT, Separation(9_260.0, 304.8))
    .with_separation(Kind.FLIGHT, Kind.HAZARD, Separation(2_000.0, 150.0))
    .with_separation(Kind.HAZARD, Kind.PRESENCE, Separation(500.0, 0.0))
)


@pytest.mark.slow
@pytest.mark.parametrize("rules", [Rules(), SEPARATED], ids=["separation-0", "separated"])
def test_three_thousand_volumes_around_cities(rules: Rules) -> None:
    ops = random_operations(random.Random(7), 1_900, spread_m=80_000.0, days=2.0)
    assert sum(len(o.volumes) for o in ops) >= 3_000
    found = check(ops, rules, queries=80, seed=1)
    assert found > 20  # the scenario is dense enough to mean something


def test_detect_finds_flat_bands() -> None:
    # A ground camp (band [0, 0]) under a live-fire range from the ground up must conflict;
    ops = random_operations(random.Random(3), 400, spread_m=20_000.0, days=1.0, flat=True)
    check(ops, Rules(), queries=len(ops))
