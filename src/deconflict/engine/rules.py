"""Which kinds of operation conflict, and with what separations (configurable per kind pair)."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

from deconflict.engine.model import Kind


@frozen
class Separation:
    """Minimum horizontal and vertical separation in metres; 0 means pure intersection."""

    horizontal_m: float = 0.0
    vertical_m: float = 0.0


def _pair(a: Kind, b: Kind) -> frozenset[Kind]:
    return frozenset((a, b))


DEFAULT_PAIRS: Mapping[frozenset[Kind], Separation] = {
    _pair(Kind.FLIGHT, Kind.FLIGHT): Separation(),
    _pair(Kind.FLIGHT, Kind.HAZARD): Separation(),
    _pair(Kind.HAZARD, Kind.PRESENCE): Separation(),
}


@frozen
class Rules:
    """The conflict rules table: kind pairs that conflict, each with its separation."""

    pairs: Mapping[frozenset[Kind], Separation] = field(factory=lambda: dict(DEFAULT_PAIRS))

    def separation(self, a: Kind, b: Kind) -> Separation | None:
        """The separation for this kind pair, or None when the pair never conflicts."""
        return self.pairs.get(_pair(a, b))

    def partners(self, kind: Kind) -> frozenset[Kind]:
        """Kinds that can conflict with `kind`."""
        out: set[Kind] = set()
        for pair in self.pairs:
            if kind in pair:
                out |= (pair - {kind}) or {kind}
        return frozenset(out)

    @property
    def max_horizontal_m(self) -> float:
        return max((s.horizontal_m for s in self.pairs.values()), default=0.0)

    def with_separation(self, a: Kind, b: Kind, sep: Separation) -> Rules:
        """A copy where the pair (a, b) conflicts with separation `sep`."""
        pairs = dict(self.pairs)
        pairs[_pair(a, b)] = sep
        return Rules(pairs)
