"""The canonical bytes of an audit entry: the one definition leaf hashes are taken over.

An entry is the JSON object `{"action", "created_at", "data", "index", "nonce", "party_id",
"subject"}` with keys sorted, no whitespace (`,` and `:` separators), non-ASCII characters as
themselves, encoded in UTF-8 — exactly Python's `json.dumps(entry, sort_keys=True,
separators=(",", ":"), ensure_ascii=False)`. `index` is the entry's leaf index (0-based),
`created_at` epoch seconds (a JSON number as Python writes a float), `party_id` null for the
service's own entries, `nonce` 32 random hex digits (null for entries written before the log
became a Merkle tree).

>>> entry_bytes(0, None, "party.created", "p1", {"name": "Ä"}, 1.5, "00")
b'{"action":"party.created","created_at":1.5,"data":{"name":"\\xc3\\x84"},"index":0,"nonce":"00","party_id":null,"subject":"p1"}'
"""

from __future__ import annotations

import json
from typing import Any

from deconflict.tlog.merkle import leaf_hash

FIELDS = ("index", "party_id", "action", "subject", "data", "created_at", "nonce")


def entry_bytes(
    index: int,
    party_id: str | None,
    action: str,
    subject: str,
    data: Any,
    created_at: float,
    nonce: str | None,
) -> bytes:
    return canonical(entry_object(index, party_id, action, subject, data, created_at, nonce))


def entry_object(
    index: int,
    party_id: str | None,
    action: str,
    subject: str,
    data: Any,
    created_at: float,
    nonce: str | None,
) -> dict[str, Any]:
    """The entry as the JSON object its bytes are (and `GET /v1/audit/entries` shows)."""
    return {
        "index": index,
        "party_id": party_id,
        "action": action,
        "subject": subject,
        "data": data,
        "created_at": created_at,
        "nonce": nonce,
    }


def canonical(entry: dict[str, Any]) -> bytes:
    """The bytes of an entry given as the JSON object above (as `GET /v1/audit/entries` shows)."""
    if set(entry) != set(FIELDS):
        raise ValueError(f"an entry has exactly the fields {sorted(FIELDS)}")
    text = json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode()


def entry_leaf(entry: dict[str, Any]) -> bytes:
    return leaf_hash(canonical(entry))
