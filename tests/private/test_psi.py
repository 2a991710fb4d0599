"""The blinded intersection is the intersection of the cells, and nothing else matches."""

from __future__ import annotations

import pytest

from deconflict.errors import InvalidVolume
from deconflict.private import psi


def test_double_blinding_matches_exactly_the_common_cells() -> None:
    a, b = psi.new_scalar(), psi.new_scalar()
    mine = [f"F|flight>flight|88{i:013x}|1|2" for i in range(40)]
    theirs = [f"F|flight>flight|88{i:013x}|1|2" for i in range(25, 70)]
    sent_a = psi.blind([psi.hash_to_group(k) for k in mine], a)
    sent_b = psi.blind([psi.hash_to_group(k) for k in theirs], b)
    sent_b += [psi.dummy() for _ in range(psi.padded_size(len(sent_b)) - len(sent_b))]
    back_to_a = psi.blind_received(sent_a, b, "points")  # B re-blinds A's set, in order
    b_by_a = set(psi.blind_received(sent_b, a, "points"))
    found = {k for k, p in zip(mine, back_to_a, strict=True) if p in b_by_a}
    assert found == set(mine) & set(theirs)
    # The relay's view: no blinded value equals another party's, nor H(cell) itself.
    assert not set(sent_a) & set(sent_b)
    assert not {psi.hash_to_group(k) for k in mine} & set(sent_a)


# A point of order 4 (y = 0), the identity (order 1) and a non-canonical encoding (y = p).
NOT_IN_THE_GROUP = [bytes(32), bytes([1]) + bytes(31), b"\xed" + b"\xff" * 30 + b"\x7f"]


@pytest.mark.parametrize("point", NOT_IN_THE_GROUP)
def test_a_point_outside_the_group_is_refused(point: bytes) -> None:
    with pytest.raises(InvalidVolume, match="not a group element"):
        psi.blind_received([psi.dummy(), point], psi.new_scalar(), "points")


def test_padding_hides_the_size_within_a_step() -> None:
    sizes = [psi.padded_size(n) for n in range(1, 20_000)]
    assert all(s >= n for n, s in zip(range(1, 20_000), sizes, strict=True))
    assert len(set(sizes)) < 30  # a handful of buckets across four orders of magnitude
    assert all(s / n < 1.26 for n, s in zip(range(64, 20_000), sizes[63:], strict=True))
