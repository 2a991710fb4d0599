"""In-memory spatial-temporal index of operations' volumes (the engine's working set)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

from deconflict.engine.index import (
    BucketOccupancy,
    Columns,
    Occupancy,
    key_levels,
    many_key_ranges,
    slices,
    volume_key,
)
from deconflict.engine.model import Operation
from deconflict.geometry import Volume

IntArray = npt.NDArray[np.int64]


class KeyTable:
    """(key, slot) pairs sorted by key, for range look-ups with `searchsorted`.

    A large sorted run plus a small run of recent inserts, merged when the small one grows, so
    an insert costs O(n / MERGE_AT) amortised and a look-up two binary searches per range.
    Removed slots stay in the large run (their columns are NaN, so the pre-filter drops them)
    until the next merge purges them; only then may their slots be reused.
    """

    MERGE_AT = 4096

    def __init__(self) -> None:
        self._keys: IntArray = np.empty(0, dtype=np.int64)
        self._slots: IntArray = np.empty(0, dtype=np.int64)
        self._recent: dict[int, int] = {}  # slot -> key
        self._recent_run: tuple[IntArray, IntArray] | None = None
        self._stale: list[int] = []

    def add(self, slot: int, key: int) -> list[int]:
        """Add a pair; returns slots that became free for reuse (after a merge)."""
        self._recent[slot] = key
        self._recent_run = None
        return self._merge() if len(self._recent) >= self.MERGE_AT else []

    def remove(self, slot: int) -> bool:
        """Forget a slot; True when it can be reused at once."""
        if self._recent.pop(slot, None) is not None:
            self._recent_run = None
            return True
        self._stale.append(slot)
        return False

    def _run(self) -> tuple[IntArray, IntArray]:
        if self._recent_run is None:
            slots = np.fromiter(self._recent.keys(), dtype=np.int64, count=len(self._recent))
            keys = np.fromiter(self._recent.values(), dtype=np.int64, count=len(self._recent))
            order = np.argsort(keys, kind="stable")
            self._recent_run = keys[order], slots[order]
        return self._recent_run

    def _merge(self) -> list[int]:
        keys, slots = self._run()
        freed = self._stale
        if freed:
            live = ~np.isin(self._slots, np.array(freed, dtype=np.int64))
            self._keys, self._slots = self._keys[live], self._slots[live]
        at = np.searchsorted(self._keys, keys)
        self._keys = np.insert(self._keys, at, keys)
        self._slots = np.insert(self._slots, at, slots)
        self._recent, self._recent_run, self._stale = {}, None, []
        return freed

    def lookup(self, los: IntArray, his: IntArray) -> tuple[IntArray, IntArray]:
        """(slot, range index) for each key in an inclusive range [los[i], his[i]]."""
        slots, ranges = [], []
        for keys, run in ((self._keys, self._slots), self._run()):
            if len(keys):
                # Most ranges hold no key: find their ends only for those that hold one.
                first = np.searchsorted(keys, los)
                some = np.flatnonzero(keys[np.minimum(first, len(keys) - 1)] <= his)
                some = some[first[some] < len(keys)]
                first = first[some]
                last = np.searchsorted(keys, his[some], side="right")
                slots.append(run[slices(first, last)])
                ranges.append(np.repeat(some, last - first))
        if not slots:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(slots), np.concatenate(ranges)


class VolumeIndex:
    """Insert, replace and remove operations; ask which stored volumes may touch a volume."""

    # Below this many (stored, query) volume pairs, scanning every stored volume's columns is
    # faster than the grid's fixed cost (~0.1 ms of NumPy calls per look-up).
    SCAN_LIMIT = 40000

    def __init__(self) -> None:
        self._table = KeyTable()
        self._levels: Counter[tuple[int, int]] = Counter()
        self._slots: dict[int, tuple[Operation, int, int]] = {}
        self._by_op: dict[str, list[int]] = {}
        self._cols = Columns()
        self._occupancy = Occupancy()
        self._buckets = BucketOccupancy()

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, op_id: object) -> bool:
        return op_id in self._by_op

    def operations(self) -> Iterator[Operation]:
        for slots in self._by_op.values():
            yield self._slots[slots[0]][0]

    def get(self, op_id: str) -> Operation | None:
        slots = self._by_op.get(op_id)
        return self._slots[slots[0]][0] if slots else None

    def upsert(self, op: Operation) -> None:
        """Insert `op`, replacing any earlier version with the same id."""
        self.remove(op.id)
        slots = []
        for i, v in enumerate(op.volumes):
            key = volume_key(v)
            slot = self._cols.add(v)
            for freed in self._table.add(slot, key):
                self._cols.release(freed)
            self._levels[key_levels(key)] += 1
            self._occupancy.add(key)
            self._buckets.add(key)
            self._slots[slot] = (op, i, key)
            slots.append(slot)
        self._by_op[op.id] = slots

    def remove(self, op_id: str) -> None:
        for slot in self._by_op.pop(op_id, []):
            _, _, key = self._slots.pop(slot)
            self._occupancy.add(key, -1)
            self._buckets.add(key, -1)
            levels = key_levels(key)
            self._levels[levels] -= 1
            if not self._levels[levels]:
                del self._levels[levels]
            self._cols.drop(slot)
            if self._table.remove(slot):
                self._cols.release(slot)

    def candidate_slots(
        self, vs: Sequence[Volume], h_margin_m: float, v_margin_m: float
    ) -> tuple[IntArray, IntArray]:
        """(slot, index into `vs`) pairs of stored volumes that pass the index and the
        vectorised pre-filter, for many query volumes at once."""
        if self._cols.size * len(vs) <= self.SCAN_LIMIT:
            return self._cols.scan(vs, h_margin_m, v_margin_m)
        los, his, which = many_key_ranges(vs, h_margin_m, list(self._levels), self._occupancy)
        live = self._buckets.occupied(los, his)
        los, his, which = los[live], his[live], which[live]
        slots, ranges = self._table.lookup(los, his)
        if len(slots) == 0:
            return slots, ranges
        # Ranges of different volumes may overlap, ranges of one volume never do.
        return self._cols.near_many(slots, which[ranges], vs, h_margin_m, v_margin_m)

    def at(self, slot: int) -> tuple[Operation, int]:
        """The (operation, volume index) stored in a slot."""
        op, j, _ = self._slots[slot]
        return op, j

    def candidates(
        self, v: Volume, h_margin_m: float = 0.0, v_margin_m: float = 0.0
    ) -> list[tuple[Operation, int]]:
        """Stored (operation, volume index) pairs that may conflict with `v` within the margins.

        A superset of the true answer, ordered by operation id then volume index: callers
        apply the exact test.
        """
        slots, _ = self.candidate_slots([v], h_margin_m, v_margin_m)
        found = [self.at(int(s)) for s in slots]
        return sorted(found, key=lambda c: (c[0].id, c[1]))
