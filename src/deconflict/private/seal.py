"""Encryption between two private parties: X25519 keys, authenticated boxes, opaque refs.

A refinement is sealed from one party to the other with `nacl.public.Box` (X25519 +
XSalsa20-Poly1305): only the recipient opens it, and it proves which party sealed it, so the
relay can neither read nor forge one (an anonymous `SealedBox` would let anyone, the relay
included, slip in geometry under another party's name). A conflict's region is sealed with
the same pair key, so exactly its two parties can read it. Plaintexts are padded to a size
ladder so that a blob's size says little about how much geometry it holds.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey

from deconflict.errors import InvalidVolume
from deconflict.private.psi import padded_size

PAD_UNIT = 256  # padded plaintexts are a ladder step of this many bytes


def new_identity() -> PrivateKey:
    return PrivateKey.generate()


def fingerprint(key: PublicKey) -> str:
    """A short digest of a public key, to compare out of band (the relay could swap keys)."""
    return hashlib.sha256(bytes(key)).hexdigest()[:32]


def pad(data: bytes) -> bytes:
    """`data` followed by spaces up to the next ladder size (JSON ignores them)."""
    units = padded_size(-(-len(data) // PAD_UNIT))
    return data + b" " * (units * PAD_UNIT - len(data))


def seal(mine: PrivateKey, theirs: PublicKey, payload: Any) -> bytes:
    """`payload` as padded JSON, boxed from `mine` to `theirs`."""
    return bytes(Box(mine, theirs).encrypt(pad(orjson.dumps(payload))))


def open_sealed(mine: PrivateKey, theirs: PublicKey, sealed: bytes) -> Any:
    """The JSON payload of a box from `theirs` to `mine`; a forged or damaged one is refused."""
    try:
        return orjson.loads(Box(mine, theirs).decrypt(sealed))
    except (CryptoError, orjson.JSONDecodeError):
        raise InvalidVolume(
            "unreadable", "not sealed by this party, or damaged", "sealed"
        ) from None


def conflict_ref(mine: PrivateKey, theirs: PublicKey, low_op: str, high_op: str) -> str:
    """The opaque name both parties give the conflict of two operations (the relay sees only
    this): an HMAC under a key derived from their shared secret."""
    key = hashlib.sha256(b"deconflict/private/ref\x00" + Box(mine, theirs).shared_key()).digest()
    msg = f"{low_op}\x00{high_op}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()
