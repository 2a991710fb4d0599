"""A body size limit enforced before anything parses the body: a declared `Content-Length`
over the limit is refused unread; a body without one (chunked) is counted as it arrives and
refused the moment it passes the limit. Either way the answer is 413 JSON naming the body."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.errors import error_body


class BodyTooLarge(Exception):
    """Raised into the app when the body it is reading passes the limit."""


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # (the server refuses a malformed length itself)
    return None


async def refuse(send: Send, limit: int) -> None:
    """Answer 413 and ask the server to close the connection (the rest of the body is unread)."""
    body = orjson.dumps(
        error_body("body_too_large", f"the request body is over {limit} bytes", "body")
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: at most `limit` body bytes per request, or `by_path[path]` for a path."""

    def __init__(self, app: ASGIApp, limit: int, by_path: Mapping[str, int] | None = None):
        self.app = app
        self.limit = limit
        self.by_path = dict(by_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.by_path.get(scope["path"].rstrip("/"), self.limit)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await refuse(send, limit)
            return
        seen, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                return  # whatever the app makes of the cut body, the 413 is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await refuse(send, limit)
