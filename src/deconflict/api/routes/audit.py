"""The audit log: own entries, the signed checkpoint, the log's key and RFC 9162 proofs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from deconflict.api.deps import Svc, Who
from deconflict.api.routes.operations import ERRORS
from deconflict.api.schemas import AuditEntry, Page
from deconflict.service import audit

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=ERRORS)
NOTE = "text/plain; charset=utf-8"
# Text on success; errors stay JSON as everywhere (so not `response_class`, which would
# document the errors as text too).
TEXT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}}
}


class Proof(BaseModel):
    hashes: list[str] = Field(description="RFC 9162 audit path, base64 SHA-256 hashes")


class LeafEntry(BaseModel):
    index: int
    leaf_hash: str = Field(description="base64 SHA-256(0x00 || canonical entry bytes)")
    entry: dict[str, Any] = Field(description="the entry, as the JSON its leaf hash is over")


@router.get("", response_model=Page[AuditEntry])
def audit_log(
    svc: Svc, who: Who, limit: int = Query(100, ge=1, le=500), cursor: str | None = None
) -> dict[str, Any]:
    """The caller's own audit entries (the admin: all), oldest first."""
    return audit.entries(svc, who, limit, cursor)


@router.get("/checkpoint", responses=TEXT)
def checkpoint(svc: Svc, who: Who) -> PlainTextResponse:
    """The latest signed checkpoint: a C2SP tlog-checkpoint signed note, as is."""
    return PlainTextResponse(audit.checkpoint(svc), media_type=NOTE)


@router.get("/key", responses=TEXT)
def key(svc: Svc, who: Who) -> PlainTextResponse:
    """The log's verifier key (C2SP signed-note verifier key string). Pin it out of band."""
    return PlainTextResponse(audit.key(svc) + "\n", media_type=NOTE)


@router.get("/proof/inclusion", response_model=Proof)
def inclusion(svc: Svc, who: Who, index: int, tree_size: int) -> dict[str, Any]:
    """The audit path of leaf `index` in the tree of the first `tree_size` entries."""
    return audit.inclusion(svc, index, tree_size)


@router.get("/proof/consistency", response_model=Proof)
def consistency(
    svc: Svc, who: Who, old: int = Query(alias="from"), new: int = Query(alias="to")
) -> dict[str, Any]:
    """The consistency proof between the trees of the first `from` and `to` entries."""
    return audit.consistency(svc, old, new)


@router.get("/entries/{index}", response_model=LeafEntry)
def entry(index: int, svc: Svc, who: Who) -> dict[str, Any]:
    """An entry by leaf index: the caller's own (the admin: any); others' answer 404."""
    return audit.entry(svc, who, index)
