"""Request dependencies: the service, the caller (bearer key; `?access_token=` on the event
stream only) admitted by its rate limit, headers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconflict.api.throttle import Throttle, route_class
from deconflict.errors import InvalidVolume, PreconditionRequired
from deconflict.service import Principal, Service
from deconflict.service.paging import fingerprint
from deconflict.service.parties import authenticate

bearer = HTTPBearer(auto_error=False, description="the party's API key")


async def service(request: Request) -> Service:
    """The app's service. `async` although it awaits nothing: FastAPI runs a plain `def`
    dependency in the thread pool, a hand-off that costs more than this look-up."""
    svc: Service = request.app.state.service
    return svc


Svc = Annotated[Service, Depends(service)]


async def principal(
    request: Request,
    svc: Svc,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The caller, read from the database in the thread pool (never on the event loop), then
    admitted by its rate limit. `?access_token=` is taken on `GET /v1/events` only (EventSource
    cannot send headers)."""
    method, path = request.method, _route_path(request)
    # Present only on GET /v1/events: `url_keys.RefuseKeysInUrls` refused it anywhere else.
    token = request.query_params.get("access_token")
    who = await run_in_threadpool(authenticate, svc, creds.credentials if creds else token)
    if who.party_id is not None:  # the admin key (the operator's own) is not rate limited
        throttle: Throttle = request.app.state.throttle
        throttle.admit(who.party_id, route_class(method, path))
    return who


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


async def if_match(
    value: Annotated[
        str | None,
        Header(alias="If-Match", description="the version the change is based on (required)"),
    ] = None,
) -> int:
    """The version a PATCH or DELETE is based on. Required, so that no change is made blind
    to one made meanwhile by someone else of the same party (lost update)."""
    if value is None:
        raise PreconditionRequired(
            "precondition_required", "send If-Match: <version> (see the ETag of GET)", "If-Match"
        )
    try:
        return int(value.strip().strip('"').removeprefix("W/").strip('"'))
    except ValueError:
        raise InvalidVolume("invalid_version", "must be a version number", "If-Match") from None


IdemKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="retries return the first answer"),
]
Who = Annotated[Principal, Depends(principal)]
IfMatch = Annotated[int, Depends(if_match)]


def request_print(request: Request, body: Any, idem: str | None) -> str:
    """What a retry with the same Idempotency-Key must match; "" without a key (unused)."""
    if not idem:
        return ""
    dumped = body.model_dump(mode="json") if hasattr(body, "model_dump") else body
    return fingerprint(request.method, request.url.path, dumped)
