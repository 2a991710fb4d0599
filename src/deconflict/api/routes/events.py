"""`GET /v1/events`: the party's events as Server-Sent Events, replayable by sequence number."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from deconflict.api.deps import Svc, Who
from deconflict.api.hub import Hub
from deconflict.api.routes.operations import ERRORS
from deconflict.api.throttle import Throttle
from deconflict.errors import InvalidVolume, Unavailable
from deconflict.service import Principal, Service, events

router = APIRouter(prefix="/v1", tags=["events"], responses=ERRORS)
KEEPALIVE_S = 15.0
PRUNED = "events.pruned"  # a resumed stream's events were partly pruned (retention)


def frame(event: dict[str, Any]) -> str:
    data = orjson.dumps(event["data"]).decode()
    return f"id: {event['seq']}\nevent: {event['type']}\ndata: {data}\n\n"


class HeldStream(StreamingResponse):
    """A stream that gives its slot back however it ends (even if it never started)."""

    def __init__(self, content: AsyncIterator[str], release: Callable[[], None]) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.release()


async def stream(
    request: Request, svc: Service, who: Principal, hub: Hub, last: int, resumed: bool
) -> AsyncIterator[str]:
    yield "retry: 1000\n\n"
    if resumed:
        gap = await run_in_threadpool(events.gap, svc, who, last)
        if gap is not None:  # no `id:`: the client's Last-Event-ID stays where it was
            yield f"event: {PRUNED}\ndata: {orjson.dumps(gap).decode()}\n\n"
    quiet_since = time.monotonic()
    party = who.party()
    wait_s = min(svc.config.event_poll_s, KEEPALIVE_S)
    while not await request.is_disconnected():
        mark = hub.mark(party)  # before reading: a commit meanwhile wakes the wait below
        try:
            batch = await run_in_threadpool(events.after, svc, who, last)
        except Unavailable:
            batch = []  # the database is away: keep the stream, read again after the wait
        for event in batch:
            yield frame(event)
            last = event["seq"]
        if batch:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since > KEEPALIVE_S:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await hub.wait(party, mark, wait_s)


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def event_stream(
    request: Request,
    svc: Svc,
    who: Who,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    access_token: Annotated[
        str | None,
        Query(description="the API key, for EventSource (no headers); on this route only"),
    ] = None,
) -> StreamingResponse:
    """Without `Last-Event-ID` the stream starts live; with `N` it first replays every event
    after N (0: from the start). If events after N were pruned (retention), an
    `events.pruned` event (no id) comes first: `{"after": N, "missing_through": M}` — events
    N+1..M are gone; re-read the state (conflicts, alerts), then the replay goes on from M+1.
    Browsers may pass the key as `?access_token=` (here only). At most
    `DECONFLICT_STREAMS_PER_PARTY` streams per party at once (429)."""
    who.party()
    if last_event_id is None:
        start = await run_in_threadpool(events.latest, svc, who)
    else:
        try:
            start = int(last_event_id)
        except ValueError:
            raise InvalidVolume(
                "invalid_event_id", "must be an event number", "Last-Event-ID"
            ) from None
    hub: Hub = request.app.state.hub
    throttle: Throttle = request.app.state.throttle
    release = throttle.open_stream(who.party())
    return HeldStream(stream(request, svc, who, hub, start, last_event_id is not None), release)
