"""Strategic detection: which stored operations conflict with an operation, and where."""

from __future__ import annotations

from collections.abc import Iterable

from deconflict.engine.model import Conflict, Operation
from deconflict.engine.rules import Rules
from deconflict.engine.store import VolumeIndex
from deconflict.geometry import Region, region, volumes_conflict


def conflicts_between(op: Operation, other: Operation, rules: Rules) -> Conflict | None:
    """The conflict between two operations under `rules`, or None: the exact rule, no index."""
    if op.party == other.party or not (op.state.live and other.state.live):
        return None
    sep = rules.separation(op.kind, other.kind)
    if sep is None:
        return None
    regions = [
        region(v, w, sep.horizontal_m)
        for v in op.volumes
        for w in other.volumes
        if volumes_conflict(v, w, sep.horizontal_m, sep.vertical_m)
    ]
    return _conflict(op, other, regions) if regions else None


def _conflict(op: Operation, other: Operation, regions: Iterable[Region]) -> Conflict:
    return Conflict(op.id, op.party, op.kind, other.id, other.party, other.kind, tuple(regions))


def detect(op: Operation, index: VolumeIndex, rules: Rules) -> list[Conflict]:
    """Conflicts of `op` with the operations in `index`, ordered by the other operation's id."""
    if not op.state.live:
        return []
    partners = rules.partners(op.kind)
    h_margin = rules.max_horizontal_m
    v_margin = max((s.vertical_m for s in rules.pairs.values()), default=0.0)
    found: dict[str, tuple[Operation, list[Region]]] = {}
    for v in op.volumes:
        for other, j in index.candidates(v, h_margin, v_margin):
            if other.id == op.id or other.party == op.party:
                continue
            if other.kind not in partners or not other.state.live:
                continue
            sep = rules.separation(op.kind, other.kind)
            assert sep is not None
            w = other.volumes[j]
            if volumes_conflict(v, w, sep.horizontal_m, sep.vertical_m):
                found.setdefault(other.id, (other, []))[1].append(region(v, w, sep.horizontal_m))
    return [_conflict(op, other, regs) for _, (other, regs) in sorted(found.items())]
