"""Request and response models: the documented JSON shapes (OpenAPI) and their conversion to the
domain. Volumes are checked by `deconflict.geometry.parse_volumes` for exact field paths."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainValidator

from deconflict.engine import Kind, State
from deconflict.geometry import Bounds, Volume, parse_volumes

T = TypeVar("T")


# The Volume4D models below only document the shape (OpenAPI): volumes arrive as raw JSON and
# go to the one strict parser, `deconflict.geometry.parse_volumes`, which names the exact field
# of any defect. Pydantic would coerce first (`true` -> 1.0, "36.2" -> 36.2), so it never sees them.
class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class LatLngIn(_Doc):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class Vertices(_Doc):
    vertices: list[LatLngIn] = Field(description="at least 3 distinct, edges must not cross")


class Radius(_Doc):
    value: float = Field(gt=0)
    units: Literal["M", "FT"] = "M"


class CircleIn(_Doc):
    center: LatLngIn
    radius: Radius


class Altitude(_Doc):
    """Held as the W84 metre band that surely contains it: AMSL is widened by the worst geoid
    undulation, AGL/SFC by the lowest and highest ground, a flight level (units FL, reference
    STD) by the stated pressure and temperature margins (see the README)."""

    value: float
    reference: Literal["W84", "AMSL", "AGL", "SFC", "STD"] = "W84"
    units: Literal["M", "FT", "FL"] = "M"


class Time(_Doc):
    value: str = Field(examples=["2026-12-01T10:00:00Z"])
    format: Literal["RFC3339"] = "RFC3339"


class Volume3D(_Doc):
    outline_polygon: Vertices | None = None
    outline_circle: CircleIn | None = None
    altitude_lower: Altitude
    altitude_upper: Altitude


class Volume4D(_Doc):
    """ASTM F3548 Volume4D: exactly one of outline_polygon / outline_circle."""

    volume: Volume3D
    time_start: Time
    time_end: Time


def _raw(v: Any) -> Any:
    return v


Volumes = Annotated[list[Any], PlainValidator(_raw, json_schema_input_type=list[Volume4D])]


def to_volumes(raw: Any, bounds: Bounds) -> tuple[Volume, ...]:
    """The request's raw `volumes` through the one strict parser."""
    return parse_volumes(raw, "volumes", bounds)


class OperationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    volumes: Volumes
    state: State = State.PLANNED
    label: str = Field("", max_length=200)
    override: list[str] = Field(default_factory=list, description="conflict ids overridden")


class OperationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    volumes: Volumes | None = None
    state: State | None = None
    label: str | None = Field(None, max_length=200)
    override: list[str] = Field(default_factory=list)


class BatchItem(_Doc):
    """One operation of a batch (documentation: each is checked by the strict parser)."""

    kind: Kind
    volumes: list[Volume4D]
    label: str = Field("", max_length=200)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operations: Annotated[list[Any], PlainValidator(_raw, json_schema_input_type=list[BatchItem])]


class BatchResult(BaseModel):
    results: list[dict[str, Any]] = Field(
        description="per operation, in order: {operation, conflicts} or {error}"
    )


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    volumes: Volumes


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
    id: int = Field(description="the message's number in its conflict's thread (1, 2, ...)")
    conflict_id: str
    from_party: str
    body: str
    created_at: str


class Acknowledged(ConflictOut, Receipt):
    pass


class MessagePosted(Message, Receipt):
    pass


class AuditEntry(BaseModel):
    id: str = Field(description="opaque and stable; counts nothing (see `position`)")
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
