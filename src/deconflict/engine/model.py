"""Operations and conflicts: frozen value objects (what each party may see of them is
`engine.disclosure`'s)."""

from __future__ import annotations

from enum import StrEnum

from attrs import frozen

from deconflict.geometry import Region, Volume


class Kind(StrEnum):
    FLIGHT = "flight"
    HAZARD = "hazard"
    PRESENCE = "presence"


class State(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def live(self) -> bool:
        """Planned and active operations take part in strategic detection; others do not."""
        return self in (State.PLANNED, State.ACTIVE)


@frozen
class Operation:
    """Something a party plans or does, made of one or more volumes."""

    id: str
    party: str
    kind: Kind
    volumes: tuple[Volume, ...]
    state: State = State.PLANNED
    version: int = 1
    label: str = ""


@frozen
class Conflict:
    """Two operations of different parties whose volumes overlap; `a` is the one just written.

    `regions` holds one region per conflicting pair of volumes; nothing else of either volume.
    """

    a_operation: str
    a_party: str
    a_kind: Kind
    b_operation: str
    b_party: str
    b_kind: Kind
    regions: tuple[Region, ...]

    @property
    def key(self) -> tuple[str, str]:
        """The unordered pair of operation ids, as a stable sorted tuple."""
        return (min(self.a_operation, self.b_operation), max(self.a_operation, self.b_operation))

    def parties(self) -> tuple[str, str]:
        return (self.a_party, self.b_party)
