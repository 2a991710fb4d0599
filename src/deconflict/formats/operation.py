"""An operation as read from any file or request body: `{kind, label, volumes}` checked strictly,
its volumes through the one Volume4D parser."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from deconflict.engine import Kind
from deconflict.errors import InvalidVolume
from deconflict.geometry import DEFAULT_BOUNDS, Bounds, Volume, parse_volumes

KEYS = frozenset({"kind", "label", "volumes"})
MAX_LABEL = 200


@frozen
class Planned:
    """A checked operation, not yet anyone's."""

    kind: Kind
    label: str
    volumes: tuple[Volume, ...]


def text(o: Mapping[str, Any], key: str, path: str, default: str = "", limit: int = 200) -> str:
    """A string field (absent: `default`), at most `limit` characters."""
    v = o.get(key, default)
    if not isinstance(v, str):
        raise InvalidVolume("invalid_type", "must be a string", f"{path}.{key}")
    if len(v) > limit:
        raise InvalidVolume("too_long", f"at most {limit} characters", f"{path}.{key}")
    return v


def parse_operation(
    raw: Any, path: str, bounds: Bounds = DEFAULT_BOUNDS, keys: frozenset[str] = KEYS
) -> Planned:
    """`{kind, label?, volumes}` (and any other `keys` allowed) as a `Planned`, or raise
    `InvalidVolume` naming the field."""
    if not isinstance(raw, Mapping):
        raise InvalidVolume("invalid_type", "must be an object", path)
    for key in raw:
        if key not in keys:
            raise InvalidVolume("unknown_field", "is not a field of an operation", f"{path}.{key}")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in {k.value for k in Kind}:
        raise InvalidVolume("invalid_kind", "must be flight, hazard or presence", f"{path}.kind")
    label = text(raw, "label", path, limit=MAX_LABEL)
    return Planned(Kind(kind), label, parse_volumes(raw.get("volumes"), f"{path}.volumes", bounds))
