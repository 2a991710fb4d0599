"""Parties (the admin creates them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from deconflict.api.deps import Svc, Who
from deconflict.api.routes.operations import ERRORS
from deconflict.api.schemas import Party, PartyCreated, PartyIn
from deconflict.service import parties

router = APIRouter(prefix="/v1", tags=["parties"], responses=ERRORS)


@router.post("/parties", status_code=201, response_model=PartyCreated)
def create_party(body: PartyIn, svc: Svc, who: Who) -> dict[str, Any]:
    """Admin only. The API key is in this answer and nowhere else."""
    return parties.create_party(svc, who, body.name)


@router.get("/parties/me", response_model=Party)
def me(svc: Svc, who: Who) -> dict[str, Any]:
    return parties.me(svc, who)


@router.post("/parties/me/key", response_model=PartyCreated)
def rotate_own_key(svc: Svc, who: Who) -> dict[str, Any]:
    """A new key for the calling party, in this answer only; the key used for this request is
    refused from now on, on every worker."""
    return parties.rotate_key(svc, who, None)


@router.post("/parties/{party_id}/key", response_model=PartyCreated)
def rotate_key(party_id: str, svc: Svc, who: Who) -> dict[str, Any]:
    """Admin only: a new key for the party, in this answer only; the old one is refused."""
    return parties.rotate_key(svc, who, party_id)


@router.delete("/parties/{party_id}/key", status_code=204)
def revoke_key(party_id: str, svc: Svc, who: Who) -> Response:
    """Admin only: the party's key is refused from now on; no new one is issued."""
    parties.revoke_key(svc, who, party_id)
    return Response(status_code=204)

