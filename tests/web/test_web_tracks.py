"""Live tracks on the console, for real: aircraft states posted through `POST /v1/tracks` of a
running server reach the consoles through `GET /v1/tracks` (own aircraft) and the event stream
(tactical alerts, clearing, nonconformance), within 2 s and without reload."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from console_helpers import Server, circle, create, screenshot, sign_in
from playwright.sync_api import Page, expect

LIVE_MS = 2000
STALE_S = 4  # the server forgets tracks this fast here, so staleness is testable


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "DECONFLICT_TACTICAL_STALE_S": str(STALE_S),
        # The scenes below move aircraft kilometres between posts a second apart, to be quick;
        # the refusal of such jumps is tested elsewhere (tests/hostile).
        "DECONFLICT_TACTICAL_MAX_SPEED_MPS": "100000",
    }
    s = Server(tmp_path_factory.mktemp("tracks"), env)
    s.start()
    try:
        yield s
    finally:
        s.stop()


def state(aircraft: str, lat: float, lng: float, trk: float, *, gs: float = 150.0,
          alt: float = 3000.0, operation: str | None = None, ago_s: float = 0.0) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=ago_s)
    out: dict[str, Any] = {
        "id": aircraft, "lat": lat, "lng": lng, "alt_m": alt, "gs_mps": gs, "trk_deg": trk,
        "vs_mps": 0.0, "time": at.isoformat().replace("+00:00", "Z"),
    }
    if operation is not None:
        out["operation_id"] = operation
    return out


def activate(server: Server, key: str, op: str) -> str:
    """Make a flight active (over its conflicts, named): only states tied to an active flight,
    and conforming, are shown other parties' aircraft."""
    body: dict[str, Any] = {"state": "active"}
    r = server.call(key, "PATCH", f"/v1/operations/{op}", json=body, headers={"If-Match": "1"})
    if r.status_code == 409:
        body["override"] = [c["id"] for c in r.json()["error"]["conflicts"]]
        r = server.call(key, "PATCH", f"/v1/operations/{op}", json=body, headers={"If-Match": "1"})
    assert r.status_code == 200, r.text
    return op


def post(server: Server, key: str, *states: dict[str, Any]) -> dict[str, Any]:
    r = server.call(key, "POST", "/v1/tracks", json={"tracks": list(states)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_converging_aircraft_alert_and_clear(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    west, east = "West Wing", "East Wing"
    west_key, east_key = server.party(west), server.party(east)
    # Strategically apart (flight levels 50 m apart), tactically too close (< 304.8 m).
    west_area, east_area = circle(36.2, 37.1, 25000, -5), circle(36.2, 37.1, 25000, -5)
    west_area["volume"]["altitude_lower"]["value"] = 2800
    west_area["volume"]["altitude_upper"]["value"] = 3100
    east_area["volume"]["altitude_lower"]["value"] = 3150
    east_area["volume"]["altitude_upper"]["value"] = 3500
    west_op = create(server, west_key, "flight", "West patrol", west_area)
    east_op = create(server, east_key, "flight", "East patrol", east_area)
    activate(server, west_key, west_op), activate(server, east_key, east_op)
    page = new_page(server.base)
    sign_in(page, east_key, east, view=(36.2, 37.1, 10))
    page.evaluate("window.notReloaded = true")
    alerts = page.locator("#alert-list li")
    expect(alerts).to_have_count(0)
    expect(page.locator("#alert-empty")).to_be_visible()

    # Head-on at 3,000 and 3,200 m, 18 km apart, closing at 300 m/s: 9,260 m is lost in ~30 s.
    told = post(server, east_key, state("EW-1", 36.2, 37.2, 270.0, alt=3200, operation=east_op))
    assert told["alerts"] == []
    told = post(server, west_key, state("WW-7", 36.2, 37.0, 90.0, operation=west_op))
    posted = time.monotonic()
    assert len(told["alerts"]) == 1 and told["alerts"][0]["reason"] == "new"

    # East's console: its own aircraft, the other under an alias, the alert line and CPA.
    item = alerts.filter(has_text=f"Tactical alert with {west}")
    expect(item).to_have_count(1, timeout=LIVE_MS)
    expect(page.locator("#track-list li", has_text="EW-1")).to_have_count(1, timeout=LIVE_MS)
    expect(page.locator("path.track-own")).to_have_count(1, timeout=LIVE_MS)
    assert time.monotonic() - posted < LIVE_MS / 1000 + 0.5
    expect(page.locator("path.track-other")).to_have_count(1)
    expect(page.locator("path.track-vector")).to_have_count(2)
    expect(page.locator("path.alert-line")).to_have_count(1)
    expect(page.locator("path.alert-cpa")).to_have_count(1)
    expect(item).to_contain_text("your EW-1 (3,200 m) × their aircraft #")
    expect(item).to_contain_text("separation lost in")
    expect(page.locator("#conflict-list li")).to_have_count(0)  # strategically deconflicted
    expect(page.locator("#alert-banner")).to_contain_text(
        f"Tactical alert with {west}: your EW-1")
    expect(page.locator("#announce-assertive")).to_contain_text(
        f"Tactical alert: your EW-1 and an aircraft of {west}")
    # The other party's registry id never shows.
    assert "WW-7" not in page.locator("body").inner_text()
    labels = page.locator(".track-label-other").all_inner_texts()
    assert len(labels) == 1 and labels[0].startswith(f"{west} #"), labels
    # The CPA lies midway (36.2, 37.1) on a head-on course.
    cpa = page.evaluate("""() => { const a = [...window.deconflictConsole.live.alerts.values()];
        return a.map((x) => x.data.cpa); }""")
    assert len(cpa) == 1 and abs(cpa[0]["lat"] - 36.2) < 0.01 and abs(cpa[0]["lng"] - 37.1) < 0.01
    item.get_by_role("button", name="Show on map").click()
    page.wait_for_timeout(400)
    screenshot(page, "console-tracks-alert.png")

    # East turns away (both now head east at the same speed): the alert clears on both sides.
    told = post(server, east_key, state("EW-1", 36.2, 37.2, 90.0, alt=3200, operation=east_op))
    assert len(told["cleared"]) == 1
    expect(alerts).to_have_count(0, timeout=LIVE_MS)
    expect(page.locator("path.track-other")).to_have_count(0)
    expect(page.locator("path.alert-line")).to_have_count(0)
    expect(page.locator("#alert-banner")).to_be_hidden()
    expect(page.locator("#announce-polite")).to_contain_text("Tactical alert cleared: your EW-1")

    # Converging again, then West stops reporting: its track goes stale and the alert clears.
    post(server, east_key, state("EW-1", 36.2, 37.2, 270.0, alt=3200, operation=east_op))
    post(server, west_key, state("WW-7", 36.2, 37.0, 90.0, operation=west_op))
    expect(alerts).to_have_count(1, timeout=LIVE_MS)
    time.sleep(STALE_S + 0.5)
    post(server, east_key, state("EW-1", 36.2, 37.19, 270.0, alt=3200, operation=east_op))
    expect(alerts).to_have_count(0, timeout=LIVE_MS)
    # East stops too: its own aircraft leaves the map once stale, no reload needed.
    expect(page.locator("path.track-own")).to_have_count(0, timeout=(STALE_S + 2) * 1000)
    expect(page.locator("#track-empty")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True


def test_nonconformance_on_both_consoles(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    owner, other = "Stray Wing", "Range Keeper"
    owner_key, other_key = server.party(owner), server.party(other)
    corridor = create(server, owner_key, "flight", "Corridor", circle(36.5, 37.5, 3000, -5))
    range_op = create(server, other_key, "flight", "Range orbit",
                      circle(36.6, 37.5, 6000, -5, upper=5000))
    a, b = new_page(server.base), new_page(server.base)
    sign_in(a, owner_key, owner, view=(36.55, 37.5, 10))
    sign_in(b, other_key, other, view=(36.55, 37.5, 10))

    # Inside its corridor: conforming, no alert.
    post(server, owner_key, state("SW-3", 36.5, 37.5, 0.0, gs=80, alt=900, operation=corridor))
    expect(a.locator("#track-list li", has_text="SW-3")).to_have_count(1, timeout=LIVE_MS)
    expect(a.locator("#alert-list li")).to_have_count(0)

    # 11 km north, outside the corridor and inside the other party's range.
    told = post(server, owner_key,
                state("SW-3", 36.6, 37.5, 0.0, gs=80, alt=900, operation=corridor))
    assert len(told["nonconformance"]) == 1
    item = a.locator("#alert-list li", has_text="SW-3 outside its operation")
    expect(item).to_have_count(1, timeout=LIVE_MS)
    expect(item).to_contain_text(f"inside {other}'s flight")
    expect(item).to_contain_text("your operation “Corridor”")
    expect(a.locator("#track-list li", has_text="SW-3")).to_contain_text("outside")
    expect(a.locator("path.track-own.nonconforming")).to_have_count(1)
    expect(a.locator("path.stray-region")).to_have_count(1)
    expect(a.locator("#announce-assertive")).to_contain_text(
        "Nonconformance: SW-3 left operation “Corridor”")

    # The party whose operation it strayed into is told, under an alias, with the region.
    seen = b.locator("#alert-list li", has_text=f"Aircraft of {owner} in your operation")
    expect(seen).to_have_count(1, timeout=LIVE_MS)
    expect(seen).to_contain_text("your operation “Range orbit”")
    expect(b.locator("path.track-other.stray")).to_have_count(1)
    expect(b.locator("path.stray-region")).to_have_count(1)
    expect(b.locator("#announce-assertive")).to_contain_text(
        f"An aircraft of {owner} that left its own operation is inside your operation "
        "“Range orbit”")
    assert "SW-3" not in b.locator("body").inner_text()
    assert range_op
    screenshot(a, "console-nonconformance-owner.png")
    screenshot(b, "console-nonconformance-other.png")

    # A console of the party hit that signs in now is shown the straying aircraft at once,
    # though no event will tell it before the next re-check (15 s away). (The owner reports
    # again first, so its track is fresh here whatever the time taken above; not re-checked.)
    c = new_page(server.base)
    c.goto("/#map=36.55,37.5,10")
    c.get_by_label("API key").fill(other_key)
    told = post(server, owner_key,
                state("SW-3", 36.601, 37.5, 0.0, gs=80, alt=900, operation=corridor))
    assert told["nonconformance"] == [] and told["alerts"] == []
    started = time.monotonic()
    c.get_by_role("button", name="Sign in").click()
    late = c.locator("#alert-list li", has_text=f"Aircraft of {owner} in your operation")
    expect(late).to_have_count(1, timeout=LIVE_MS)
    assert time.monotonic() - started < LIVE_MS / 1000
    expect(late).to_contain_text("your operation “Range orbit”")
    expect(c.locator("path.track-other.stray")).to_have_count(1)
    expect(c.locator("path.stray-region")).to_have_count(1)
    assert "SW-3" not in c.locator("body").inner_text()

    # Back inside: the owner's entry goes with the track's flag.
    post(server, owner_key, state("SW-3", 36.5, 37.5, 0.0, gs=80, alt=900, operation=corridor))
    expect(item).to_have_count(0, timeout=LIVE_MS)



def test_a_console_signing_in_mid_conflict_shows_the_alert_at_once(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    """The alert is raised before the console signs in; its stream starts live, so no event will
    carry it (the next re-alert is 15 s away): GET /v1/tracks/alerts must, within 2 s."""
    north, south = "Late North", "Late South"
    north_key, south_key = server.party(north), server.party(south)
    page = new_page(server.base)
    page.goto("/#map=35.5,36.5,10")
    page.get_by_label("API key").fill(south_key)
    area = circle(35.5, 36.5, 30_000, -5, upper=5000)
    ops = {k: activate(server, k, create(server, k, "flight", "Sortie", area))
           for k in (north_key, south_key)}
    # Head-on at 3,000 m, 18 km apart: an alert, raised now, to both.
    post(server, north_key, state("LN-1", 35.5, 36.4, 90.0, operation=ops[north_key]))
    told = post(server, south_key, state("LS-2", 35.5, 36.6, 270.0, operation=ops[south_key]))
    assert len(told["alerts"]) == 1
    started = time.monotonic()
    page.get_by_role("button", name="Sign in").click()
    item = page.locator("#alert-list li", has_text=f"Tactical alert with {north}")
    expect(item).to_have_count(1, timeout=LIVE_MS)
    assert time.monotonic() - started < LIVE_MS / 1000
    expect(item).to_contain_text("your LS-2 (3,000 m) × their aircraft #")
    expect(page.locator("path.alert-line")).to_have_count(1)
    expect(page.locator("path.track-other")).to_have_count(1)
    expect(page.locator("#alert-banner")).to_contain_text(f"Tactical alert with {north}")
    expect(page.locator("#announce-assertive")).to_contain_text("Tactical alerts in force: 1")
    assert "LN-1" not in page.locator("body").inner_text()
    # The console ages what it shows by the server's timings, not built-in ones.
    timings = page.evaluate("window.deconflictConsole.live.timings")
    assert timings == {"stale_s": STALE_S, "realert_s": 15}
    # The tracks go stale; the clearing that the next batch brings removes it, as live.
    time.sleep(STALE_S + 0.5)
    post(server, south_key, state("LS-2", 35.5, 36.55, 270.0, operation=ops[south_key]))
    expect(item).to_have_count(0, timeout=LIVE_MS)
