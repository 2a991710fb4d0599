"""Write turns: what a write must hold before its transaction begins, so that writes that could
meet take turns and writes that cannot run side by side.

A turn is the whole world's, or a set of regions (coarse cells of space, see
`engine.regions`) and lanes (kinds of writes that touch no volume: acknowledgements, tracks,
...). Two turns clash when either is the world's or they share a region or a lane. On
PostgreSQL a turn is held as session advisory locks: the world's lock, exclusive for the
world's turn and shared for every other, then each region and lane exclusive, all in one fixed
order (so two writers never wait on each other in a cycle). SERIALIZABLE stays the guarantee;
turns only spare the retries of writes that would meet."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import sqlalchemy as sa
from attrs import frozen

# The world's lock: the key of the single write gate that came before (a worker of that version
# takes it exclusively, and so still takes turns with this one's).
WORLD_KEY = 0x64636F6E  # "dcon"
REGION_SPACE = 0x6463  # first key of a region's lock ("dc"); the region is the second
LANE_SPACE = 0x646C  # first key of a lane's lock ("dl")
UNLOCK_ALL = sa.text("SELECT pg_advisory_unlock_all()")


@frozen
class Turn:
    world: bool = False
    regions: frozenset[int] = frozenset()
    lanes: frozenset[int] = frozenset()

    def clashes(self, other: Turn) -> bool:
        return (
            self.world
            or other.world
            or bool(self.regions & other.regions)
            or bool(self.lanes & other.lanes)
        )

    def covers(self, other: Turn) -> bool:
        """Whether holding this turn is holding `other` too (it may then join the batch)."""
        if self.world:
            return True
        return not other.world and other.regions <= self.regions and other.lanes <= self.lanes

    def joins(self, other: Turn) -> bool:
        """Whether a write of `other` may join a batch holding this turn: it is covered, or it
        shares a region or lane with it (the batch then holds both: writes near each other
        are batched; writes far apart are not, so they do not hold each other's regions)."""
        return self.covers(other) or (not other.world and self.clashes(other))

    def __or__(self, other: Turn) -> Turn:
        if self.world or other.world:
            return WORLD
        return Turn(False, self.regions | other.regions, self.lanes | other.lanes)

    def locks(self) -> sa.TextClause:
        """The one statement that takes this turn on PostgreSQL, in the fixed order (the select
        list is evaluated left to right)."""
        if self.world:
            return sa.text(f"SELECT pg_advisory_lock({WORLD_KEY})")
        parts = [f"pg_advisory_lock_shared({WORLD_KEY})"]
        parts += [f"pg_advisory_lock({REGION_SPACE}, {r})" for r in sorted(self.regions)]
        parts += [f"pg_advisory_lock({LANE_SPACE}, {n})" for n in sorted(self.lanes)]
        return sa.text("SELECT " + ", ".join(parts))


WORLD = Turn(world=True)


def lane(name: str) -> Turn:
    """The turn of writes of one kind that touch no volume (e.g. "tracks")."""
    return Turn(lanes=frozenset({zlib.crc32(name.encode()) & 0x7FFFFFFF}))


def in_regions(regions: Iterable[int] | None) -> Turn:
    """The turn of a write covering `regions`; None (too many to name) is the world's."""
    return WORLD if regions is None else Turn(regions=frozenset(regions))


# Writes that name no turn: they touch no volume (parties, acknowledgements, escalations,
# messages, tracks), so they take turns among themselves, beside every region.
OTHER = lane("other")
# Batches of live tracks: they meet each other (tactical detection), so take turns among
# themselves, beside the other writes.
TRACKS = lane("tracks")
