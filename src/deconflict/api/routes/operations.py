"""Operations and the dry-run check: thin routes over `deconflict.service.operations`."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from deconflict.api.deps import IdemKey, IfMatch, Svc, Who, request_print
from deconflict.api.schemas import (
    BatchIn,
    BatchResult,
    CheckIn,
    CheckResult,
    ErrorOut,
    OperationIn,
    OperationOut,
    OperationPatch,
    OperationResult,
    Page,
    to_volumes,
)
from deconflict.service import checks
from deconflict.service import operations as ops

ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorOut} for s in (400, 401, 403, 404, 409, 422, 429)
}
VERSIONED: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (412, 428)}
router = APIRouter(prefix="/v1", tags=["operations"], responses=ERRORS)


@router.post("/operations", status_code=201, response_model=OperationResult)
def create_operation(
    body: OperationIn, request: Request, svc: Svc, who: Who, idem: IdemKey = None
) -> Response:
    """Store an operation and answer with the conflicts it has, atomically."""
    draft = ops.Draft(
        body.kind,
        to_volumes(body.volumes, svc.config.bounds),
        body.state,
        body.label,
        tuple(body.override),
    )
    # The hot write path: the service's answer already has the documented shape (the schema
    # tests check it), so it is sent as is rather than validated again field by field.
    answer = ops.create(svc, who, draft, idem, request_print(request, body, idem))
    return Response(orjson.dumps(answer), 201, media_type="application/json")


@router.post("/operations/batch", response_model=BatchResult)
def create_batch(body: BatchIn, svc: Svc, who: Who) -> dict[str, Any]:
    """Create up to `max_batch` planned operations at once (a day's plan), each its own write
    sharing group commits: each has its own result, `{operation, conflicts}` or `{error}`."""
    return {"results": ops.create_batch(svc, who, body.operations)}


@router.get("/operations", response_model=Page[OperationOut])
def list_operations(
    svc: Svc, who: Who, limit: int = Query(100, ge=1, le=500), cursor: str | None = None
) -> dict[str, Any]:
    return ops.list_(svc, who, limit, cursor)


@router.get("/operations/{op_id}", response_model=OperationOut)
def get_operation(op_id: str, response: Response, svc: Svc, who: Who) -> dict[str, Any]:
    view = ops.get(svc, who, op_id)
    response.headers["ETag"] = f'"{view["version"]}"'
    return view


@router.patch("/operations/{op_id}", response_model=OperationResult, responses=VERSIONED)
def change_operation(
    op_id: str, body: OperationPatch, svc: Svc, who: Who, version: IfMatch
) -> dict[str, Any]:
    """Change volumes, label or state (planned → active → ended). `If-Match: <version>` is
    required: missing → 428, stale → 412."""
    vols = None if body.volumes is None else to_volumes(body.volumes, svc.config.bounds)
    change = ops.Change(vols, body.state, body.label, tuple(body.override))
    return ops.change(svc, who, op_id, change, version)


@router.delete("/operations/{op_id}", response_model=OperationResult, responses=VERSIONED)
def cancel_operation(op_id: str, svc: Svc, who: Who, version: IfMatch) -> dict[str, Any]:
    """Cancel the operation (it is kept, in state `cancelled`); its conflicts resolve.
    `If-Match: <version>` is required: missing → 428, stale → 412."""
    return ops.cancel(svc, who, op_id, version)


@router.post("/checks", response_model=CheckResult)
def check(
    body: CheckIn, request: Request, svc: Svc, who: Who, idem: IdemKey = None
) -> dict[str, Any]:
    """Dry run: stores nothing, but each party hit is told (`probe` event) and it is audited.
    A retry with the same `Idempotency-Key` gets the first answer and tells nobody again."""
    volumes = to_volumes(body.volumes, svc.config.bounds)
    return checks.check(svc, who, body.kind, volumes, idem, request_print(request, body, idem))
