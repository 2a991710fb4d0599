"""Fabricated tracks: a party with no declared flight, or whose states break physics, posts
states over the victim's aircraft. It must learn nothing of them; the victim is still told of
the attacker's aircraft (its safety does not depend on the attacker's honesty)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from hostile_helpers import Party, around_now, leaks, party, received, rfc3339, state

CENTRE = (36.2, 37.1)


def flight(client: TestClient, who: Party, state_: str = "active") -> str:
    """A flight over the area; activated over its conflicts (named as overridden)."""
    body = {"kind": "flight", "volumes": [around_now(*CENTRE, 20_000)]}
    r = client.post("/v1/operations", json=body, headers=who.headers)
    assert r.status_code == 201
    made = r.json()
    if state_ == "active":
        r = client.patch(
            f"/v1/operations/{made['operation']['id']}",
            json={"state": "active", "override": [c["id"] for c in made["conflicts"]]},
            headers={**who.headers, "If-Match": "1"},
        )
        assert r.status_code == 200
    return str(made["operation"]["id"])


def victim_aircraft(client: TestClient, c: Party) -> tuple[str, dict]:
    op = flight(client, c)
    own = state("RELIEF-HELO-7", CENTRE[0], 37.08137, 90.0, operation_id=op)
    r = client.post("/v1/tracks", json={"tracks": [own]}, headers=c.headers)
    assert r.status_code == 200 and r.json()["accepted"] == 1
    return op, own


def secrets_of(c: Party, op: str, own: dict) -> list[str]:
    return [c.id, op, own["id"], f"{own['lng']}"]


def sweep(lat0: float, n: int, **kw: object) -> list[dict]:
    """`n` aircraft on a line across the victim's area, flying west towards it."""
    return [state(f"SWEEP-{i}", lat0 + 0.01 * (i - n / 2), 37.12, 270.0, **kw) for i in range(n)]


def test_a_sweep_without_a_declared_flight_learns_nothing(client: TestClient) -> None:
    c, b = party(client, "Relief"), party(client, "Raider")
    op, own = victim_aircraft(client, c)
    r = client.post("/v1/tracks", json={"tracks": sweep(CENTRE[0], 100)}, headers=b.headers)
    assert r.status_code == 200, r.text
    assert r.json()["alerts"] == []
    alerts = client.get("/v1/tracks/alerts", headers=b.headers).json()
    assert alerts["items"] == []
    got = received(client, b)
    assert leaks([r.json(), alerts, got], secrets_of(c, op, own)) == []
    assert {e["type"] for e in got} <= {"tactical.shown"} and got  # told it was shown
    told = [e for e in received(client, c) if e["type"] == "tactical.alert"]
    assert told and all(e["data"]["other_party"] == "Raider" for e in told)


def test_a_sweep_tied_to_a_planned_or_strayed_flight_learns_nothing(client: TestClient) -> None:
    c, b = party(client, "Relief"), party(client, "Raider")
    op, own = victim_aircraft(client, c)
    planned = flight(client, b, "planned")
    r = client.post(
        "/v1/tracks", json={"tracks": sweep(CENTRE[0], 20, operation_id=planned)}, headers=b.headers
    )
    assert r.status_code == 200 and r.json()["alerts"] == []
    far = {"kind": "flight", "volumes": [around_now(48.85, 2.35, 5000)], "state": "active"}
    elsewhere = client.post("/v1/operations", json=far, headers=b.headers).json()["operation"]
    strays = [
        state(f"STRAY-{i}", CENTRE[0] + 0.01 * i, 37.12, 270.0, operation_id=elsewhere["id"])
        for i in range(5)
    ]
    r = client.post("/v1/tracks", json={"tracks": strays}, headers=b.headers)
    assert r.status_code == 200 and r.json()["alerts"] == []
    got = received(client, b)
    assert leaks([r.json(), got], secrets_of(c, op, own)) == []


def test_a_declared_conforming_flight_is_shown_the_other_aircraft(client: TestClient) -> None:
    """The rule does not blind honest parties: both sides of a real encounter see each other."""
    c, b = party(client, "Relief"), party(client, "Raider")
    victim_aircraft(client, c)
    mine = flight(client, b)
    r = client.post(
        "/v1/tracks",
        json={"tracks": [state("RAIDER-1", CENTRE[0], 37.12, 270.0, operation_id=mine)]},
        headers=b.headers,
    )
    (alert,) = r.json()["alerts"]
    assert alert["other_party"] == "Relief" and alert["other"]["id"].startswith("trk-")


def test_impossible_speeds_are_refused_naming_the_field(client: TestClient) -> None:
    b = party(client, "Raider")
    r = client.post(
        "/v1/tracks", json={"tracks": sweep(CENTRE[0], 100, gs_mps=1400.0)}, headers=b.headers
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "tracks[0].gs_mps"
    assert client.get("/v1/tracks", headers=b.headers).json()["items"] == []


def test_a_jump_between_two_states_is_refused_naming_the_field(client: TestClient) -> None:
    b = party(client, "Raider")
    t = datetime.now(UTC) - timedelta(seconds=2)
    first = state("JUMPER", CENTRE[0], 37.0, 90.0, time=rfc3339(t))
    r = client.post("/v1/tracks", json={"tracks": [first]}, headers=b.headers)
    assert r.status_code == 200, r.text
    # One second later, 50 km away: 50,000 m/s.
    later = state("JUMPER", CENTRE[0], 37.56, 90.0, time=rfc3339(t + timedelta(seconds=1)))
    r = client.post("/v1/tracks", json={"tracks": [later]}, headers=b.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "tracks[0].time", r.text
    both = [
        state("TWIN", CENTRE[0], 37.0, 90.0, time=rfc3339(t)),
        state("TWIN", CENTRE[0], 37.56, 90.0, time=rfc3339(t + timedelta(seconds=1))),
    ]
    r = client.post("/v1/tracks", json={"tracks": both}, headers=b.headers)
    assert r.status_code == 422 and r.json()["error"]["field"] == "tracks[1].time", r.text
