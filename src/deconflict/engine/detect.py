"""Strategic detection: which stored operations conflict with an operation, and where."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deconflict.engine.model import Conflict, Operation
from deconflict.engine.rules import Rules
from deconflict.engine.store import VolumeIndex
from deconflict.geometry import Region
from deconflict.geometry.overlap import conflict_regions


def conflicts_between(op: Operation, other: Operation, rules: Rules) -> Conflict | None:
    """The conflict between two operations under `rules`, or None: the exact rule, no index."""
    if op.party == other.party or not (op.state.live and other.state.live):
        return None
    sep = rules.separation(op.kind, other.kind)
    if sep is None:
        return None
    a = [v for v in op.volumes for _ in other.volumes]
    b = [w for _ in op.volumes for w in other.volumes]
    found = conflict_regions(a, b, sep.horizontal_m, sep.vertical_m)
    regions = [r for r in found if r is not None]
    return _conflict(op, other, regions) if regions else None


def _conflict(op: Operation, other: Operation, regions: Iterable[Region]) -> Conflict:
    return Conflict(op.id, op.party, op.kind, other.id, other.party, other.kind, tuple(regions))


def detect(op: Operation, index: VolumeIndex, rules: Rules) -> list[Conflict]:
    """Conflicts of `op` with the operations in `index`, ordered by the other operation's id."""
    return detect_many([op], index, rules)[0]


def detect_many(ops: Sequence[Operation], index: VolumeIndex, rules: Rules) -> list[list[Conflict]]:
    """`detect` for each of `ops` against `index` (not against each other), with the index
    look-up and pre-filter vectorised across all their volumes at once."""
    owner = [n for n, op in enumerate(ops) if op.state.live for _ in op.volumes]
    vs = [v for op in ops if op.state.live for v in op.volumes]
    h_margin = rules.max_horizontal_m
    v_margin = max((s.vertical_m for s in rules.pairs.values()), default=0.0)
    slots, which = index.candidate_slots(vs, h_margin, v_margin)
    # By query volume, then stored operation id and volume: the order `conflicts_between` uses.
    pairs = sorted(
        ((int(q), index.at(int(s))) for s, q in zip(slots, which, strict=True)),
        key=lambda p: (p[0], p[1][0].id, p[1][1]),
    )
    tests = []
    for q, (other, j) in pairs:
        op = ops[owner[q]]
        if other.id == op.id or other.party == op.party or not other.state.live:
            continue
        sep = rules.separation(op.kind, other.kind)
        if sep is not None:
            tests.append((q, other, other.volumes[j], sep))
    regions = conflict_regions(
        [vs[q] for q, _, _, _ in tests],
        [w for _, _, w, _ in tests],
        [s.horizontal_m for *_, s in tests],
        [s.vertical_m for *_, s in tests],
    )
    found: list[dict[str, tuple[Operation, list[Region]]]] = [{} for _ in ops]
    for (q, other, _, _), r in zip(tests, regions, strict=True):
        if r is not None:
            found[owner[q]].setdefault(other.id, (other, []))[1].append(r)
    return [
        [_conflict(op, other, regs) for _, (other, regs) in sorted(mine.items())]
        for op, mine in zip(ops, found, strict=True)
    ]
