"""JSON shapes of live tracks (`/v1/tracks`) and their conversion to the service's states."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from deconflict.api.schemas import Receipt
from deconflict.service.tracks import TrackState

# RFC 3339 section 5.6 date-time with its offset (a state without one has no defined instant).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class TrackIn(BaseModel):
    """One aircraft's state: WGS84 degrees, altitude in metres W84, speeds in m/s, true track."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="the party's own aircraft id", examples=["NAF-101"])
    lat: Number
    lng: Number
    alt_m: Number
    gs_mps: Number = Field(description="ground speed")
    trk_deg: Number = Field(description="true track, 0..360")
    vs_mps: Number = Field(description="vertical speed, + up")
    time: str = Field(description="RFC 3339 with offset", examples=["2031-06-01T10:00:00Z"])
    operation_id: str | None = Field(None, description="one of the party's flight operations")

    @field_validator("time")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        if _RFC3339.fullmatch(value) is None:
            raise ValueError("must be an RFC 3339 timestamp with a UTC offset (e.g. Z)")
        try:
            datetime.fromisoformat(value.upper())
        except ValueError:
            raise ValueError("is not a valid RFC 3339 timestamp") from None
        return value

    def state(self) -> TrackState:
        when = datetime.fromisoformat(self.time.upper()).astimezone(UTC).timestamp()
        values = self.model_dump(exclude={"time"})
        return TrackState(**values, time=when)


class TracksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tracks: list[TrackIn]


class AircraftOut(BaseModel):
    """An aircraft in an alert: yours by your id, another party's by an opaque alias."""

    id: str
    lat: float | None = None
    lng: float | None = None
    alt_m: float | None = None
    gs_mps: float | None = None
    trk_deg: float | None = None
    vs_mps: float | None = None


class AlertOut(BaseModel):
    """A tactical conflict as one side is told of it (event `tactical.alert`)."""

    id: str = Field(description="the tactical conflict (pair of aircraft)")
    reason: Literal["new", "los", "realert", "nonconforming"] = Field(
        description="why it was told: a new conflict, loss of separation began or ended, "
        "re-alert, or one of the two aircraft has just left its operation"
    )
    other_party: str
    los: bool = Field(description="separation is lost now")
    tcpa_s: float
    dcpa_m: float
    t_in_s: float = Field(description="when separation will be lost, from `time`")
    time: str = Field(description="the instant both states were brought to")
    mine: AircraftOut
    other: AircraftOut
    cpa: dict[str, float] = Field(description="{lat, lng} midway at closest approach")


class StrayAircraftOut(AircraftOut):
    """Another party's straying aircraft, by an alias, as reported at `time`."""

    time: str


class StrayAlertOut(BaseModel):
    """Another party's aircraft that left its own operation is inside one of yours (event
    `tactical.alert` with reason `nonconformance`): no pair id and no aircraft of yours."""

    reason: Literal["nonconformance"]
    other_party: str
    my_operation_id: str = Field(description="your operation it is inside")
    other: StrayAircraftOut
    region: list[dict[str, Any]] = Field(description="where it meets your operation")
    region_geojson: dict[str, Any]
    time: str


class ClearedOut(BaseModel):
    """A tactical conflict that ended (event `tactical.cleared`)."""

    id: str
    cleared: bool
    other_party: str
    mine: AircraftOut
    other: AircraftOut
    time: str


class NonconformanceOut(BaseModel):
    """One of your aircraft outside its operation (event `nonconformance`)."""

    operation_id: str
    track_id: str
    lat: float
    lng: float
    alt_m: float
    time: str
    hits: list[dict[str, Any]] = Field(
        description="other parties' operations where the aircraft is: party, kind, region"
    )


class TracksResult(Receipt):
    accepted: int = Field(description="states stored as their aircraft's latest")
    ignored: int = Field(description="states older than the stored one, or already stale")
    alerts: list[AlertOut]
    cleared: list[ClearedOut]
    nonconformance: list[NonconformanceOut]


class TrackOut(BaseModel):
    id: str
    lat: float
    lng: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float
    time: str
    operation_id: str | None
    nonconforming: bool
    received_at: str


class CurrentAlerts(BaseModel):
    """Your current tactical alerts, each exactly as last told (`tactical.alert`), and the
    timings that age them."""

    items: list[Annotated[AlertOut | StrayAlertOut, Field(discriminator="reason")]] = Field(
        description="active pairs with one of your aircraft, then other parties' straying "
        "aircraft inside your operations; neither cleared nor with a stale track"
    )
    stale_s: float = Field(
        description="a track not reported for this long is forgotten, and its alerts with it"
    )
    realert_s: float = Field(
        description="an unchanged alert is told again after this long while its aircraft report"
    )
    time: str = Field(description="the server's clock when this was read")
