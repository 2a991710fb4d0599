"""Checkpoints in the C2SP signed-note format: byte for byte the Go reference implementation's
published example (golang.org/x/mod/sumdb/note), and a checkpoint note taken apart here by hand
and its signature checked with `cryptography` directly."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconflict.tlog.checkpoint import (
    BadNote,
    Checkpoint,
    Signer,
    open_note,
    parse_signer,
    parse_verifier,
    verified_text,
)

# The example in golang.org/x/mod/sumdb/note's package documentation.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "\u2014 PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_go_reference_example_byte_for_byte() -> None:
    signer = parse_signer(GO_SKEY)
    assert signer.key() == GO_SKEY
    assert signer.verifier().key() == GO_VKEY
    assert signer.sign_text(GO_TEXT) == GO_TEXT + "\n" + GO_SIG  # Ed25519 is deterministic
    assert verified_text(GO_TEXT + "\n" + GO_SIG, parse_verifier(GO_VKEY)) == GO_TEXT


def test_a_checkpoint_note_taken_apart_by_hand() -> None:
    signer = Signer.generate("deconflict.example/log")
    root = hashlib.sha256(b"some root").digest()
    note = signer.sign(Checkpoint("deconflict.example/log", 1234, root))
    text, sigs = note.split("\n\n")
    origin, size, root_b64 = text.split("\n")
    assert (origin, size, base64.b64decode(root_b64)) == ("deconflict.example/log", "1234", root)
    dash, name, blob = sigs.rstrip("\n").split(" ")
    assert dash == "\u2014" and name == "deconflict.example/log" and sigs.endswith("\n")
    raw = base64.b64decode(blob)
    vname, vhash, vkey = signer.verifier().key().split("+", 2)
    public = base64.b64decode(vkey)
    assert vname == name and public[0] == 1 and len(public) == 33
    expected_hash = hashlib.sha256(name.encode() + b"\n" + b"\x01" + public[1:]).digest()[:4]
    assert raw[:4] == expected_hash and vhash == expected_hash.hex()
    Ed25519PublicKey.from_public_bytes(public[1:]).verify(raw[4:], (text + "\n").encode())


def test_a_changed_or_foreign_note_does_not_open() -> None:
    signer = Signer.generate("log.example/a")
    verifier = signer.verifier()
    note = signer.sign(Checkpoint("log.example/a", 10, bytes(32)))
    assert open_note(note, verifier) == Checkpoint("log.example/a", 10, bytes(32))
    with pytest.raises(BadNote, match="no valid signature"):
        open_note(note.replace("\n10\n", "\n11\n"), verifier)
    with pytest.raises(BadNote, match="no valid signature"):
        open_note(note, Signer.generate("log.example/a").verifier())
    other = Signer.generate("log.example/b")
    with pytest.raises(BadNote, match="origin"):
        open_note(other.sign(Checkpoint("log.example/a", 1, bytes(32))), other.verifier())
    cosigned = note + f"\u2014 witness.example {base64.b64encode(bytes(68)).decode()}\n"
    assert open_note(cosigned, verifier).size == 10  # another key's signature is skipped
    with pytest.raises(BadNote):
        parse_verifier(verifier.key().replace("+", "+0", 1))
