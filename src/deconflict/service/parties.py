"""Parties and keys: keys are random, shown once and stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

from deconflict.errors import Conflicting, Forbidden, Unauthorized
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.records import audit
from deconflict.service.views import rfc3339
from deconflict.store import Tx
from deconflict.store.parties import get_meta, insert_party, party_by, set_meta

ADMIN_HASH = "admin_key_hash"
ADMIN = Principal(None, "admin", admin=True)
# A key that authenticated is trusted again for this long without a database read. Keys are
# never changed in place (only the admin key, by a restart), so this only bounds staleness.
KEY_TTL_S = 30.0
MAX_KNOWN_KEYS = 10_000


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return secrets.token_urlsafe(32)


def create_party(svc: Service, who: Principal, name: str) -> dict[str, Any]:
    """A new party and its API key (returned this once only)."""
    if not who.admin:
        raise Forbidden("admin_only", "only the admin key creates parties")
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise Unprocessable("invalid_length", "must be 1..200 characters", "name")
    key, party_id = new_key(), str(uuid.uuid4())

    def unit(tx: Tx) -> dict[str, Any]:
        if party_by(tx, name=name) is not None:
            raise Conflicting("name_taken", "a party with this name exists", "name")
        now = svc.now()
        insert_party(tx, party_id, name, digest(key), now)
        audit(tx, None, "party.created", party_id, {"name": name}, now)
        return {"id": party_id, "name": name, "api_key": key, "created_at": rfc3339(now)}

    return svc.write(unit)


def known(svc: Service, key: str | None) -> Principal | None:
    """Who `key` is, if it authenticated less than KEY_TTL_S ago (no I/O); else None."""
    seen = svc.known_keys.get(digest(key)) if key else None
    if seen is not None and time.monotonic() - seen[0] < KEY_TTL_S:
        return seen[1]
    return None


def authenticate(svc: Service, key: str | None) -> Principal:
    if not key:
        raise Unauthorized("unauthorized", "an API key is required (Authorization: Bearer)")
    who = known(svc, key)
    if who is not None:
        return who
    h = digest(key)

    def unit(tx: Tx) -> Principal:
        if secrets.compare_digest(get_meta(tx, ADMIN_HASH) or "", h):
            return ADMIN
        row = party_by(tx, key_hash=h)
        if row is None:
            raise Unauthorized("unauthorized", "unknown API key")
        return Principal(row.id, row.name)

    who = svc.read(unit)
    if len(svc.known_keys) >= MAX_KNOWN_KEYS:
        svc.known_keys.clear()
    svc.known_keys[h] = (time.monotonic(), who)
    return who


def me(svc: Service, who: Principal) -> dict[str, Any]:
    if who.admin:
        return {"id": None, "name": who.name, "admin": True, "created_at": None}
    row = svc.read(lambda tx: party_by(tx, id=who.party()))
    assert row is not None
    return {"id": row.id, "name": row.name, "admin": False, "created_at": rfc3339(row.created_at)}


def ensure_admin_key(svc: Service) -> str | None:
    """Store the configured admin key's digest, or make one on first start and return it."""
    configured = svc.config.admin_key

    def unit(tx: Tx) -> str | None:
        stored = get_meta(tx, ADMIN_HASH)
        if configured:
            if stored != digest(configured):
                set_meta(tx, ADMIN_HASH, digest(configured))
                audit(tx, None, "admin_key.set", "", {}, svc.now())
            return None
        if stored:
            return None
        key = new_key()
        set_meta(tx, ADMIN_HASH, digest(key))
        audit(tx, None, "admin_key.generated", "", {}, svc.now())
        return key

    return svc.write(unit)
