"""A key in a URL (`?access_token=`) is refused everywhere but `GET /v1/events`, before any
route runs: URLs end up in proxy logs, browser history and Referer headers. EventSource cannot
send headers, so the stream is the one exception."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from deconflict.api.errors import error_body

STREAM = ("GET", "/v1/events")


class RefuseKeysInUrls:
    """401 naming `access_token` when a request elsewhere than the stream carries one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"access_token" in scope.get("query_string", b""):
            query = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
            if any(k == "access_token" for k, _ in query) and (
                (scope["method"], scope["path"]) != STREAM
            ):
                body = error_body(
                    "access_token_not_allowed",
                    "a key in the URL is accepted only on GET /v1/events; "
                    "send Authorization: Bearer",
                    "access_token",
                )
                await JSONResponse(body, 401)(scope, receive, send)
                return
        await self.app(scope, receive, send)
