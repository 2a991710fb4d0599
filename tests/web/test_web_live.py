"""Two parties' consoles, live: a presence and a hazard drawn on the map become a conflict
that both see at once; acknowledgement, thread and activation with override go both ways."""

from __future__ import annotations

import time
from collections.abc import Callable

from console_helpers import Server, map_point, screenshot, sign_in
from playwright.sync_api import Page, expect

LIVE_MS = 2000  # the console must show what the other party did within 2 s, without reload

# A small block of the city (a presence) and a hazard circle over its middle.
CAMP = [(36.205, 37.090), (36.205, 37.110), (36.192, 37.112), (36.190, 37.092)]
BURN_CENTRE = (36.196, 37.110)
BURN_EDGE = (36.196, 37.120)


def draw_polygon(page: Page, vertices: list[tuple[float, float]]) -> None:
    """Real mouse clicks on the map; a double-click on the last vertex closes the polygon."""
    page.get_by_label("Polygon").check()
    page.get_by_role("button", name="Draw on map").click()
    for lat, lng in vertices[:-1]:
        page.mouse.click(*map_point(page, lat, lng))
    page.mouse.dblclick(*map_point(page, *vertices[-1]))


def draw_circle(page: Page, centre: tuple[float, float], edge: tuple[float, float]) -> None:
    page.get_by_label("Circle").check()
    page.get_by_role("button", name="Draw on map").click()
    page.mouse.click(*map_point(page, *centre))
    page.mouse.click(*map_point(page, *edge))


def conflict_item(page: Page, other: str):  # type: ignore[no-untyped-def]
    return page.locator("#conflict-list li", has_text=f"Conflict with {other}")


def test_conflict_reaches_both_consoles_live(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    aid, air = "Aid Org", "North Air Wing"
    a, b = new_page(server.base), new_page(server.base)
    sign_in(a, server.party(aid), aid)
    sign_in(b, server.party(air), air)
    a.evaluate("window.notReloaded = true")

    # A draws its camp as a presence polygon.
    draw_polygon(a, CAMP)
    typed = a.get_by_label("Vertices (one “lat, lng” per line, degrees)").input_value()
    drawn = [tuple(float(x) for x in line.split(",")) for line in typed.splitlines()]
    assert len(drawn) == len(CAMP)  # the double-click's extra click added no vertex
    for (lat, lng), (want_lat, want_lng) in zip(drawn, CAMP, strict=True):
        assert abs(lat - want_lat) < 5e-4 and abs(lng - want_lng) < 5e-4  # 1-2 px at zoom 12
    a.get_by_label("Kind").select_option("presence")
    a.get_by_label("Label").fill("Camp Hope")
    a.get_by_label("Altitude upper (m, WGS84)").fill("100")
    a.get_by_role("button", name="Create operation").click()
    expect(a.locator("#op-result")).to_have_text("Created “Camp Hope”. No conflict.")
    expect(a.locator("path.op-presence")).to_have_count(1)

    # B draws a hazard circle over it.
    draw_circle(b, BURN_CENTRE, BURN_EDGE)
    radius = float(b.get_by_label("Radius (m)").input_value())
    assert 850 < radius < 950  # 0.01° of longitude at 36.2° N is about 899 m
    b.get_by_label("Kind").select_option("hazard")
    b.get_by_label("Label").fill("Controlled burn")
    b.get_by_role("button", name="Create operation").click()
    expect(b.locator("#op-result")).to_have_text("Created “Controlled burn”. 1 conflict opened.")
    created = time.monotonic()

    # A sees it live: in the list, on the map, announced.
    expect(conflict_item(a, air)).to_be_visible(timeout=LIVE_MS)
    assert time.monotonic() - created < LIVE_MS / 1000 + 0.5
    expect(a.locator("path.conflict-region")).to_have_count(1)
    expect(a.locator("#announce-polite")).to_contain_text(f"New conflict with {air}")
    item = conflict_item(a, air)
    expect(item).to_contain_text("your presence “Camp Hope” × their hazard")
    expect(item).to_contain_text("0 m–100 m")
    expect(item.locator(".my-status")).to_contain_text("open")
    expect(item.locator(".other-status")).to_contain_text(f"{air}: open")

    for page in (a, b):
        page.get_by_role("button", name="Show on map").first.click()
        page.wait_for_timeout(400)  # the map's zoom animation
    screenshot(a, "console-conflict-aid.png")
    screenshot(b, "console-conflict-air.png")

    # A acknowledges in one click; B sees A's acknowledgement live.
    item.get_by_role("button", name="Acknowledge").click()
    expect(item.locator(".my-status")).to_contain_text("acknowledged")
    expect(conflict_item(b, aid).locator(".other-status")).to_contain_text(
        f"{aid}: acknowledged", timeout=LIVE_MS
    )
    expect(conflict_item(b, aid).locator(".my-status")).to_contain_text("open")

    # The thread: B has it open; A proposes; B sees the proposal arrive.
    conflict_item(b, aid).get_by_role("button", name=f"Conflict with {aid}: open thread").click()
    expect(b.locator("#detail-heading")).to_have_text(f"Conflict with {aid}")
    expect(b.locator("#detail-heading")).to_be_focused()
    item.get_by_role("button", name=f"Conflict with {air}: open thread").click()
    a.get_by_label("Message type").select_option("proposal")
    a.get_by_label("Message", exact=True).fill("Please move the burn to 16:00Z")
    a.get_by_role("button", name="Send").click()
    expect(a.locator("#thread li")).to_contain_text(["You proposal"])
    message = b.locator("#thread li", has_text="Please move the burn to 16:00Z")
    expect(message).to_be_visible(timeout=LIVE_MS)
    expect(message.locator(".msg-type")).to_have_text("proposal")
    expect(message.locator(".who")).to_have_text(aid)

    # B activates its hazard: refused while the conflict is open, then overridden knowingly.
    burn = b.locator("#operation-list li", has_text="Controlled burn")
    burn.get_by_role("button", name="Activate").click()
    dialog = b.locator("#override-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#override-list li")).to_have_count(1)
    expect(dialog.locator("#override-list li")).to_contain_text(
        f"{aid}: your hazard × their presence"
    )
    dialog.get_by_role("button", name="Override and activate").click()
    expect(burn.locator(".badge.state-active")).to_have_text("active")
    expect(a.locator("#announce-assertive")).to_contain_text(
        "activated over a conflict", timeout=LIVE_MS
    )

    # A cancels its camp (two steps); the conflict resolves on both sides.
    camp = a.locator("#operation-list li", has_text="Camp Hope")
    camp.get_by_role("button", name="Cancel operation").click()
    camp.get_by_role("button", name="Confirm cancel").click()
    expect(a.locator("#operation-list li", has_text="Camp Hope")).to_have_count(0)
    expect(conflict_item(b, aid)).to_have_count(0, timeout=LIVE_MS)
    b.get_by_label("Show ended, cancelled and resolved").check()
    expect(conflict_item(b, aid).locator(".badge.status-resolved")).to_have_count(1)

    assert a.evaluate("window.notReloaded") is True
