"""Parties (the admin creates them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

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

