"""Private matching's relay: thin routes over `deconflict.service.private`. Blobs travel as
base64 (standard alphabet, padded); the service never opens them.

Paths name the counterpart: a PUT sends something towards it, a GET of the same path reads
what it sent towards the caller.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from deconflict.api.deps import Svc, Who
from deconflict.api.routes.operations import ERRORS
from deconflict.service import private
from deconflict.service.context import Unprocessable

router = APIRouter(prefix="/v1/private", tags=["private"], responses=ERRORS)


def _bytes(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable("invalid_base64", "must be base64", field) from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyIn(_In):
    public_key: str = Field(description="X25519 public key, 32 bytes, base64")


class KeyOut(BaseModel):
    party_id: str
    public_key: str
    updated_at: str


class PrivateParty(BaseModel):
    id: str
    name: str
    public_key: str


class PointsIn(_In):
    points: str = Field(description="32-byte group elements, concatenated, base64")


class ReblindedIn(PointsIn):
    round: int = Field(ge=1)


class PointsOut(BaseModel):
    round: int
    points: str


class Stored(BaseModel):
    round: int
    points: int


class SealedIn(_In):
    sealed: str = Field(description="a box sealed to the counterpart, base64")


class SealedOut(BaseModel):
    sealed: str
    updated_at: str


class SealedStored(BaseModel):
    bytes: int
    updated_at: str


class ReportIn(_In):
    counterpart: str = Field(max_length=36)
    ref: str = Field(max_length=64, description="opaque: HMAC both parties derive")
    status: Literal["open", "resolved"]
    sealed: str | None = Field(None, description="the region, encrypted for the two parties")


class PrivateConflict(BaseModel):
    id: str
    ref: str
    status: str
    other_party: str
    other_party_id: str
    my_status: str
    other_status: str
    sealed: str
    opened_at: str
    updated_at: str
    resolved_at: str | None


def _encoded(view: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {**view, **{f: _b64(view[f]) for f in fields}}


@router.put("/key", response_model=KeyOut)
def publish_key(body: KeyIn, svc: Svc, who: Who) -> dict[str, Any]:
    """Publish the caller's X25519 public key: it takes part in private matching."""
    key = _bytes(body.public_key, "public_key")
    return _encoded(private.publish_key(svc, who, key), "public_key")


@router.get("/parties", response_model=list[PrivateParty])
def parties(svc: Svc, who: Who) -> list[dict[str, Any]]:
    """The other private parties and their public keys."""
    return [_encoded(p, "public_key") for p in private.parties(svc, who)]


@router.put("/sets/{counterpart}", response_model=Stored)
def put_set(counterpart: str, body: PointsIn, svc: Svc, who: Who) -> dict[str, Any]:
    """The caller's blinded cells for `counterpart`: a new round."""
    return private.put_set(svc, who, counterpart, _bytes(body.points, "points"))


@router.get("/sets/{counterpart}", response_model=PointsOut)
def get_set(counterpart: str, svc: Svc, who: Who) -> dict[str, Any]:
    """`counterpart`'s blinded cells for the caller."""
    return _encoded(private.get_set(svc, who, counterpart), "points")


@router.put("/reblinded/{counterpart}", response_model=Stored)
def put_reblinded(counterpart: str, body: ReblindedIn, svc: Svc, who: Who) -> dict[str, Any]:
    """`counterpart`'s set (of `round`) re-blinded by the caller, in the same order."""
    points = _bytes(body.points, "points")
    return private.put_reblinded(svc, who, counterpart, body.round, points)


@router.get("/reblinded/{counterpart}", response_model=PointsOut)
def get_reblinded(counterpart: str, svc: Svc, who: Who) -> dict[str, Any]:
    """The caller's current set, as `counterpart` re-blinded it."""
    return _encoded(private.get_reblinded(svc, who, counterpart), "points")


@router.put("/refinements/{counterpart}", response_model=SealedStored)
def put_refinement(counterpart: str, body: SealedIn, svc: Svc, who: Who) -> dict[str, Any]:
    """The caller's clipped geometry, sealed to `counterpart`."""
    return private.put_refinement(svc, who, counterpart, _bytes(body.sealed, "sealed"))


@router.get("/refinements/{counterpart}", response_model=SealedOut)
def get_refinement(counterpart: str, svc: Svc, who: Who) -> dict[str, Any]:
    """`counterpart`'s clipped geometry, sealed to the caller."""
    return _encoded(private.get_refinement(svc, who, counterpart), "sealed")


@router.post("/conflicts", response_model=PrivateConflict)
def report(body: ReportIn, svc: Svc, who: Who) -> dict[str, Any]:
    """Report a private conflict as computed (open, with its sealed region) or gone."""
    sealed = None if body.sealed is None else _bytes(body.sealed, "sealed")
    view = private.report(svc, who, body.counterpart, body.ref, body.status, sealed)
    return _encoded(view, "sealed")


@router.get("/conflicts", response_model=list[PrivateConflict])
def conflicts(svc: Svc, who: Who) -> list[dict[str, Any]]:
    return [_encoded(c, "sealed") for c in private.conflicts(svc, who)]


@router.get("/conflicts/{conflict_id}", response_model=PrivateConflict)
def conflict(conflict_id: str, svc: Svc, who: Who) -> dict[str, Any]:
    return _encoded(private.conflict(svc, who, conflict_id), "sealed")
