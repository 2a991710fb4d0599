"""The project's Merkle proofs against an independent RFC 9162 implementation written here from
the RFC's text (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF), calling no project code."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from deconflict.tlog import merkle


# --- RFC 9162, §2.1, written from the text --------------------------------------------------
def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(d: list[bytes]) -> bytes:
    """MTH(D[n]): the hash of an empty list is the hash of an empty string; one entry:
    SHA-256(0x00 || d0); else k = largest power of two < n, SHA-256(0x01 || MTH(D[0:k]) ||
    MTH(D[k:n]))."""
    n = len(d)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + d[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return _h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def largest_k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path(m: int, d: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = largest_k(n)
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_k(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def proof(m: int, d: list[bytes]) -> list[bytes]:
    return subproof(m, d, True)


# --- the comparison ---------------------------------------------------------------------
def entries(n: int) -> list[bytes]:
    return [f"entry {i}".encode() for i in range(n)]


def project_tree(d: list[bytes]) -> dict[merkle.Node, bytes]:
    return merkle.tree([merkle.leaf_hash(e) for e in d])


sizes = st.integers(1, 300)


@given(sizes)
def test_root_matches_rfc(n: int) -> None:
    d = entries(n)
    nodes = project_tree(d)
    assert merkle.root(n, nodes) == mth(d)
    for m in {1, n // 2 or 1, n - 1 or 1}:  # a smaller tree's root, from the same nodes
        assert merkle.root(m, nodes) == mth(d[:m])


def test_empty_root() -> None:
    assert merkle.root(0, {}) == mth([]) == merkle.EMPTY_ROOT


@given(st.data(), sizes)
def test_inclusion_matches_rfc_and_verifies(data: st.DataObject, n: int) -> None:
    d = entries(n)
    size = data.draw(st.integers(1, n), label="tree size")
    index = data.draw(st.integers(0, size - 1), label="index")
    nodes = project_tree(d)
    got = merkle.assemble(merkle.inclusion_spans(index, size), nodes)
    assert got == path(index, d[:size])
    leaf, root = _h(b"\x00" + d[index]), mth(d[:size])
    assert merkle.verify_inclusion(index, size, leaf, got, root)
    # Anything else fails: another leaf, another index, another size, a changed hash.
    assert not merkle.verify_inclusion(index, size, _h(b"\x00other"), got, root)
    if size > 1:
        assert not merkle.verify_inclusion((index + 1) % size, size, leaf, got, root)
        bad = [*got]
        bad[data.draw(st.integers(0, len(bad) - 1))] = _h(b"x")
        assert not merkle.verify_inclusion(index, size, leaf, bad, root)
    if size < n:
        assert not merkle.verify_inclusion(index, size + 1, leaf, got, mth(d[: size + 1]))


@given(st.data(), sizes)
def test_consistency_matches_rfc_and_verifies(data: st.DataObject, n: int) -> None:
    d = entries(n)
    new = data.draw(st.integers(1, n), label="new size")
    old = data.draw(st.integers(1, new), label="old size")
    nodes = project_tree(d)
    got = merkle.assemble(merkle.consistency_spans(old, new), nodes)
    assert got == proof(old, d[:new])
    old_root, new_root = mth(d[:old]), mth(d[:new])
    assert merkle.verify_consistency(old, new, old_root, new_root, got)
    # A forked history (one old entry changed) has no valid proof against the true old root.
    forked = [*d[:new]]
    forked[data.draw(st.integers(0, old - 1))] = b"forged"
    assert not merkle.verify_consistency(old, new, old_root, mth(forked), proof(old, forked))
    if old < new:
        assert not merkle.verify_consistency(old, new, old_root, new_root, got[:-1])
        assert not merkle.verify_consistency(old, new, _h(b"x"), new_root, got)


@given(sizes, st.integers(1, 300))
def test_extend_in_batches_equals_whole_tree(n: int, batch: int) -> None:
    leaves = [merkle.leaf_hash(e) for e in entries(n)]
    nodes: dict[merkle.Node, bytes] = {}
    for start in range(0, n, batch):
        known = {k: nodes[k] for k in merkle.frontier(start)}
        nodes.update(merkle.extend(start, known, leaves[start : start + batch]))
    assert nodes == merkle.tree(leaves)


def test_out_of_range_is_refused() -> None:
    for index, size in ((0, 0), (5, 5), (-1, 3)):
        try:
            merkle.inclusion_spans(index, size)
        except ValueError:
            continue
        raise AssertionError((index, size))
    assert not merkle.verify_inclusion(3, 3, b"", [], b"")
    assert not merkle.verify_consistency(4, 3, b"", b"", [])


@given(st.integers(0, 40), st.integers(0, 2**20), st.integers(0, 40), st.integers(0, 2**20))
def test_flat_numbers_are_one_per_node(l1: int, i1: int, l2: int, i2: int) -> None:
    assert (merkle.flat((l1, i1)) == merkle.flat((l2, i2))) == ((l1, i1) == (l2, i2))
    assert merkle.flat((0, i1)) == 2 * i1
