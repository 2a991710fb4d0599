"""Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), Ed25519.

A checkpoint note is `<origin>\\n<size>\\n<base64 root>\\n` followed by a blank line and one
signature line per signer: `— <key name> <base64(key hash (4 bytes) || signature)>\\n`, where
the key hash is the first 4 bytes of SHA-256(<key name> || 0x0A || 0x01 || <public key>). The
verifier key string is `<name>+<hex key hash>+<base64(0x01 || public key)>`; the signer key
string (kept secret) is `PRIVATE+KEY+<name>+<hex key hash>+<base64(0x01 || private seed)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from attrs import frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = b"\x01"
DASH = "\u2014"  # the em dash that opens a signature line
_NAME = re.compile(r"[^\s+]+")  # a key name: no spaces, no '+'
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class BadNote(ValueError):
    """A note, checkpoint or key string that is malformed or does not verify."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadNote(f"{what} is not base64") from None


def key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


@frozen
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> bytes:
        return f"{self.origin}\n{self.size}\n{_b64(self.root)}\n".encode()


@frozen
class Verifier:
    name: str
    public: bytes

    def key(self) -> str:
        return f"{self.name}+{key_hash(self.name, self.public).hex()}+{_b64(ED25519 + self.public)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@frozen
class Signer:
    name: str
    seed: bytes

    @staticmethod
    def generate(name: str) -> Signer:
        if not _NAME.fullmatch(name):
            raise BadNote("a key name has no spaces and no '+'")
        return Signer(name, Ed25519PrivateKey.generate().private_bytes_raw())

    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return Verifier(self.name, public)

    def key(self) -> str:
        kh = key_hash(self.name, self.verifier().public).hex()
        return f"PRIVATE+KEY+{self.name}+{kh}+{_b64(ED25519 + self.seed)}"

    def sign(self, checkpoint: Checkpoint) -> str:
        """The checkpoint as a signed note."""
        return self.sign_text(checkpoint.body().decode())

    def sign_text(self, text: str) -> str:
        """A signed note of `text` (which ends with a newline)."""
        sig = Ed25519PrivateKey.from_private_bytes(self.seed).sign(text.encode())
        kh = key_hash(self.name, self.verifier().public)
        return f"{text}\n{DASH} {self.name} {_b64(kh + sig)}\n"


def parse_verifier(text: str) -> Verifier:
    """A verifier key string, checked (its key hash must match)."""
    parts = text.strip().split("+", 2)  # (base64 has '+' too)
    if (
        len(parts) != 3
        or not _NAME.fullmatch(parts[0])
        or not re.fullmatch(r"[0-9a-f]{8}", parts[1])
    ):
        raise BadNote("a verifier key is <name>+<8 hex digits>+<base64 key>")
    raw = _unb64(parts[2], "the verifier key")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise BadNote("the verifier key is not an Ed25519 key")
    verifier = Verifier(parts[0], raw[1:])
    if key_hash(verifier.name, verifier.public).hex() != parts[1]:
        raise BadNote("the verifier key's hash does not match its name and key")
    return verifier


def parse_signer(text: str) -> Signer:
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise BadNote("a signer key is PRIVATE+KEY+<name>+<hash>+<base64 key>")
    raw = _unb64(parts[4], "the signer key")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise BadNote("the signer key is not an Ed25519 key")
    signer = Signer(parts[2], raw[1:])
    if key_hash(signer.name, signer.verifier().public).hex() != parts[3]:
        raise BadNote("the signer key's hash does not match its name and key")
    return signer


def open_note(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint a note carries, once a signature by `verifier` on it checks out."""
    return _checkpoint(verified_text(note, verifier), verifier.name)


def verified_text(note: str, verifier: Verifier) -> str:
    """The text of a signed note, once a signature by `verifier` on it checks out (signatures
    by other keys, such as witnesses' cosignatures, are skipped)."""
    cut = note.find("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise BadNote("a signed note is a text, a blank line and signature lines")
    body, signatures = note[: cut + 1], note[cut + 2 :].splitlines()
    want = key_hash(verifier.name, verifier.public)
    signed = False
    for line in signatures:
        fields = line.split(" ")
        if len(fields) != 3 or fields[0] != DASH:
            raise BadNote("a signature line is '— <name> <base64>'")
        raw = _unb64(fields[2], "a signature")
        if fields[1] == verifier.name and raw[:4] == want and len(raw) == 68:
            signed = signed or verifier.verify(body.encode(), raw[4:])
    if not signed:
        raise BadNote(f"no valid signature by {verifier.name} on the checkpoint")
    return body


def _checkpoint(body: str, name: str) -> Checkpoint:
    lines = body.split("\n")[:-1]
    if len(lines) < 3:
        raise BadNote("a checkpoint has an origin, a size and a root hash")
    origin, size, root = lines[0], lines[1], _unb64(lines[2], "the root hash")
    if origin != name:
        raise BadNote(f"the checkpoint's origin {origin!r} is not the log's name {name!r}")
    if not _SIZE.fullmatch(size):
        raise BadNote("the tree size is not a decimal number")
    if len(root) != 32:
        raise BadNote("the root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root)
