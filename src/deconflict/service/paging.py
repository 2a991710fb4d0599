"""Opaque list cursors and idempotent writes."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

from deconflict.errors import DomainError
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.records import with_receipt
from deconflict.store import Tx, log

MAX_LIMIT = 500


class IdempotencyMismatch(DomainError):
    """The same Idempotency-Key was sent with a different request."""


def encode_cursor(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError:
        raise Unprocessable("invalid_cursor", "is not a cursor from this list", "cursor") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable("out_of_range", f"must be within 1..{MAX_LIMIT}", "limit")
    return limit


def page(
    items: list[Any], rows: list[Any], limit: int, key: Callable[[Any], Any]
) -> dict[str, Any]:
    """`{items, next_cursor}`; a cursor only when the page is full (there may be more)."""
    nxt = encode_cursor(key(rows[-1])) if len(rows) == limit else None
    return {"items": items, "next_cursor": nxt}


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    svc: Service,
    who: Principal,
    key: str | None,
    print_: str,
    fn: Callable[[Tx], dict[str, Any]],
) -> dict[str, Any]:
    """Run `fn` once per (party, key): a retry gets the stored response and writes nothing."""
    owner = who.party_id or "admin"

    def unit(tx: Tx) -> dict[str, Any]:
        if key:
            stored = log.stored_response(tx, owner, key)
            if stored is not None:
                if stored.fingerprint != print_:
                    raise IdempotencyMismatch(
                        "idempotency_key_reused",
                        "was already used for a different request",
                        "Idempotency-Key",
                    )
                body: dict[str, Any] = stored.body
                return body
        body = with_receipt(tx, fn(tx))  # (stamped at commit, the stored copy too)
        if key:
            log.store_response(tx, owner, key, print_, 200, body, svc.now())
        return body

    return svc.write(unit)
