"""Every error as `{"error": {"code", "message", "field"}}`; the one table from domain error
category to HTTP status lives here."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from deconflict.errors import Category, DomainError, RateLimited

STATUS = {
    Category.MALFORMED: 400,
    Category.INVALID: 422,
    Category.UNAUTHORIZED: 401,
    Category.FORBIDDEN: 403,
    Category.NOT_FOUND: 404,
    Category.CONFLICT: 409,
    Category.PRECONDITION: 412,
    Category.PRECONDITION_REQUIRED: 428,
    Category.RATE: 429,
    Category.UNAVAILABLE: 503,
}
# Seconds a client should wait before retrying, by category (sent as `Retry-After`).
RETRY_AFTER = {Category.UNAVAILABLE: 1}
HTTP_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}


def error_body(code: str, message: str, field: str | None, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field, **extra}}


def field_path(loc: tuple[Any, ...]) -> str | None:
    """A pydantic location as a field path: ("body", "volumes", 0, "lat") → volumes[0].lat."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "header", "path") else loc)
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or None


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    extra = getattr(exc, "details", {})
    body = error_body(exc.code, exc.message, exc.field, **extra)
    retry = RETRY_AFTER.get(exc.category)
    if isinstance(exc, RateLimited):  # whole seconds, rounded up (RFC 9110 delay-seconds)
        retry = max(1, math.ceil(exc.retry_after))
    headers = {"Retry-After": str(retry)} if retry is not None else None
    return JSONResponse(body, status_code=STATUS[exc.category], headers=headers)


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    if first.get("type") == "json_invalid":
        return JSONResponse(error_body("invalid_json", "body is not valid JSON", None), 400)
    loc = tuple(first.get("loc", ()))
    if loc == ("body",):
        return JSONResponse(error_body("invalid_body", "body must be a JSON object", None), 400)
    field = field_path(loc)
    code = str(first.get("type", "invalid"))
    return JSONResponse(error_body(code, str(first.get("msg", "invalid")), field), 422)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail), None), exc.status_code, headers=exc.headers
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
