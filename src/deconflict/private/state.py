"""A private party's local folder: its secrets, its plan and what each round left behind.

Everything here stays on the party's machine: the X25519 secret key, the plan in the clear,
the blinding scalar per counterpart, cached blindings and the decrypted conflicts. Files are
written owner-only and replaced atomically.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
from nacl.public import PrivateKey

from deconflict.engine import Kind, Operation, State
from deconflict.errors import InvalidVolume
from deconflict.geometry import parse_volumes, volume_to_json
from deconflict.private.seal import new_identity


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def load_plan(data: Any) -> list[Operation]:
    """Operations from `{"operations": [{id, kind, volumes, state?, label?}]}`."""
    if not isinstance(data, dict) or not isinstance(data.get("operations"), list):
        raise InvalidVolume("invalid_type", "must be an object with an array", "operations")
    ops, seen = [], set()
    for i, raw in enumerate(data["operations"]):
        path = f"operations[{i}]"
        if not isinstance(raw, dict):
            raise InvalidVolume("invalid_type", "must be an object", path)
        try:
            kind, state = Kind(str(raw.get("kind"))), State(raw.get("state", "planned"))
        except ValueError:
            raise InvalidVolume("invalid_kind", "unknown kind or state", path) from None
        op_id = str(raw.get("id", i))
        if op_id in seen or not 1 <= len(op_id) <= 64:
            raise InvalidVolume("invalid_id", "ids must be unique, 1..64 characters", path)
        seen.add(op_id)
        vols = parse_volumes(raw.get("volumes"), f"{path}.volumes")
        ops.append(Operation(op_id, "me", kind, vols, state, 1, str(raw.get("label", ""))))
    return ops


def plan_json(ops: list[Operation]) -> dict[str, Any]:
    return {
        "operations": [
            {
                "id": op.id,
                "kind": op.kind.value,
                "state": op.state.value,
                "label": op.label,
                "volumes": [volume_to_json(v) for v in op.volumes],
            }
            for op in ops
        ]
    }


class Folder:
    """The state folder: identity, plan, and one file per counterpart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _read(self, name: str, default: Any) -> Any:
        f = self.path / name
        return orjson.loads(f.read_bytes()) if f.exists() else default

    def _write(self, name: str, value: Any) -> None:
        f = self.path / name
        f.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = f.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(orjson.dumps(value))
        tmp.replace(f)

    def identity(self) -> PrivateKey:
        """The party's X25519 key, made on first use."""
        raw = self._read("identity.json", None)
        if raw is None:
            key = new_identity()
            self._write("identity.json", {"secret_key": b64(bytes(key))})
            return key
        return PrivateKey(unb64(raw["secret_key"]))

    def plan(self) -> list[Operation]:
        return load_plan(self._read("plan.json", {"operations": []}))

    def plan_digest(self) -> str:
        f = self.path / "plan.json"
        return hashlib.sha256(f.read_bytes() if f.exists() else b"").hexdigest()

    def save_plan(self, ops: list[Operation]) -> None:
        self._write("plan.json", plan_json(ops))

    def hashes(self) -> dict[str, str]:
        """H(cell) by cell key (independent of the counterpart), so each is hashed once."""
        cached: dict[str, str] = self._read("hashes.json", {})
        return cached

    def save_hashes(self, hashes: dict[str, str]) -> None:
        self._write("hashes.json", hashes)

    def peer(self, party_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._read(f"peers/{party_id}.json", {})
        return found

    def save_peer(self, party_id: str, peer: dict[str, Any]) -> None:
        self._write(f"peers/{party_id}.json", peer)

    def peers(self) -> list[str]:
        d = self.path / "peers"
        return sorted(f.stem for f in d.glob("*.json")) if d.exists() else []
