"""Live tracks: thin routes over `deconflict.service.tracks`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from deconflict.api.deps import Svc, Who
from deconflict.api.routes.operations import ERRORS
from deconflict.api.schemas import Page
from deconflict.api.track_schemas import CurrentAlerts, TrackOut, TracksIn, TracksResult
from deconflict.service import alerts, tracks

router = APIRouter(prefix="/v1/tracks", tags=["tracks"], responses=ERRORS)


@router.post("", response_model=TracksResult)
def post_tracks(body: TracksIn, svc: Svc, who: Who) -> dict[str, Any]:
    """A batch of your aircraft's states. Tactical conflicts with other parties' aircraft and
    nonconformance are found at once and told to everyone involved (events), as answered here.
    Another party's aircraft is shown only to a state tied to an active flight operation of yours
    that it conforms to (otherwise you are told `tactical.shown` when yours was shown to them).
    A state faster than the configured maximum speed, or jumping from the aircraft's previous
    state faster than that, is refused (422)."""
    return tracks.post(svc, who, [t.state() for t in body.tracks])


@router.get("", response_model=Page[TrackOut])
def list_tracks(
    svc: Svc, who: Who, limit: int = Query(100, ge=1, le=500), cursor: str | None = None
) -> dict[str, Any]:
    """Your fresh tracks (stale ones age out), by aircraft id."""
    return tracks.list_(svc, who, limit, cursor)


@router.get("/alerts", response_model=CurrentAlerts)
def current_alerts(svc: Svc, who: Who) -> dict[str, Any]:
    """Your tactical alerts in force now, each exactly as its latest `tactical.alert` event told
    it (so a console that signs in or reconnects mid-conflict shows them at once): pairs of
    your aircraft with another party's, and other parties' straying aircraft inside your
    operations. A pair that was cleared, or whose tracks went stale, is not listed. With the
    server's stale time and re-alert interval, to age them by. Not paged: they are few. Each
    item shown is written in the audit log as a disclosure."""
    return alerts.current(svc, who)
