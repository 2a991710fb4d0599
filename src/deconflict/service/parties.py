"""Parties and keys: keys are random, shown once, stored as SHA-256 digests, rotated or
revoked at once."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from deconflict.errors import Conflicting, Forbidden, NotFound, Unauthorized
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.records import audit
from deconflict.service.views import rfc3339
from deconflict.store import Tx
from deconflict.store.parties import get_meta, insert_party, party_by, set_key_hash, set_meta

ADMIN_HASH = "admin_key_hash"
ADMIN = Principal(None, "admin", admin=True)


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


def authenticate(svc: Service, key: str | None) -> Principal:
    """Who `key` is, read from the database on every request: a key rotated or revoked on any
    worker (or by the CLI) is refused by every worker from its next request on."""
    if not key:
        raise Unauthorized("unauthorized", "an API key is required (Authorization: Bearer)")
    h = digest(key)

    def unit(tx: Tx) -> Principal:
        row = party_by(tx, key_hash=h)
        if row is not None:
            return Principal(row.id, row.name)
        if secrets.compare_digest(get_meta(tx, ADMIN_HASH) or "", h):
            return ADMIN
        raise Unauthorized("unauthorized", "unknown API key")

    return svc.read(unit)


def rotate_key(svc: Service, who: Principal, party_id: str | None) -> dict[str, Any]:
    """A new key for the party (the admin names it; a party rotates its own with None),
    returned this once; the old key is refused from now on."""
    target = _target(who, party_id)
    key = new_key()

    def unit(tx: Tx) -> dict[str, Any]:
        now = svc.now()
        _set_key(tx, target, digest(key))
        audit(tx, target, "key.rotated", target, {"by": "admin" if who.admin else "party"}, now)
        row = party_by(tx, id=target)
        assert row is not None
        return {"id": row.id, "name": row.name, "api_key": key, "created_at": rfc3339(now)}

    return svc.write(unit)


def party_id_named(svc: Service, name: str) -> str:
    """The id of the party called `name` (404 if none)."""
    row = svc.read(lambda tx: party_by(tx, name=name.strip()))
    if row is None:
        raise NotFound("not_found", "no party of this name", "name")
    return str(row.id)


def revoke_key(svc: Service, who: Principal, party_id: str) -> None:
    """Admin only: the party's key is refused from now on, and no new one is issued."""
    target = _target(who, party_id)

    def unit(tx: Tx) -> None:
        # Not a SHA-256 hex digest (it has a colon), so no key can ever match it.
        _set_key(tx, target, f"revoked:{uuid.uuid4().hex}")
        audit(tx, target, "key.revoked", target, {"by": "admin"}, svc.now())

    svc.write(unit)


def _target(who: Principal, party_id: str | None) -> str:
    if party_id is None:
        return who.party()
    if not who.admin:
        raise Forbidden("admin_only", "only the admin key manages another party's key")
    return party_id


def _set_key(tx: Tx, party_id: str, key_hash: str) -> None:
    if not set_key_hash(tx, party_id, key_hash):
        raise NotFound("not_found", "no such party", "id")


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
