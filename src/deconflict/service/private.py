"""The relay for private matching: it stores and forwards opaque blobs between two parties.

It never holds a key that opens anything: X25519 public keys, blinded group elements (the
blinding scalars stay with the parties), refinements sealed from one party to another and
conflicts encrypted for their two parties. What it knows in the clear is only who talks to
whom, when, and how big the (padded) blobs are. Every blob answers 404 to anyone but the
party it is addressed to, exactly like an id that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from deconflict.engine import disclosure
from deconflict.engine.disclosure import EventType
from deconflict.errors import Conflicting, NotFound
from deconflict.service.context import Principal, Service, Unprocessable
from deconflict.service.records import audit, deliver
from deconflict.service.views import rfc3339
from deconflict.store import Tx
from deconflict.store import private as store
from deconflict.store.parties import party_names

KEY_BYTES = 32
POINT_BYTES = 32
MAX_POINTS = 400_000  # a blinded set (padded), ~12.8 MB
MAX_SEALED = 32_000_000  # a refinement or a conflict, sealed
STATUSES = ("open", "resolved")


def _private(tx: Tx, party_id: str, field: str) -> Any:
    """The party's published key row; an unknown or non-private party is not found."""
    row = store.public_key(tx, party_id)
    if row is None:
        raise NotFound("not_found", "no such private party", field)
    return row


def _pair(tx: Tx, party_id: str, counterpart: str) -> None:
    """Both the caller and its counterpart (another party) take part in private matching."""
    _private(tx, party_id, "public_key")
    if counterpart == party_id:
        raise NotFound("not_found", "no such private party", "counterpart")
    _private(tx, counterpart, "counterpart")


def _points(blob: bytes, field: str) -> bytes:
    if not blob or len(blob) % POINT_BYTES or len(blob) // POINT_BYTES > MAX_POINTS:
        raise Unprocessable(
            "invalid_length", f"must be 1..{MAX_POINTS} points of {POINT_BYTES} bytes", field
        )
    return blob


def _sealed(blob: bytes, field: str) -> bytes:
    if not 0 < len(blob) <= MAX_SEALED:
        raise Unprocessable("invalid_length", f"must be 1..{MAX_SEALED} bytes", field)
    return blob


def publish_key(svc: Service, who: Principal, key: bytes) -> dict[str, Any]:
    """Publish (or replace) the caller's X25519 public key: it becomes a private party."""
    party = who.party()
    if len(key) != KEY_BYTES:
        raise Unprocessable("invalid_length", f"must be {KEY_BYTES} bytes", "public_key")

    def unit(tx: Tx) -> dict[str, Any]:
        now = svc.now()
        store.put_public_key(tx, party, key, now)
        audit(tx, party, "private.key", party, {}, now)
        return {"party_id": party, "public_key": key, "updated_at": rfc3339(now)}

    return svc.write(unit)


def parties(svc: Service, who: Principal) -> list[dict[str, Any]]:
    """The other private parties and their public keys (the caller must be one)."""
    party = who.party()

    def unit(tx: Tx) -> list[dict[str, Any]]:
        if store.public_key(tx, party) is None:
            raise Conflicting("not_private", "publish your public key first", "public_key")
        return [
            {"id": r.party_id, "name": r.name, "public_key": r.public_key}
            for r in store.private_parties(tx)
            if r.party_id != party
        ]

    return svc.read(unit)


def put_set(svc: Service, who: Principal, counterpart: str, blinded: bytes) -> dict[str, Any]:
    """Store the caller's blinded cells for `counterpart` as a new round."""
    party = who.party()
    _points(blinded, "points")

    def unit(tx: Tx) -> dict[str, Any]:
        _pair(tx, party, counterpart)
        now = svc.now()
        round_ = store.put_set(tx, party, counterpart, blinded, now)
        data = {"counterpart": counterpart, "round": round_, "points": len(blinded) // POINT_BYTES}
        audit(tx, party, "private.set", counterpart, data, now)
        return {"round": round_, "points": len(blinded) // POINT_BYTES}

    return svc.write(unit)


def get_set(svc: Service, who: Principal, counterpart: str) -> dict[str, Any]:
    """`counterpart`'s blinded cells addressed to the caller (its current round)."""
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = store.get_set(tx, counterpart, party)
        if row is None:
            raise NotFound("not_found", "no set from this party", "counterpart")
        return {"round": int(row.round), "points": bytes(row.blinded)}

    return svc.read(unit)


def put_reblinded(
    svc: Service, who: Principal, counterpart: str, round_: int, points: bytes
) -> dict[str, Any]:
    """The caller's re-blinding of `counterpart`'s set of round `round_`, addressed back."""
    party = who.party()
    _points(points, "points")

    def unit(tx: Tx) -> dict[str, Any]:
        row = store.get_set(tx, counterpart, party)
        if row is None:
            raise NotFound("not_found", "no set from this party", "counterpart")
        if int(row.round) != round_:
            raise Conflicting("stale_round", f"the current round is {row.round}", "round")
        if len(points) != len(row.blinded):
            raise Unprocessable("invalid_length", "must re-blind every point", "points")
        now = svc.now()
        store.put_reblinded(tx, counterpart, party, round_, points, now)
        data = {"counterpart": counterpart, "round": round_}
        audit(tx, party, "private.reblinded", counterpart, data, now)
        return {"round": round_, "points": len(points) // POINT_BYTES}

    return svc.write(unit)


def get_reblinded(svc: Service, who: Principal, counterpart: str) -> dict[str, Any]:
    """The caller's own set for `counterpart`, as `counterpart` re-blinded it."""
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = store.get_set(tx, party, counterpart)
        if row is None or row.reblinded is None or row.reblinded_round != row.round:
            raise NotFound("not_found", "not re-blinded yet", "counterpart")
        return {"round": int(row.round), "points": bytes(row.reblinded)}

    return svc.read(unit)


def put_refinement(svc: Service, who: Principal, counterpart: str, sealed: bytes) -> dict[str, Any]:
    """Store the caller's refinement sealed to `counterpart` (replacing the previous one)."""
    party = who.party()
    _sealed(sealed, "sealed")

    def unit(tx: Tx) -> dict[str, Any]:
        _pair(tx, party, counterpart)
        now = svc.now()
        store.put_refinement(tx, party, counterpart, sealed, now)
        audit(tx, party, "private.refinement", counterpart, {"bytes": len(sealed)}, now)
        return {"bytes": len(sealed), "updated_at": rfc3339(now)}

    return svc.write(unit)


def get_refinement(svc: Service, who: Principal, counterpart: str) -> dict[str, Any]:
    """`counterpart`'s latest refinement sealed to the caller."""
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = store.get_refinement(tx, counterpart, party)
        if row is None:
            raise NotFound("not_found", "no refinement from this party", "counterpart")
        return {"sealed": bytes(row.sealed), "updated_at": rfc3339(row.updated_at)}

    return svc.read(unit)


def _view(row: Any, party: str, names: dict[str, str]) -> dict[str, Any]:
    return disclosure.private_conflict_view(row._mapping, party, names)


def _notice(row: Any, party: str, names: dict[str, str]) -> dict[str, Any]:
    """What an event tells each side: the conflict's id and statuses, nothing sealed."""
    view = _view(row, party, names)
    return {k: view[k] for k in ("id", "status", "other_party", "opened_at", "resolved_at")}


def report(
    svc: Service, who: Principal, counterpart: str, ref: str, status: str, sealed: bytes | None
) -> dict[str, Any]:
    """A side reports a private conflict it computed as open (with the sealed region) or no
    longer found (resolved). Opening or resolving it tells both sides."""
    party = who.party()
    if status not in STATUSES:
        raise Unprocessable("invalid_status", "must be open or resolved", "status")
    if not (len(ref) == 64 and all(ch in "0123456789abcdef" for ch in ref)):
        raise Unprocessable("invalid_ref", "must be 64 lowercase hex digits", "ref")
    if status == "open" and sealed is None:
        raise Unprocessable("missing", "an open conflict needs its sealed region", "sealed")
    if sealed is not None:
        _sealed(sealed, "sealed")

    def unit(tx: Tx) -> dict[str, Any]:
        _pair(tx, party, counterpart)
        a, b = sorted((party, counterpart))
        me = "a" if party == a else "b"
        now, row = svc.now(), store.conflict_by_ref(tx, a, b, ref)
        told: str | None = None
        if row is None:
            if status == "resolved":
                raise NotFound("not_found", "no such private conflict", "ref")
            conflict_id = str(uuid.uuid4())
            store.insert_conflict(
                tx, id=conflict_id, party_a=a, party_b=b, ref=ref, status="open",
                status_a="open", status_b="open", sealed=sealed, opened_at=now, updated_at=now,
            )  # fmt: skip
            told = "private.conflict.opened"
        else:
            conflict_id = row.id
            values: dict[str, Any] = {f"status_{me}": status, "updated_at": now}
            if sealed is not None:
                values["sealed"] = sealed
            if status == "resolved" and row.status == "open":
                values.update(status="resolved", resolved_at=now)
                told = "private.conflict.resolved"
            elif status == "open" and row.status == "resolved":
                values.update(status="open", resolved_at=None, status_a="open", status_b="open")
                told = "private.conflict.opened"
            store.update_conflict(tx, conflict_id, **values)
        audit(tx, party, f"private.conflict.{status}", conflict_id, {}, now)
        fresh = store.get_conflict(tx, conflict_id)
        names = party_names(tx, (a, b))
        if told is not None:
            notices = {p: _notice(fresh, p, names) for p in (a, b)}
            deliver(tx, disclosure.private_conflict(EventType(told), conflict_id, notices), now)
        return _view(fresh, party, names)

    return svc.write(unit)


def conflicts(svc: Service, who: Principal) -> list[dict[str, Any]]:
    """The caller's private conflicts (sealed: only the two parties can open them)."""
    party = who.party()

    def unit(tx: Tx) -> list[dict[str, Any]]:
        rows = store.conflicts_of(tx, party)
        names = party_names(tx, {p for r in rows for p in (r.party_a, r.party_b)})
        return [_view(r, party, names) for r in rows]

    return svc.read(unit)


def conflict(svc: Service, who: Principal, conflict_id: str) -> dict[str, Any]:
    party = who.party()

    def unit(tx: Tx) -> dict[str, Any]:
        row = store.get_conflict(tx, conflict_id)
        if row is None or party not in (row.party_a, row.party_b):
            raise NotFound("not_found", "no such private conflict", "id")
        return _view(row, party, party_names(tx, (row.party_a, row.party_b)))

    return svc.read(unit)
