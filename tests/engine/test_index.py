"""The VolumeIndex: insert, replace and remove keep `detect` equal to brute force."""

from __future__ import annotations

import itertools
import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule
from strategies import examples, operations, random_operations, rules_tables

from deconflict.engine import (
    Operation,
    Rules,
    VolumeIndex,
    conflicts_between,
    detect,
    query_key_ranges,
    query_keys,
    volume_key,
)
from deconflict.engine.index import key_levels
from deconflict.geometry import volumes_conflict


class IndexMachine(RuleBasedStateMachine):
    """A model dict of operations beside the index; every query compares detect to the model."""

    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.index = VolumeIndex()
        self.model: dict[str, Operation] = {}
        self.rules = Rules()

    @rule(target=ids, n=st.integers(0, 10**6))
    def new_id(self, n: int) -> str:
        return f"op-{n}"

    @rule(op_id=ids, data=st.data())
    def upsert(self, op_id: str, data: st.DataObject) -> None:
        op = data.draw(operations(op_id))
        self.index.upsert(op)
        self.model[op_id] = op

    @rule(op_id=ids)
    def remove(self, op_id: str) -> None:
        self.index.remove(op_id)
        self.model.pop(op_id, None)

    @rule(rules=rules_tables)
    def change_rules(self, rules: Rules) -> None:
        self.rules = rules

    @rule(data=st.data())
    def query(self, data: st.DataObject) -> None:
        op = data.draw(operations("probe"))  # a check that is not stored
        self._compare(op)

    @rule(op_id=ids)
    def query_stored(self, op_id: str) -> None:
        if op_id in self.model:
            self._compare(self.model[op_id])

    def _compare(self, op: Operation) -> None:
        want = [
            c.b_operation
            for other in sorted(self.model.values(), key=lambda o: o.id)
            if other.id != op.id and (c := conflicts_between(op, other, self.rules)) is not None
        ]
        assert [c.b_operation for c in detect(op, self.index, self.rules)] == want

    @invariant()
    def contents_agree(self) -> None:
        assert len(self.index) == sum(len(o.volumes) for o in self.model.values())
        assert {o.id for o in self.index.operations()} == set(self.model)
        for op_id, op in self.model.items():
            assert op_id in self.index and self.index.get(op_id) == op


IndexMachine.TestCase.settings = settings(max_examples=examples(40), stateful_step_count=30)
TestIndex = IndexMachine.TestCase


def test_candidates_are_a_superset_of_every_conflict() -> None:
    ops = random_operations(random.Random(11), 600, spread_m=40_000.0, days=1.0)
    index = VolumeIndex()
    for op in ops:
        index.upsert(op)
    stored = [(op, j, w) for op in ops for j, w in enumerate(op.volumes)]
    for h, v_sep in ((0.0, 0.0), (5_000.0, 300.0)):
        for op in ops[:60]:
            for v in op.volumes:
                got = {(o.id, j) for o, j in index.candidates(v, h, v_sep)}
                want = {(o.id, j) for o, j, w in stored if volumes_conflict(v, w, h, v_sep)}
                assert want <= got


def test_key_ranges_cover_the_query_keys() -> None:
    (op,) = random_operations(random.Random(5), 1)
    v = op.volumes[0]
    levels = [key_levels(volume_key(w)) for w in op.volumes] + [(0, 0), (5, 5)]
    keys = set(query_keys(v, 1_000.0, levels))
    ranges = query_key_ranges(v, 1_000.0, levels)
    assert keys == {k for lo, hi in ranges for k in range(lo, hi + 1)}
    assert all(a[1] + 1 < b[0] for a, b in itertools.pairwise(ranges))
    assert volume_key(v) in set(query_keys(v, 0.0, [key_levels(volume_key(v))]))
