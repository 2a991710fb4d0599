"""What a party runs to check the audit log, trusting nobody (`deconflict audit follow` and
`compare`): over HTTP only, against a state file it keeps — the log's pinned key, the signed
checkpoints it has seen, and its receipts (its own entries with their leaf hashes)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from attrs import frozen

from deconflict.tlog import merkle
from deconflict.tlog.checkpoint import BadNote, Checkpoint, Verifier, open_note, parse_verifier
from deconflict.tlog.entry import entry_leaf

PAGE = 500


class Failed(Exception):
    """A check that failed, named: the log (or the server) cannot be trusted as it stands."""


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def load(path: Path) -> dict[str, Any]:
    """A state file (an empty state if it does not exist yet)."""
    if not path.exists():
        return {"log_key": None, "checkpoints": [], "receipts": [], "evidence": []}
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def save(path: Path, state: dict[str, Any]) -> None:
    """Write the state whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)


class Log:
    """The server's audit routes, as a party calls them."""

    def __init__(self, server: str, key: str, client: httpx.Client | None = None) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        self.http = client or httpx.Client(base_url=server.rstrip("/"), headers=headers, timeout=30)

    def get(self, path: str, **params: Any) -> httpx.Response:
        try:
            answer = self.http.get(path, params=params or None)
        except httpx.HTTPError as err:
            raise Failed(f"cannot reach the server for {path}: {err}") from None
        if answer.status_code != 200:
            raise Failed(f"the server answered {answer.status_code} to {path}: {answer.text[:300]}")
        return answer

    def hashes(self, path: str, **params: Any) -> list[bytes]:
        try:
            return [_b64(h) for h in self.get(path, **params).json()["hashes"]]
        except (ValueError, KeyError, TypeError):
            raise Failed(f"the server's answer to {path} is not a proof") from None

    def own_entries(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.get("/v1/audit", limit=PAGE, **({"cursor": cursor} if cursor else {}))
            body = page.json()
            items += body["items"]
            if not (cursor := body["next_cursor"]):
                return items

    def close(self) -> None:
        self.http.close()


@frozen
class Report:
    size: int
    since: int | None  # the size of the saved checkpoint the new one was proven to extend
    proven: int  # receipts proven included in the new checkpoint
    pending: int  # receipts not yet in a signed checkpoint
    new_receipts: int


def _pin(state: dict[str, Any], log: Log, given: str | None) -> Verifier:
    pinned = state.get("log_key")
    if pinned and given and pinned.strip() != given.strip():
        raise Failed("the log key given is not the one pinned in the state file")
    text = pinned or given or log.get("/v1/audit/key").text  # else trust on first use
    try:
        verifier = parse_verifier(text)
    except BadNote as err:
        raise Failed(f"log key: {err}") from None
    state["log_key"] = verifier.key()
    return verifier


def _checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    try:
        return open_note(note, verifier)
    except BadNote as err:
        raise Failed(f"checkpoint: {err}") from None


def _consistent(log: Log, saved: dict[str, Any], new: Checkpoint) -> None:
    old_size, old_root = int(saved["size"]), _b64(saved["root"])
    if new.size < old_size:
        raise Failed(
            f"the log shrank: its checkpoint has {new.size} entries, the saved one {old_size}"
        )
    if new.size == old_size:
        if new.root != old_root:
            raise Failed(f"split view: two signed roots for the tree of size {new.size}")
        return
    path = (
        []
        if old_size == 0
        else log.hashes("/v1/audit/proof/consistency", **{"from": old_size, "to": new.size})
    )
    if not merkle.verify_consistency(old_size, new.size, old_root, new.root, path):
        raise Failed(
            f"consistency: the tree of size {new.size} does not extend the saved tree of size "
            f"{old_size} (entries were changed or removed)"
        )


def _receipt(log: Log, index: int, listed: dict[str, Any] | None) -> dict[str, Any]:
    """An entry of the caller's, fetched by index, with the leaf hash computed here."""
    try:
        shown = log.get(f"/v1/audit/entries/{index}").json()
    except Failed as err:
        raise Failed(f"receipt {index}: the server does not show this entry ({err})") from None
    entry = shown.get("entry", {})
    leaf = entry_leaf(entry)
    if entry.get("index") != index or _b64(shown["leaf_hash"]) != leaf:
        raise Failed(f"entry {index}: the leaf hash served is not the hash of the entry served")
    if listed is not None and (entry.get("action"), entry.get("subject")) != (
        listed["action"],
        listed["subject"],
    ):
        raise Failed(f"entry {index}: served differently by /v1/audit and /v1/audit/entries")
    return {"index": index, "leaf_hash": shown["leaf_hash"], "entry": entry}


def _new_receipts(log: Log, state: dict[str, Any], given: list[int]) -> int:
    """Save the caller's entries not saved yet: those /v1/audit lists, and the `given` indices
    (the `audit_index` of write answers and events the party's own systems logged)."""
    known = {int(r["index"]) for r in state["receipts"]}
    todo: dict[int, dict[str, Any] | None] = {
        int(item["position"]): item
        for item in log.own_entries()
        if item.get("position") is not None
    }
    todo.update({i: todo.get(i) for i in given})
    added = 0
    for index in sorted(set(todo) - known):
        state["receipts"].append(_receipt(log, index, todo[index]))
        added += 1
    return added


def _prove_receipts(log: Log, state: dict[str, Any], cp: Checkpoint) -> tuple[int, int]:
    proven = pending = 0
    for receipt in sorted(state["receipts"], key=lambda r: int(r["index"])):
        index = int(receipt["index"])
        if index >= cp.size:
            pending += 1
            continue
        path = log.hashes("/v1/audit/proof/inclusion", index=index, tree_size=cp.size)
        leaf = entry_leaf(receipt["entry"])
        if leaf != _b64(receipt["leaf_hash"]) or not merkle.verify_inclusion(
            index, cp.size, leaf, path, cp.root
        ):
            what = f"{receipt['entry'].get('action')} {receipt['entry'].get('subject')}".strip()
            raise Failed(f"receipt {index} ({what}) is not in the signed tree of size {cp.size}")
        proven += 1
    return proven, pending


def follow(path: Path, log: Log, log_key: str | None = None, given: Sequence[int] = ()) -> Report:
    """Check the log's latest checkpoint against the state file and save it there. On failure
    nothing is saved but the evidence: the signed note that failed and why."""
    state = load(path)
    verifier = _pin(state, log, log_key)
    note = log.get("/v1/audit/checkpoint").text
    try:
        cp = _checkpoint(note, verifier)
        saved = state["checkpoints"][-1] if state["checkpoints"] else None
        if saved is not None:
            _consistent(log, saved, cp)
        added = _new_receipts(log, state, list(given))
        proven, pending = _prove_receipts(log, state, cp)
    except Failed as err:
        evidence = load(path)
        evidence["log_key"] = evidence.get("log_key") or state["log_key"]
        evidence.setdefault("evidence", []).append(
            {"problem": str(err), "note": note, "at": time.time()}
        )
        save(path, evidence)
        raise
    if saved is None or int(saved["size"]) != cp.size:
        root = base64.b64encode(cp.root).decode()
        state["checkpoints"].append({"size": cp.size, "root": root, "note": note})
    save(path, state)
    since = None if saved is None else int(saved["size"])
    return Report(cp.size, since, proven, pending, added)


def _history(path: Path, verifier: Verifier) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    for saved in load(path)["checkpoints"]:
        cp = _checkpoint(saved["note"], verifier)
        if cp.size != int(saved["size"]) or cp.root != _b64(saved["root"]):
            raise Failed(f"{path}: a saved checkpoint is not the note saved with it")
        out[cp.size] = cp.root
    return out


def compare(first: Path, second: Path, log: Log | None = None) -> str:
    """Whether two parties were shown one history: equal sizes must have equal roots, and (with
    the server) the smaller latest tree must be proven a prefix of the larger."""
    keys = {load(p).get("log_key") for p in (first, second)}
    if len(keys) != 1 or None in keys:
        raise Failed("the two state files do not follow the same log key")
    verifier = parse_verifier(str(keys.pop()))
    a, b = _history(first, verifier), _history(second, verifier)
    for size in sorted(set(a) & set(b)):
        if a[size] != b[size]:
            raise Failed(f"split view: the tree of size {size} has two signed roots")
    if not a or not b:
        return "nothing to compare: a state file has no checkpoint"
    (m, ra), (n, rb) = sorted([max(a.items()), max(b.items())])
    if m == n or m == 0:
        return f"OK: {len(set(a) & set(b))} common sizes agree"
    if log is None:
        return f"OK so far: sizes {m} and {n} differ; give --server to prove one extends the other"
    path = log.hashes("/v1/audit/proof/consistency", **{"from": m, "to": n})
    if not merkle.verify_consistency(m, n, ra, rb, path):
        raise Failed(
            f"split view: the signed tree of size {m} is not a prefix of the one of size {n}"
        )
    return f"OK: the tree of size {m} is a prefix of the tree of size {n}"
