"""In-memory spatial-temporal index of operations' volumes (the engine's working set)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np

from deconflict.engine.index import Columns, key_levels, query_keys, volume_key
from deconflict.engine.model import Operation
from deconflict.geometry import Volume


class VolumeIndex:
    """Insert, replace and remove operations; ask which stored volumes may touch a volume."""

    def __init__(self) -> None:
        self._cells: dict[int, list[int]] = {}
        self._levels: Counter[tuple[int, int]] = Counter()
        self._slots: dict[int, tuple[Operation, int, int]] = {}
        self._by_op: dict[str, list[int]] = {}
        self._cols = Columns()

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
            self._cells.setdefault(key, []).append(slot)
            self._levels[key_levels(key)] += 1
            self._slots[slot] = (op, i, key)
            slots.append(slot)
        self._by_op[op.id] = slots

    def remove(self, op_id: str) -> None:
        for slot in self._by_op.pop(op_id, []):
            _, _, key = self._slots.pop(slot)
            cell = self._cells[key]
            cell.remove(slot)
            if not cell:
                del self._cells[key]
            levels = key_levels(key)
            self._levels[levels] -= 1
            if not self._levels[levels]:
                del self._levels[levels]
            self._cols.drop(slot)

    def candidates(
        self, v: Volume, h_margin_m: float = 0.0, v_margin_m: float = 0.0
    ) -> list[tuple[Operation, int]]:
        """Stored (operation, volume index) pairs that may conflict with `v` within the margins.

        A superset of the true answer: callers apply the exact test.
        """
        found: list[int] = []
        for key in query_keys(v, h_margin_m, list(self._levels)):
            cell = self._cells.get(key)
            if cell:
                found.extend(cell)
        if not found:
            return []
        slots = self._cols.near(np.array(found, dtype=np.int64), v, h_margin_m, v_margin_m)
        return [self._slots[int(s)][:2] for s in slots]
