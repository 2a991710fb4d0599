"""Files in and out: `POST /v1/imports?format=` and `GET /v1/exports/{operations,conflicts}.F`,
thin over `deconflict.service.files`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from deconflict.api.deps import Svc, Who
from deconflict.api.schemas import ErrorOut, OperationOut
from deconflict.errors import InvalidVolume
from deconflict.formats import MEDIA_TYPES
from deconflict.service import files

MAX_BODY = 10 * 1024 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorOut} for s in (401, 422)}
router = APIRouter(prefix="/v1", tags=["files"], responses=ERRORS)
Format = Literal["geojson", "kml", "csv", "notam", "ed269"]
OutFormat = Literal["geojson", "kml", "csv"]
FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file as it is (GeoJSON, KML, CSV, NOTAM text or ED-269 JSON)",
        "content": {
            t: {"schema": {"type": "string"}} for t in ("text/plain", "application/octet-stream")
        },
    }
}


class ImportItemError(BaseModel):
    item: int
    field: str
    message: str


class ImportedOperation(OperationOut):
    item: int


class ImportResult(BaseModel):
    operations: list[ImportedOperation]
    conflicts: list[dict[str, Any]]
    errors: list[ImportItemError]


@router.post("/imports", response_model=ImportResult, openapi_extra=FILE_BODY)
async def import_file(
    request: Request,
    svc: Svc,
    who: Who,
    format: Annotated[Format, Query(description="the file's format")],
    check: Annotated[bool, Query(description="dry run: store nothing, tell those it hits")] = False,
) -> dict[str, Any]:
    """Each item of the file is created (or checked) as its own operation: a refused item is
    named in `errors` ({item, field, message}) and the rest go in."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidVolume("too_large", f"at most {MAX_BODY // 2**20} MiB", "body")
    return await run_in_threadpool(files.import_file, svc, who, format, body, check)


def _export(svc: Svc, who: Who, what: str, fmt: str) -> Response:
    text = files.export(svc, who, what, fmt)
    headers = {"Content-Disposition": f'attachment; filename="{what}.{fmt}"'}
    return Response(text, media_type=MEDIA_TYPES[fmt], headers=headers)


def _content(description: str) -> dict[int | str, dict[str, Any]]:
    geojson = {"type": "object", "description": "a GeoJSON FeatureCollection"}
    return {
        200: {
            "description": description,
            "content": {
                t.split(";")[0]: {"schema": geojson if fmt == "geojson" else {"type": "string"}}
                for fmt, t in MEDIA_TYPES.items()
            },
        }
    }


@router.get(
    "/exports/operations.{fmt}",
    response_class=Response,
    responses=_content("the caller's own operations (not cancelled), one feature per volume"),
)
def export_operations(fmt: OutFormat, svc: Svc, who: Who) -> Response:
    return _export(svc, who, "operations", fmt)


@router.get(
    "/exports/conflicts.{fmt}",
    response_class=Response,
    responses=_content("the caller's open conflicts: regions only, as it may see them"),
)
def export_conflicts(fmt: OutFormat, svc: Svc, who: Who) -> Response:
    return _export(svc, who, "conflicts", fmt)
