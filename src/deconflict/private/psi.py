"""Diffie-Hellman private set intersection in the prime-order group of edwards25519.

Each cell is hashed to a group element H(cell) and blinded with a party's secret scalar:
H(cell)^a. The other party raises what it receives to its own scalar b, so both end with
H(cell)^ab for their own cells and the other's, and compare those: equal only for the same
cell. Nobody, the relay included, can undo a blinding without the scalar.

libsodium through PyNaCl: PyNaCl 1.6 binds no ristretto255 function, so the group is the
prime-order subgroup of edwards25519, which libsodium's `from_uniform` (Elligator 2, with
the cofactor cleared) maps into and `is_valid_point` checks; hash-to-group adds two
independent Elligator maps of the halves of a SHA-512 digest (the random-oracle form).
Received points are checked as they are used (libsodium refuses non-canonical, small-order
and off-group points), so no small-order point can slip in.

>>> a, b = new_scalar(), new_scalar()
>>> mine = blind([hash_to_group("cell-1"), hash_to_group("cell-2")], a)
>>> theirs = blind([hash_to_group("cell-2")], b)
>>> both = set(blind(theirs, a))
>>> [x in both for x in blind(mine, b)]
[False, True]
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable, Sequence

from nacl import bindings as sodium

from deconflict.errors import InvalidVolume

DOMAIN = b"deconflict/private/v1/cell\x00"
POINT_BYTES = 32
MIN_PADDED = 64  # the smallest padded set
PAD_RATIO = 1.25  # padded sizes grow by this factor: a set's size is known within 25 %


def hash_to_group(key: str) -> bytes:
    """H(key): a point of the prime-order group, from SHA-512 of the domain-separated key."""
    digest = hashlib.sha512(DOMAIN + key.encode()).digest()
    first = sodium.crypto_core_ed25519_from_uniform(digest[:32])
    second = sodium.crypto_core_ed25519_from_uniform(digest[32:])
    return bytes(sodium.crypto_core_ed25519_add(first, second))


def new_scalar() -> bytes:
    """A secret blinding scalar, uniform modulo the group order (never zero)."""
    while True:
        s = bytes(sodium.crypto_core_ed25519_scalar_reduce(os.urandom(64)))
        if any(s):
            return s


def dummy() -> bytes:
    """A random group element: pads a set, matches nothing (but with negligible chance)."""
    return bytes(sodium.crypto_core_ed25519_from_uniform(os.urandom(32)))


def blind(points: Iterable[bytes], scalar: bytes) -> list[bytes]:
    """Each point raised to `scalar`; every point must be a valid group element."""
    return [bytes(sodium.crypto_scalarmult_ed25519_noclamp(scalar, p)) for p in points]


def blind_received(points: Iterable[bytes], scalar: bytes, field: str) -> list[bytes]:
    """`blind` for points received from elsewhere: libsodium's multiplication itself refuses
    any point that is not canonical, of small order or outside the prime-order group."""
    try:
        return blind(points, scalar)
    except RuntimeError:
        raise InvalidVolume("invalid_point", "not a group element", field) from None


def padded_size(n: int) -> int:
    """The size a set of `n` is padded to: the next step of a geometric ladder."""
    if n <= MIN_PADDED:
        return MIN_PADDED
    steps = math.ceil(math.log(n / MIN_PADDED, PAD_RATIO) - 1e-9)
    return math.ceil(MIN_PADDED * PAD_RATIO**steps)


def pack(points: Sequence[bytes]) -> bytes:
    return b"".join(points)


def unpack(blob: bytes, field: str) -> list[bytes]:
    if len(blob) % POINT_BYTES:
        raise InvalidVolume("invalid_length", "not a whole number of points", field)
    return [blob[i : i + POINT_BYTES] for i in range(0, len(blob), POINT_BYTES)]
