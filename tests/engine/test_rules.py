"""The rules table, same-party and state rules, per-pair separations, and disclosure views."""

from __future__ import annotations

from datetime import timedelta

import pytest
from attrs import evolve
from catalogue import square
from strategies import EPOCH, offset

from deconflict.engine import (
    Conflict,
    Kind,
    Operation,
    Rules,
    Separation,
    State,
    conflicts_between,
)
from deconflict.geometry import Circle, LatLng, Volume

P = LatLng(36.2, 37.15)
T1 = EPOCH + timedelta(hours=1)
CONFLICTING = {
    frozenset(p)
    for p in ((Kind.FLIGHT, Kind.FLIGHT), (Kind.FLIGHT, Kind.HAZARD), (Kind.HAZARD, Kind.PRESENCE))
}


def op(op_id: str, party: str, kind: Kind, vol: Volume, state: State = State.PLANNED) -> Operation:
    return Operation(op_id, party, kind, (vol,), state)


def vol(
    center: LatLng = P, radius: float = 1_000.0, lower: float = 0.0, upper: float = 500.0
) -> Volume:
    return Volume(Circle(center, radius), lower, upper, EPOCH, T1)


@pytest.mark.parametrize("ka", list(Kind))
@pytest.mark.parametrize("kb", list(Kind))
def test_which_kind_pairs_conflict(ka: Kind, kb: Kind) -> None:
    a, b = op("a", "north", ka, vol()), op("b", "south", kb, vol())
    expected = frozenset((ka, kb)) in CONFLICTING
    assert (conflicts_between(a, b, Rules()) is not None) is expected
    assert (conflicts_between(b, a, Rules()) is not None) is expected
    assert (kb in Rules().partners(ka)) is expected


def test_same_party_never_conflicts() -> None:
    a, b = op("a", "north", Kind.FLIGHT, vol()), op("b", "north", Kind.FLIGHT, vol())
    assert conflicts_between(a, b, Rules()) is None


@pytest.mark.parametrize("state", list(State))
def test_only_live_operations_conflict(state: State) -> None:
    a = op("a", "north", Kind.HAZARD, vol())
    b = op("b", "aid", Kind.PRESENCE, vol(), state)
    live = state in (State.PLANNED, State.ACTIVE)
    assert (conflicts_between(a, b, Rules()) is not None) is live
    assert (conflicts_between(b, a, Rules()) is not None) is live


def test_per_pair_separations_are_honoured() -> None:
    # Two circles 1 km apart edge to edge, and bands 100 m apart.
    a = vol(P, 1_000.0, 0.0, 500.0)
    b = vol(offset(P, 90.0, 3_000.0), 1_000.0, 600.0, 900.0)
    fa, fb, hb = (
        op("a", "n", Kind.FLIGHT, a),
        op("b", "s", Kind.FLIGHT, b),
        op("h", "s", Kind.HAZARD, b),
    )
    rules = Rules().with_separation(Kind.FLIGHT, Kind.FLIGHT, Separation(1_100.0, 150.0))
    assert conflicts_between(fa, fb, rules) is not None
    assert conflicts_between(fa, hb, rules) is None  # flight x hazard keeps separation 0
    assert conflicts_between(fa, fb, Rules()) is None
    assert (
        conflicts_between(
            fa, fb, Rules().with_separation(Kind.FLIGHT, Kind.FLIGHT, Separation(900.0, 150.0))
        )
        is None
    )
    assert (
        conflicts_between(
            fa, fb, Rules().with_separation(Kind.FLIGHT, Kind.FLIGHT, Separation(1_100.0, 90.0))
        )
        is None
    )
    assert rules.max_horizontal_m == 1_100.0
    # A configured pair outside the default table conflicts too.
    pp = Rules().with_separation(Kind.PRESENCE, Kind.PRESENCE, Separation())
    assert (
        conflicts_between(op("a", "n", Kind.PRESENCE, a), op("b", "s", Kind.PRESENCE, vol()), pp)
        is not None
    )
    assert Kind.PRESENCE in pp.partners(Kind.PRESENCE)


def conflict() -> Conflict:
    a = op("op-north", "north", Kind.HAZARD, Volume(square(P, 2_000.0), 0.0, 500.0, EPOCH, T1))
    b = op(
        "op-aid",
        "aid",
        Kind.PRESENCE,
        Volume(Circle(offset(P, 0.0, 2_000.0), 1_000.0), 0.0, 0.0, EPOCH, T1),
    )
    c = conflicts_between(a, b, Rules())
    assert c is not None
    return c


def test_regions_hold_only_the_overlap() -> None:
    c = conflict()
    (r,) = c.regions
    # The presence is a ground camp (flat band at 0) half inside the hazard square.
    assert (r.alt_lower_m, r.alt_upper_m) == (0.0, 0.0)
    assert (r.time_start, r.time_end) == (EPOCH, T1)
    north_edge = offset(P, 0.0, 2_000.0).lat
    lats = [p.lat for ring in r.rings for p in ring]
    assert max(lats) <= north_edge + 1e-4  # nothing of the camp beyond the hazard
    assert min(lats) >= offset(P, 0.0, 1_000.0).lat - 1e-4  # nothing of the hazard beyond the camp


def test_conflict_key_is_unordered() -> None:
    c = conflict()
    flipped = evolve(c, a_operation=c.b_operation, b_operation=c.a_operation)
    assert c.key == flipped.key == ("op-aid", "op-north")
