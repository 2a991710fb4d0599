"""The disclosure gate alone (pure): who learns what of a conflict, a check, a refused
activation and a tactical encounter — and that whoever is revealed is told."""

from __future__ import annotations

import json

import pytest

from deconflict.engine import disclosure as gate

REGION = {"parts": [{"footprint": "here"}], "geojson": {"type": "FeatureCollection"}}
WIDER = {"parts": [{"footprint": "wider"}], "geojson": {"type": "FeatureCollection"}}
NAMES = {"north": "North", "aid": "Aid"}


def conflict(cid: str = "c1", region: dict = REGION) -> gate.StoredConflict:
    return gate.StoredConflict(
        cid, "open", region, "op-n", "op-a", "north", "aid", "hazard", "presence",
        "open", "open", 0.0, 0.0,
    )  # fmt: skip


def test_each_side_sees_its_own_operation_and_never_the_others() -> None:
    c = conflict()
    north = gate.conflict_view(c, "north", NAMES).json()
    aid = gate.conflict_view(c, "aid", NAMES).json()
    assert (north["my_operation_id"], north["other_party"], north["other_kind"]) == (
        "op-n",
        "Aid",
        "presence",
    )
    assert (aid["my_operation_id"], aid["other_party"]) == ("op-a", "North")
    assert "op-a" not in json.dumps(north) and "op-n" not in json.dumps(aid)
    assert "aid" not in json.dumps(north).replace("Aid", "")  # nor the other's party id
    with pytest.raises(ValueError):
        gate.conflict_view(c, "south", NAMES)
    told = gate.tell_both(c, gate.EventType.CONFLICT_OPENED, NAMES)
    assert [(d.party, dict(d.data)) for d in told] == [("north", north), ("aid", aid)]


def test_a_check_tells_each_party_hit_and_audits_it_under_that_party() -> None:
    hits = [gate.Hit("aid", "op-a", "presence", REGION)]
    out = gate.check("north", "hazard", hits, NAMES, 0.0, "ref-1")
    assert [h.json()["other_party"] for h in out.answer] == ["Aid"]
    (probe,) = out.deliveries
    assert (probe.party, probe.type, probe.data["my_operation_id"]) == ("aid", "probe", "op-a")
    assert "north" not in json.dumps(dict(probe.data)).lower()  # the victim: region and time
    mine, theirs = out.notes
    assert (mine.party, mine.subject, dict(mine.data)) == (
        "north",
        "",
        {"kind": "hazard", "hits": 1, "check": "ref-1"},
    )
    assert (theirs.party, theirs.subject, dict(theirs.data)) == ("aid", "op-a", {"check": "ref-1"})


def test_a_refusal_tells_what_the_other_side_was_not_told_exactly_so() -> None:
    told = conflict("told")
    widened = conflict("widened", WIDER)
    new = conflict("new")
    out = gate.refusal("north", [told, widened, new], {"told": REGION, "widened": REGION},
                       NAMES, 0.0, "ref-2")  # fmt: skip
    shown = out.json()["conflicts"]
    assert [c["id"] for c in shown] == ["told", "widened", None]  # `new` was rolled back
    assert [(d.party, d.data["region"]) for d in out.deliveries] == [
        ("aid", WIDER["parts"]),
        ("aid", REGION["parts"]),
    ]
    assert [n.party for n in out.notes] == ["north", "aid", "aid"]
    assert gate.refusal("north", [told], {"told": REGION}, NAMES, 0.0, "r").deliveries == ()


def test_an_encounter_shows_the_other_aircraft_only_to_a_qualified_side() -> None:
    ok = gate.PairSide("north", "N-1", "trk-n", {"lat": 1.0}, True)
    fake = gate.PairSide("aid", "A-9", "trk-a", {"lat": 2.0}, False)
    meet = gate.Encounter("new", False, 90.0, 1.0, 40.0, 0.0, 1.5, 1.5)
    told = gate.pair_alert("pair", ok, fake, meet, NAMES)
    assert [(d.party, d.type) for d in told] == [
        ("north", "tactical.alert"),
        ("aid", "tactical.shown"),
    ]
    alert, shown = (dict(d.data) for d in told)
    assert alert["other"] == {"id": "trk-a", "lat": 2.0} and alert["mine"]["id"] == "N-1"
    assert "lat" not in json.dumps(shown) and "trk-n" not in json.dumps(shown)
    both_fake = gate.pair_alert("pair", evolve_q(ok, False), fake, meet, NAMES)
    assert both_fake == []  # nobody is shown anything, so nobody is told


def evolve_q(side: gate.PairSide, qualified: bool) -> gate.PairSide:
    return gate.PairSide(side.party, side.aircraft, side.alias, side.state, qualified)


def test_views_are_built_by_the_gate_only() -> None:
    with pytest.raises(TypeError):
        gate.Delivery("aid", gate.EventType.PROBE, {})
    with pytest.raises(TypeError):
        gate.AuditNote("aid", "probe", "op-a", {}, stamp=object())
