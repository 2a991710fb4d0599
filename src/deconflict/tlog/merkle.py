"""RFC 9162 Merkle trees over leaf hashes: roots, audit paths and their verifiers.

A tree of `size` leaves is stored as its complete subtrees: node `(level, idx)` is the hash of
leaves `[idx * 2**level, (idx + 1) * 2**level)` (level 0: the leaf hashes). A proof is a list of
spans (RFC 9162 §2.1.3.1, §2.1.4.1), each the right fold of O(1) amortised complete nodes, so a
store answers a proof with O(log n) node look-ups.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index at that level)
Span = tuple[int, int]  # leaves [start, end)

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def flat(node: Node) -> int:
    """A node's in-order number in the infinite tree (leaf i is 2i): one integer per node."""
    level, idx = node
    return (idx << (level + 1)) + (1 << level) - 1


def split(n: int) -> int:
    """The largest power of two smaller than `n` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The subtrees whose hashes are PATH(index, D[size]), leaf side first."""
    if not 0 <= index < size:
        raise ValueError("index must be below size")
    out: list[Span] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out[::-1]


def consistency_spans(old: int, new: int) -> list[Span]:
    """The subtrees whose hashes are PROOF(old, D[new]) (empty when old is 0 or new)."""
    if not 0 <= old <= new:
        raise ValueError("old must be within 0..new")
    if old == 0:
        return []
    out: list[Span] = []
    start, end, m, whole = 0, new, old, True
    while m != end - start:
        k = split(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:
        out.append((start, end))
    return out[::-1]


def span_nodes(span: Span) -> list[Node]:
    """The complete subtrees an aligned span is made of, left to right."""
    start, end = span
    out: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start & ((1 << level) - 1):
            raise ValueError(f"span {span} is not aligned")
        out.append((level, start >> level))
        start += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root of consecutive complete subtrees, largest first (a right fold)."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def needed(spans: Iterable[Span]) -> set[Node]:
    return {n for s in spans for n in span_nodes(s)}


def assemble(spans: Iterable[Span], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """A proof's hashes from its spans and the complete nodes they need."""
    return [fold([nodes[n] for n in span_nodes(s)]) for s in spans]


def frontier(size: int) -> list[Node]:
    """The complete subtrees a tree of `size` leaves is made of, largest (leftmost) first."""
    return span_nodes((0, size))


def root(size: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH of the first `size` leaves, from the frontier's nodes."""
    return fold([nodes[n] for n in frontier(size)]) if size else EMPTY_ROOT


def extend(size: int, nodes: Mapping[Node, bytes], leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """The complete nodes that appending `leaves` to a tree of `size` leaves makes (the new
    leaves at level 0 included); `nodes` holds at least `frontier(size)`."""
    known = dict(nodes)
    new: dict[Node, bytes] = {}
    for i, h in enumerate(leaves):
        level, idx = 0, size + i
        known[(level, idx)] = new[(level, idx)] = h
        while idx & 1:  # a right child completes its parent
            h = node_hash(known[(level, idx - 1)], h)
            level, idx = level + 1, idx >> 1
            known[(level, idx)] = new[(level, idx)] = h
    return new


def tree(leaves: Sequence[bytes]) -> dict[Node, bytes]:
    """Every complete node of the tree of `leaves` (in memory: tests, verification)."""
    return extend(0, {}, leaves)


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_: bytes
) -> bool:
    """RFC 9162 §2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 (an empty old tree is consistent with any tree)."""
    if not 0 <= old <= new:
        return False
    if old == 0:
        return not proof
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # an exact power of two: the old root is the first hash
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
