"""Opaque list cursors, opaque ids and idempotent writes.

A cursor is its list position encrypted and authenticated with keys derived from one server
secret (`DECONFLICT_CURSOR_SECRET`, or made once and kept in the database, so every worker
shares it): HMAC-SHA256 as a keystream (counter mode over a random nonce) and, over the
party, the list and the sealed position, as a tag (encrypt-then-MAC, stdlib `hmac` only). A
party can neither read a position (which may be a global row number) nor forge, alter or
reuse one for another party or list."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

from deconflict.errors import DomainError, Malformed
from deconflict.service.context import CursorKeys, Principal, Service, Unprocessable
from deconflict.service.records import with_receipt
from deconflict.store import Tx, log
from deconflict.store.parties import get_meta, set_meta
from deconflict.store.turns import OTHER, Turn

MAX_LIMIT = 500
CURSOR_SECRET = "cursor_secret"  # the `meta` row holding the generated secret
NONCE, TAG = 12, 16


class IdempotencyMismatch(DomainError):
    """The same Idempotency-Key was sent with a different request."""


def _keys(svc: Service) -> CursorKeys:
    """The cursor keys, derived from the configured secret or the one kept in the database
    (made by the first worker that needs it: every worker then reads the same one)."""
    if svc.cursor_keys is None:
        secret = svc.config.cursor_secret or svc.write(_stored_secret)
        svc.cursor_keys = CursorKeys.derive(secret.encode())
    return svc.cursor_keys


def _stored_secret(tx: Tx) -> str:
    secret = get_meta(tx, CURSOR_SECRET)
    if secret is None:
        secret = secrets.token_hex(32)
        set_meta(tx, CURSOR_SECRET, secret)
    return secret


def seal(svc: Service, party: str, list_name: str, position: Any) -> str:
    """An opaque cursor: the position encrypted and authenticated for this party and list."""
    keys = _keys(svc)
    nonce = secrets.token_bytes(NONCE)
    plain = json.dumps(position, separators=(",", ":")).encode()
    sealed = bytes(a ^ b for a, b in zip(plain, keys.stream(nonce, len(plain)), strict=True))
    tag = keys.tag(party, list_name, nonce + sealed)
    return base64.urlsafe_b64encode(nonce + sealed + tag).decode().rstrip("=")


def unseal(svc: Service, party: str, list_name: str, cursor: str | None) -> Any:
    """The position in a cursor `seal` made for this party and list; anything else (forged,
    garbled, another party's or another list's) is refused, 400 naming `cursor`."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except ValueError:
        raise _not_a_cursor() from None
    if len(raw) < NONCE + TAG + 1 or not cursor.isascii():
        raise _not_a_cursor()
    keys = _keys(svc)
    body, tag = raw[:-TAG], raw[-TAG:]
    if not hmac.compare_digest(tag, keys.tag(party, list_name, body)):
        raise _not_a_cursor()
    nonce, sealed = body[:NONCE], body[NONCE:]
    plain = bytes(a ^ b for a, b in zip(sealed, keys.stream(nonce, len(sealed)), strict=True))
    return json.loads(plain)


def _not_a_cursor() -> Malformed:
    return Malformed("invalid_cursor", "is not a cursor this list gave you", "cursor")


def opaque_id(svc: Service, kind: str, internal: int) -> str:
    """A stable id for a row numbered by a global counter, that does not count anything."""
    return _keys(svc).label(f"{kind}:{internal}")


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Unprocessable("out_of_range", f"must be within 1..{MAX_LIMIT}", "limit")
    return limit


def page(
    svc: Service,
    party: str,
    list_name: str,
    items: list[Any],
    rows: list[Any],
    limit: int,
    key: Callable[[Any], Any],
) -> dict[str, Any]:
    """`{items, next_cursor}`; a cursor only when the page is full (there may be more)."""
    nxt = seal(svc, party, list_name, key(rows[-1])) if len(rows) == limit else None
    return {"items": items, "next_cursor": nxt}


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def idempotent(
    svc: Service,
    who: Principal,
    key: str | None,
    print_: str,
    fn: Callable[[Tx], dict[str, Any]],
    turn: Turn = OTHER,
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

    return svc.write(unit, turn)
