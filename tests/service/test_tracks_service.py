"""Live tracks on the store (SQLite and PostgreSQL): tactical alerts and their disclosure,
re-alert suppression, ageing, nonconformance and the strategic re-check, refused input."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa
from attrs import evolve
from samples import BASE, circle

from deconflict.engine import Kind, State
from deconflict.errors import DomainError, NotFound
from deconflict.geometry import parse_volumes
from deconflict.service import Principal, Service, alerts, events, tracks
from deconflict.service import operations as ops
from deconflict.service.parties import ADMIN, authenticate, create_party
from deconflict.service.tracks import InvalidTrack, TrackState
from deconflict.service.views import rfc3339

T0 = BASE.timestamp() + 1800  # half an hour into the sample volumes' window


class Clock:
    def __init__(self, svc: Service) -> None:
        self.t = T0
        svc.clock = lambda: self.t


@pytest.fixture
def clock(svc: Service) -> Clock:
    return Clock(svc)


def party(svc: Service, name: str) -> Principal:
    return authenticate(svc, create_party(svc, ADMIN, name)["api_key"])


def state(id_: str, t: float, **kw: Any) -> TrackState:
    """An aircraft at 1,000 m over the sample volumes' centre, flying north (overrides: `kw`)."""
    values: dict[str, Any] = dict(
        lat=36.2, lng=37.1, alt_m=1000.0, gs_mps=100.0, trk_deg=0.0, vs_mps=0.0, time=t
    )
    return TrackState(id_, **{**values, **kw})


def east(id_: str, t: float, **kw: Any) -> TrackState:
    """Flying east from 37.0° E, 9 km short of the sample volumes' centre."""
    return state(id_, t, **{"lng": 37.0, "trk_deg": 90.0, **kw})


def west(id_: str, t: float, **kw: Any) -> TrackState:
    """Flying west from 37.2° E: head-on with `east`."""
    return state(id_, t, **{"lng": 37.2, "trk_deg": 270.0, **kw})


def seen(svc: Service, who: Principal, type_: str = "") -> list[dict[str, Any]]:
    """The live-track events the party was told (its sortie's strategic conflicts left out),
    without each event's receipt (`audit_index`)."""
    told = [e for e in events.after(svc, who, 0) if not e["type"].startswith(STRATEGIC)]
    data = [e["data"] for e in told if e["type"].startswith(type_)]
    assert all(isinstance(d["audit_index"], int) for d in data)  # each a receipt
    return [{k: v for k, v in d.items() if k != "audit_index"} for d in data]


STRATEGIC = ("conflict.", "operation.")


def sortie(svc: Service, who: Principal, lat: float = 36.2) -> str:
    """The party's active flight over the test area around `lat` (activated over its
    conflicts)."""
    label = f"sortie {lat}"
    mine = [o for o in ops.list_(svc, who, 100, None)["items"] if o["label"] == label]
    if mine:
        return str(mine[0]["id"])
    vol = circle(lat=lat, radius=50_000, hi=5000, start=0, end=3)
    made = ops.create(svc, who, ops.Draft(Kind.FLIGHT, parse_volumes([vol]), label=label))
    op_id = made["operation"]["id"]
    over = tuple(c["id"] for c in made["conflicts"])
    ops.change(svc, who, op_id, ops.Change(state=State.ACTIVE, override=over), 1)
    return str(op_id)


def fly(svc: Service, who: Principal, states: list[TrackState]) -> dict[str, Any]:
    """Post states, each not tied to an operation tied to the party's sortie (so it may see
    others' aircraft: DESIGN.md); `operation_id=NO_OP` keeps one untied."""
    op = sortie(svc, who)
    tied = [
        evolve(s, operation_id=None if s.operation_id == NO_OP else (s.operation_id or op))
        for s in states
    ]
    return tracks.post(svc, who, tied)


NO_OP = "untied"


def test_both_parties_are_alerted_and_each_sees_only_the_aircraft_involved(
    svc: Service, clock: Clock
) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    op_b = ops.create(svc, b, ops.Draft(Kind.FLIGHT, parse_volumes([circle(lat=10.0)])))
    op_b_id = op_b["operation"]["id"]
    assert fly(svc, a, [east("NORTH-1", clock.t)])["alerts"] == []
    clock.t += 1
    far = state("SOUTH-9", clock.t, lng=40.0)  # B's other aircraft, 250 km away
    out = fly(svc, b, [west("SOUTH-7", clock.t), far])
    assert out["accepted"] == 2
    (mine_b,) = out["alerts"]
    (alert_a,) = seen(svc, a, "tactical")
    (alert_b,) = seen(svc, b, "tactical")
    assert alert_b == mine_b and alert_a["id"] == alert_b["id"]
    assert alert_a["other_party"] == "South" and alert_b["other_party"] == "North"
    assert alert_a["mine"]["id"] == "NORTH-1" and alert_b["mine"]["id"] == "SOUTH-7"
    assert alert_a["other"]["id"].startswith("trk-") and alert_b["other"]["id"].startswith("trk-")
    # Disclosure: never the other's aircraft id, operation ids, or any other of its aircraft.
    text_a = json.dumps(alert_a)
    for secret in ("SOUTH-7", "SOUTH-9", op_b_id, b.party()):
        assert secret not in text_a
    assert "NORTH-1" not in json.dumps(alert_b)
    # Head-on at 200 m/s closing from ~17.9 km (A moved 1 s): CPA in ~89 s, midway.
    assert alert_a["tcpa_s"] == pytest.approx(89.0, abs=1.0) and alert_a["dcpa_m"] < 1.0
    assert alert_a["los"] is False and alert_a["reason"] == "new"
    assert alert_a["cpa"]["lat"] == pytest.approx(36.2, abs=1e-3)
    assert alert_a["cpa"]["lng"] == pytest.approx(37.1, abs=1e-3)
    # A's aircraft was reported a second earlier: it is shown where it is now.
    assert alert_b["other"]["lng"] > 37.0 and alert_a["mine"] == {
        **alert_b["other"],
        "id": "NORTH-1",
    }
    audit = svc.read(lambda tx: tx.execute(sa.text("SELECT action FROM audit")).scalars().all())
    assert "tactical.alert" in audit and audit.count("disclosed") >= 2


def test_no_alert_between_aircraft_of_one_party(svc: Service, clock: Clock) -> None:
    a = party(svc, "North")
    out = fly(svc, a, [east("N-1", clock.t), west("N-2", clock.t)])
    assert out["accepted"] == 2 and out["alerts"] == [] and seen(svc, a) == []


def test_stale_tracks_take_no_part_and_age_out(svc: Service, clock: Clock) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    fly(svc, a, [east("N-1", clock.t, gs_mps=0.0, lng=37.1)])  # hovering in B's way
    assert [t["id"] for t in tracks.list_(svc, a, 10, None)["items"]] == ["N-1"]
    clock.t += 61
    assert tracks.list_(svc, a, 10, None)["items"] == []
    out = fly(svc, b, [west("S-1", clock.t)])
    assert out["alerts"] == [] and seen(svc, a) == [] and seen(svc, b) == []
    # Deleted lazily by that batch; a state already stale on arrival is ignored.
    count = "SELECT count(*) FROM tracks WHERE party_id = :p"
    assert svc.read(lambda tx: tx.execute(sa.text(count), {"p": a.party()}).scalar()) == 0
    late = fly(svc, a, [east("N-1", clock.t - 61, lng=37.1)])
    assert (late["accepted"], late["ignored"]) == (0, 1)


def test_older_states_are_ignored(svc: Service, clock: Clock) -> None:
    a = party(svc, "North")
    fly(svc, a, [east("N-1", clock.t, alt_m=1200.0)])
    out = fly(svc, a, [east("N-1", clock.t - 5), east("N-1", clock.t - 2)])
    assert (out["accepted"], out["ignored"]) == (0, 2)
    assert tracks.list_(svc, a, 10, None)["items"][0]["alt_m"] == 1200.0


def test_alerts_are_not_repeated_until_something_changes(svc: Service, clock: Clock) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    fly(svc, a, [east("N-1", clock.t)])
    fly(svc, b, [west("S-1", clock.t)])
    for _ in range(3):  # both keep reporting, nothing new: no flood
        clock.t += 1
        fly(svc, a, [east("N-1", clock.t, lng=37.0 + 0.0011 * (clock.t - T0))])
        fly(svc, b, [west("S-1", clock.t, lng=37.2 - 0.0011 * (clock.t - T0))])
    assert [x["reason"] for x in seen(svc, a, "tactical")] == ["new"]
    clock.t += svc.config.tracks.realert_s
    out = fly(svc, b, [west("S-1", clock.t, lng=37.14)])
    assert [x["reason"] for x in out["alerts"]] == ["realert"]
    clock.t += 15  # (no faster than an aircraft can fly: jumps are refused)
    out = fly(svc, b, [west("S-1", clock.t, lng=37.1, lat=36.2)])
    assert [(x["reason"], x["los"]) for x in out["alerts"]] == [("los", True)]
    clock.t += 5  # B turns back and climbs away: both are told it is over
    out = fly(svc, b, [west("S-1", clock.t, lng=37.12, trk_deg=90.0, alt_m=3000.0)])
    (cleared,) = out["cleared"]
    assert cleared["cleared"] is True and cleared["mine"]["id"] == "S-1"
    (cleared_a,) = seen(svc, a, "tactical.cleared")
    assert cleared_a["id"] == cleared["id"] and "S-1" not in json.dumps(cleared_a)
    assert len(seen(svc, a, "tactical.alert")) == 3


def flight_op(svc: Service, who: Principal, **kw: Any) -> str:
    made = ops.create(svc, who, ops.Draft(Kind.FLIGHT, parse_volumes([circle(**kw)])))
    return str(made["operation"]["id"])


def test_nonconformance_is_told_once_per_episode(svc: Service, clock: Clock) -> None:
    a = party(svc, "North")
    op = flight_op(svc, a, radius=5000)

    def report(lng: float, alt: float = 500.0) -> dict[str, Any]:
        clock.t += 30  # 9 km in 30 s at most: no jump
        return fly(svc, a, [east("N-1", clock.t, lng=lng, alt_m=alt, operation_id=op)])

    assert report(37.1)["nonconformance"] == []
    out = report(37.2)  # 9 km east of the centre: outside
    (notice,) = out["nonconformance"]
    assert notice["operation_id"] == op and notice["track_id"] == "N-1"
    report(37.21)
    report(37.1, alt=1500.0)  # inside the footprint, above the band: still outside
    assert len(seen(svc, a, "nonconformance")) == 1
    report(37.1)  # back inside: the episode ends
    report(37.1, alt=1500.0)
    assert len(seen(svc, a, "nonconformance")) == 2
    (row,) = tracks.list_(svc, a, 10, None)["items"]
    assert row["nonconforming"] is True and row["operation_id"] == op


def test_a_straying_aircraft_raises_its_tactical_conflict_at_once(
    svc: Service, clock: Clock
) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    op = flight_op(svc, a, radius=20_000)
    fly(svc, a, [east("N-1", clock.t, operation_id=op)])
    fly(svc, b, [west("S-1", clock.t)])
    clock.t += 1
    out = fly(svc, a, [east("N-1", clock.t, operation_id=op, alt_m=1200.0)])
    # A's aircraft is tied to a planned operation, and now strays from it: A is not shown
    # B's aircraft, only told its own was shown; B is told at once.
    assert out["alerts"] == [] and [x["reason"] for x in seen(svc, a, "tactical.shown")]
    told_b = [x["reason"] for x in seen(svc, b, "tactical")]
    assert told_b[0] == "new" and "nonconforming" in told_b


def test_where_the_aircraft_is_is_checked_against_others_operations(
    svc: Service, clock: Clock
) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    mine = flight_op(svc, a, radius=5000)
    theirs = flight_op(svc, b, lat=36.3, radius=3000)  # 11 km north: no strategic conflict
    assert seen(svc, a) == [] and seen(svc, b) == []
    clock.t += 1
    strayed = state("N-1", clock.t, lat=36.27, operation_id=mine)  # 7.8 km north
    (notice,) = fly(svc, a, [strayed])["nonconformance"]
    (hit,) = notice["hits"]
    assert hit["other_party"] == "South" and hit["other_kind"] == "flight"
    assert theirs not in json.dumps(notice)
    (told,) = seen(svc, b, "tactical.alert")
    assert told["reason"] == "nonconformance" and told["my_operation_id"] == theirs
    assert told["other"]["lat"] == 36.27 and told["other"]["id"].startswith("nc-")
    for secret in (mine, "N-1", a.party()):
        assert secret not in json.dumps(told)
    # Still astray a second later: not told again until the re-alert interval.
    clock.t += 1
    fly(svc, a, [state("N-1", clock.t, lat=36.271, operation_id=mine)])
    assert len(seen(svc, b, "tactical.alert")) == 1
    clock.t += svc.config.tracks.realert_s
    fly(svc, a, [state("N-1", clock.t, lat=36.272, operation_id=mine)])
    again = seen(svc, b, "tactical.alert")
    assert len(again) == 2 and again[1]["other"]["id"] == told["other"]["id"]
    assert len(seen(svc, a, "nonconformance")) == 1


def rows(svc: Service) -> tuple[int, int]:
    def unit(tx: Any) -> tuple[int, int]:
        n = tx.execute(sa.text("SELECT count(*) FROM tracks")).scalar()
        e = tx.execute(sa.text("SELECT count(*) FROM events")).scalar()
        return int(n), int(e)

    return svc.read(unit)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lat": 91.0}, "tracks[1].lat"),
        ({"lng": float("nan")}, "tracks[1].lng"),
        ({"gs_mps": -1.0}, "tracks[1].gs_mps"),
        ({"trk_deg": 361.0}, "tracks[1].trk_deg"),
        ({"id": ""}, "tracks[1].id"),
        ({"time": T0 + 60}, "tracks[1].time"),
        ({"operation_id": "no-such-operation"}, "tracks[1].operation_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    svc: Service, clock: Clock, bad: dict[str, Any], field: str
) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    fly(svc, b, [west("S-1", clock.t)])
    sortie(svc, a)
    before = rows(svc)
    batch = [east("N-1", clock.t), evolve(east("N-2", clock.t), **bad)]
    with pytest.raises(DomainError) as err:
        fly(svc, a, batch)
    assert err.value.field == field
    assert rows(svc) == before


def test_another_partys_operation_looks_nonexistent(svc: Service, clock: Clock) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    theirs = flight_op(svc, b)
    with pytest.raises(NotFound) as err:
        fly(svc, a, [east("N-1", clock.t, operation_id=theirs)])
    assert err.value.field == "tracks[0].operation_id" and err.value.code == "not_found"
    hazard = ops.create(svc, a, ops.Draft(Kind.HAZARD, parse_volumes([circle(lat=10.0)])))
    with pytest.raises(InvalidTrack, match="flight"):
        fly(svc, a, [east("N-1", clock.t, operation_id=hazard["operation"]["id"])])


def test_batches_are_bounded(svc: Service, clock: Clock) -> None:
    a = party(svc, "North")
    svc.config = svc.config.with_(tracks=evolve(svc.config.tracks, max_batch=2))
    with pytest.raises(InvalidTrack) as err:
        fly(svc, a, [east(f"N-{i}", clock.t) for i in range(3)])
    assert err.value.field == "tracks"
    with pytest.raises(InvalidTrack):
        fly(svc, a, [])


def test_concurrent_batches_of_two_parties_see_each_other(svc: Service, clock: Clock) -> None:
    """Serializable on PostgreSQL, one writer on SQLite: whichever commits second sees the
    first's aircraft, so the pair is alerted exactly once to each side."""
    a, b = party(svc, "North"), party(svc, "South")
    sortie(svc, a), sortie(svc, b)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def post(who: Principal, s: TrackState) -> None:
        start.wait()
        try:
            fly(svc, who, [s])
        except BaseException as e:  # surfaced below: a thread's failure must fail the test
            errors.append(e)

    threads = [
        threading.Thread(target=post, args=(a, east("N-1", clock.t))),
        threading.Thread(target=post, args=(b, west("S-1", clock.t))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(seen(svc, a, "tactical.alert")) == 1 and len(seen(svc, b, "tactical.alert")) == 1


def latest_alerts(svc: Service, who: Principal) -> dict[str, dict[str, Any]]:
    """The party's latest `tactical.alert` payload per pair id (per alias for straying ones)."""
    out: dict[str, dict[str, Any]] = {}
    for data in seen(svc, who, "tactical.alert"):
        out[data.get("id") or data["other"]["id"]] = data
    return out


def read_disclosures(svc: Service, who: Principal) -> list[tuple[str, Any]]:
    q = sa.text("SELECT subject, data FROM audit WHERE party_id = :p AND action = 'disclosed'")
    found = svc.read(lambda tx: tx.execute(q, {"p": who.party()}).all())
    return [(s, d if isinstance(d, dict) else json.loads(d)) for s, d in found]


def test_current_alerts_are_the_latest_told_and_only_the_callers(
    svc: Service, clock: Clock
) -> None:
    a, b, c = party(svc, "North"), party(svc, "South"), party(svc, "West")
    assert alerts.current(svc, a) == {
        "items": [],
        "stale_s": svc.config.tracks.stale_s,
        "realert_s": svc.config.tracks.realert_s,
        "time": rfc3339(clock.t),
    }
    fly(svc, a, [east("N-1", clock.t)])
    at_40 = {p: sortie(svc, p, lat=40.0) for p in (b, c)}
    fly(svc, b, [west("S-1", clock.t), state("S-2", clock.t, lat=40.0, operation_id=at_40[b])])
    w_1 = state("W-1", clock.t, lat=40.0, lng=37.1005, trk_deg=180.0, operation_id=at_40[c])
    fly(svc, c, [w_1])
    (pair_ab,) = latest_alerts(svc, a)
    (pair_bc,) = latest_alerts(svc, c)
    # Re-alerted: the latest payload is the one shown, not the first.
    clock.t += svc.config.tracks.realert_s
    fly(svc, b, [west("S-1", clock.t, lng=37.17)])
    assert latest_alerts(svc, a)[pair_ab]["reason"] == "realert"

    mine_a = alerts.current(svc, a)["items"]
    mine_b = alerts.current(svc, b)["items"]
    mine_c = alerts.current(svc, c)["items"]
    assert mine_a == [latest_alerts(svc, a)[pair_ab]]
    assert mine_c == [latest_alerts(svc, c)[pair_bc]]
    assert sorted(mine_b, key=lambda x: x["id"]) == sorted(
        latest_alerts(svc, b).values(), key=lambda x: x["id"]
    )
    assert {x["id"] for x in mine_b} == {pair_ab, pair_bc}
    # Never more than the events disclosed: none of the others' ids, no one else's pair.
    text_a = json.dumps(mine_a)
    for secret in ("S-1", "S-2", "W-1", b.party(), c.party(), pair_bc):
        assert secret not in text_a
    assert mine_a[0]["other"]["id"].startswith("trk-") and mine_a[0]["mine"]["id"] == "N-1"
    # Each item shown is a disclosure in the audit log, as an event is.
    reads = [(s, d) for s, d in read_disclosures(svc, a) if d.get("read")]
    assert reads == [(pair_ab, {"read": "tracks.alerts"})]

    # B turns away from A: that pair is cleared and no longer listed; B and W still conflict.
    clock.t += 5
    out = fly(svc, b, [west("S-1", clock.t, lng=37.19, trk_deg=90.0, alt_m=3000.0)])
    assert [x["id"] for x in out["cleared"]] == [pair_ab]
    assert alerts.current(svc, a)["items"] == []
    assert [x["id"] for x in alerts.current(svc, b)["items"]] == [pair_bc]


def test_current_alerts_leave_out_pairs_whose_tracks_went_stale(svc: Service, clock: Clock) -> None:
    a, b = party(svc, "North"), party(svc, "South")
    fly(svc, a, [east("N-1", clock.t)])
    fly(svc, b, [west("S-1", clock.t)])
    assert len(alerts.current(svc, a)["items"]) == 1
    # Nobody reports any more: the tracks go stale, though no batch has cleared the pair yet.
    clock.t += svc.config.tracks.stale_s - 1
    assert len(alerts.current(svc, b)["items"]) == 1
    clock.t += 2
    assert alerts.current(svc, a)["items"] == [] and alerts.current(svc, b)["items"] == []


def test_current_alerts_hold_straying_aircraft_inside_the_callers_operations(
    svc: Service, clock: Clock
) -> None:
    a, b, c = party(svc, "North"), party(svc, "South"), party(svc, "West")
    mine = flight_op(svc, a, radius=5000)
    theirs = flight_op(svc, b, lat=36.3, radius=3000)
    flight_op(svc, c, lat=30.0)  # far away: never hit
    clock.t += 1
    fly(svc, a, [state("N-1", clock.t, lat=36.27, operation_id=mine)])
    (told,) = seen(svc, b, "tactical.alert")
    assert alerts.current(svc, b)["items"] == [told]
    assert told["my_operation_id"] == theirs
    # The owner learns of its own aircraft from `nonconformance` and its tracks, not here.
    assert alerts.current(svc, a)["items"] == [] and alerts.current(svc, c)["items"] == []
    text = json.dumps(alerts.current(svc, b))
    for secret in (mine, "N-1", a.party()):
        assert secret not in text
    # Re-checked after the re-alert interval: the latest re-check's payload is shown.
    clock.t += svc.config.tracks.realert_s
    fly(svc, a, [state("N-1", clock.t, lat=36.272, operation_id=mine)])
    latest = seen(svc, b, "tactical.alert")[-1]
    assert latest != told and alerts.current(svc, b)["items"] == [latest]
    # A second later, not re-checked: still the same.
    clock.t += 1
    fly(svc, a, [state("N-1", clock.t, lat=36.2721, operation_id=mine)])
    assert alerts.current(svc, b)["items"] == [latest]
    subjects = {s for s, d in read_disclosures(svc, b) if d.get("read")}
    assert subjects == {told["other"]["id"]}
    # Back inside its operation: no longer listed.
    clock.t += 30
    fly(svc, a, [state("N-1", clock.t, operation_id=mine)])
    assert alerts.current(svc, b)["items"] == []
    # Astray again, then silent: listed until its track goes stale.
    clock.t += 30
    fly(svc, a, [state("N-1", clock.t, lat=36.27, operation_id=mine)])
    assert len(alerts.current(svc, b)["items"]) == 1
    clock.t += svc.config.tracks.stale_s + 1
    assert alerts.current(svc, b)["items"] == []
