"""Request and response models: the documented JSON shapes (OpenAPI) and their conversion to the
domain. Volumes are checked by `deconflict.geometry.parse_volumes` for exact field paths."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from deconflict.engine import Kind, State
from deconflict.geometry import Bounds, Volume, parse_volumes

T = TypeVar("T")


class LatLngIn(BaseModel):
    lat: float
    lng: float


class Vertices(BaseModel):
    vertices: list[LatLngIn]


class Radius(BaseModel):
    value: float
    units: Literal["M"] = "M"


class CircleIn(BaseModel):
    center: LatLngIn
    radius: Radius


class Altitude(BaseModel):
    value: float
    reference: Literal["W84"] = "W84"
    units: Literal["M"] = "M"


class Time(BaseModel):
    value: str = Field(examples=["2026-12-01T10:00:00Z"])
    format: Literal["RFC3339"] = "RFC3339"


class Volume3D(BaseModel):
    outline_polygon: Vertices | None = None
    outline_circle: CircleIn | None = None
    altitude_lower: Altitude
    altitude_upper: Altitude


class Volume4D(BaseModel):
    """ASTM F3548 Volume4D: exactly one of outline_polygon / outline_circle."""

    volume: Volume3D
    time_start: Time
    time_end: Time


def to_volumes(vols: list[Volume4D], bounds: Bounds) -> tuple[Volume, ...]:
    return parse_volumes([v.model_dump(exclude_none=True) for v in vols], "volumes", bounds)


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    volumes: list[Volume4D]
    state: State = State.PLANNED
    label: str = Field("", max_length=200)
    override: list[str] = Field(default_factory=list, description="conflict ids overridden")


class OperationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volumes: list[Volume4D] | None = None
    state: State | None = None
    label: str | None = Field(None, max_length=200)
    override: list[str] = Field(default_factory=list)


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    volumes: list[Volume4D]


class PartyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=4000)


class Receipt(BaseModel):
    audit_index: int | None = Field(
        None,
        description="leaf index of the audit entry this write made (a receipt: prove its "
        "inclusion with GET /v1/audit/proof/inclusion); null if the write changed nothing",
    )


class Party(BaseModel):
    id: str | None
    name: str
    admin: bool = False
    created_at: str | None


class PartyCreated(Receipt):
    id: str
    name: str
    api_key: str = Field(description="shown once; stored only as a digest")
    created_at: str


class OperationOut(BaseModel):
    id: str
    kind: Kind
    state: State
    version: int
    label: str
    volumes: list[dict[str, Any]] = Field(description="Volume4D objects")
    created_at: str
    updated_at: str


class ConflictOut(BaseModel):
    """A conflict as one side sees it: never the other side's operation id or volumes."""

    id: str | None
    status: Literal["open", "resolved"]
    region: list[dict[str, Any]] = Field(description="one overlap per pair of volumes")
    region_geojson: dict[str, Any]
    my_operation_id: str
    my_kind: Kind
    other_party: str
    other_kind: Kind
    my_status: Literal["open", "acknowledged"]
    other_status: Literal["open", "acknowledged"]
    opened_at: str
    updated_at: str
    resolved_at: str | None
    escalated: bool


class OperationResult(Receipt):
    operation: OperationOut
    conflicts: list[ConflictOut]


class CheckHit(BaseModel):
    other_party: str
    other_kind: Kind
    region: list[dict[str, Any]]
    region_geojson: dict[str, Any]


class CheckResult(Receipt):
    conflicts: list[CheckHit]


class Message(BaseModel):
    id: int
    conflict_id: str
    from_party: str
    body: str
    created_at: str


class Acknowledged(ConflictOut, Receipt):
    pass


class MessagePosted(Message, Receipt):
    pass


class AuditEntry(BaseModel):
    id: int
    position: int | None
    party_id: str | None
    action: str
    subject: str
    data: dict[str, Any]
    created_at: str
    hash: str | None


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail
