"""Conflicts as the caller's side sees them, acknowledgements and message threads."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request

from deconflict.api.deps import IdemKey, Svc, Who, request_print
from deconflict.api.routes.operations import ERRORS
from deconflict.api.schemas import (
    Acknowledged,
    ConflictOut,
    Message,
    MessageIn,
    MessagePosted,
    Page,
)
from deconflict.service import conflicts

router = APIRouter(prefix="/v1/conflicts", tags=["conflicts"], responses=ERRORS)


@router.get("", response_model=Page[ConflictOut])
def list_conflicts(
    svc: Svc,
    who: Who,
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
    status: Literal["open", "resolved"] | None = None,
) -> dict[str, Any]:
    return conflicts.list_(svc, who, limit, cursor, status)


@router.get("/{conflict_id}", response_model=ConflictOut)
def get_conflict(conflict_id: str, svc: Svc, who: Who) -> dict[str, Any]:
    return conflicts.get(svc, who, conflict_id)


@router.post("/{conflict_id}/ack", response_model=Acknowledged)
def acknowledge(conflict_id: str, svc: Svc, who: Who) -> dict[str, Any]:
    return conflicts.acknowledge(svc, who, conflict_id)


@router.get("/{conflict_id}/messages", response_model=Page[Message])
def list_messages(
    conflict_id: str,
    svc: Svc,
    who: Who,
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = None,
) -> dict[str, Any]:
    return conflicts.messages(svc, who, conflict_id, limit, cursor)


@router.post("/{conflict_id}/messages", status_code=201, response_model=MessagePosted)
def post_message(
    conflict_id: str, body: MessageIn, request: Request, svc: Svc, who: Who, idem: IdemKey = None
) -> dict[str, Any]:
    return conflicts.post_message(
        svc, who, conflict_id, body.body, idem, request_print(request, body, idem)
    )
