"""What the console shows: conflicts ordered by urgency, escalations standing out, the time
control filtering months of plans, and the event stream's drop and resume."""

from __future__ import annotations

import time
from collections.abc import Callable

from console_helpers import Server, circle, create, screenshot, sign_in
from playwright.sync_api import Page, expect

LIVE_MS = 2000


# Presences around the city and when their overlap with a hazard starts (minutes from now).
SITES = [
    ("Clinic far ahead", 36.40, 37.25, 48 * 60),
    ("Camp later", 36.10, 37.25, 5 * 60),
    ("School now", 36.20, 37.10, 2),
    ("Market soon", 36.30, 36.95, 50),
]


def test_conflicts_by_urgency_escalation_and_time_control(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    aid, air = "Relief Convoy", "South Air Wing"
    aid_key, air_key = server.party(aid), server.party(air)
    page = new_page(server.base)
    for n, (label, lat, lng, start) in enumerate(SITES):
        if n == 2:  # the rest arrive while the console is open
            sign_in(page, aid_key, aid, view=(36.3, 37.1, 9))
        create(server, aid_key, "presence", label, circle(lat, lng, 5000, start))
        create(server, air_key, "hazard", f"Range near {label}", circle(lat, lng, 3000, start))
    items = page.locator("#conflict-list li")
    expect(items).to_have_count(4)
    order = ["School now", "Market soon", "Camp later", "Clinic far ahead"]
    for i, label in enumerate(order):
        expect(items.nth(i)).to_contain_text(f"“{label}”")
    expect(page.locator("path.conflict-region")).to_have_count(4)
    expect(page.locator("path.op-presence")).to_have_count(4)

    # The overlap starting in 2 minutes is escalated by the service (nobody acknowledged it);
    # it stands out in the list and on the map, and is announced at once.
    school = items.filter(has_text="School now")
    expect(school.locator(".badge.escalated")).to_have_text("escalated", timeout=5000)
    expect(school).to_have_class("item conflict status-open escalated")
    expect(page.locator("path.conflict-region.escalated")).to_have_count(1)
    expect(page.locator("#announce-assertive")).to_contain_text(f"Conflict with {air} escalated")
    screenshot(page, "console-overview.png")

    # The time control, by keyboard: now + 1 h, then + 24 h, then everything planned.
    slider = page.get_by_label("Show what happens from now until")
    slider.focus()
    page.keyboard.press("Home")
    expect(page.locator("#horizon-value")).to_have_text("now + 1 h")
    expect(items).to_have_count(2)
    expect(page.locator("#operation-list li")).to_have_count(2)
    expect(page.locator("path.conflict-region")).to_have_count(2)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#horizon-value")).to_have_text("now + 24 h")
    expect(items).to_have_count(3)
    page.keyboard.press("End")
    expect(page.locator("#horizon-value")).to_have_text("all planned")
    expect(items).to_have_count(4)


def test_event_stream_drop_and_resume(own_server: Server, new_page: Callable[[str], Page]) -> None:
    server = own_server
    aid, air = "Field Hospital", "East Air Wing"
    aid_key, air_key = server.party(aid), server.party(air)
    create(server, aid_key, "presence", "Ward", circle(36.2, 37.1, 2000, 120))
    page = new_page(server.base)
    sign_in(page, aid_key, aid)
    page.evaluate("window.notReloaded = true")
    status = page.locator("#stream-status")

    server.stop(crash=True)
    expect(status).to_have_attribute("data-state", "reconnecting", timeout=5000)
    expect(status).to_have_text("reconnecting…")
    expect(page.locator("#announce-assertive")).to_contain_text("reconnecting")

    server.start()
    expect(status).to_have_attribute("data-state", "live", timeout=10000)
    expect(page.locator("#announce-polite")).to_contain_text("Live updates resumed")
    create(server, air_key, "hazard", "Demolition", circle(36.2, 37.1, 1000, 120))
    started = time.monotonic()
    expect(page.locator("#conflict-list li", has_text=f"Conflict with {air}")).to_have_count(
        1, timeout=LIVE_MS)
    assert time.monotonic() - started < LIVE_MS / 1000 + 0.5
    assert page.evaluate("window.notReloaded") is True


def test_sse_parser_in_the_browser(server: Server, new_page: Callable[[str], Page]) -> None:
    """The console's own SSE parser: CRLF split across chunks, comments, multi-line data,
    ids carried over events that have none, retry."""
    page = new_page(server.base)
    page.goto("/")
    events = page.evaluate("""async () => {
        const { SseParser } = await import("/js/events.js");
        const out = [];
        const p = new SseParser((e) => out.push(e));
        for (const chunk of ["retry: 1000\\r\\n\\r\\nid: 7\\r", "\\nevent: conflict.opened\\r\\n",
                             "data: {\\"id\\":", "\\"c1\\"}\\r\\n\\r", "\\n: keep-alive\\n\\n",
                             "event: probe\\ndata: a\\ndata: b\\n\\nid: 9\\n\\n", "data: x"]) {
            p.push(chunk);
        }
        return { out, retry: p.retry, lastId: p.lastId };
    }""")
    assert events == {
        "out": [
            {"id": "7", "type": "conflict.opened", "data": {"id": "c1"}},
            {"id": "7", "type": "probe", "data": "a\nb"},
        ],
        "retry": 1000,
        "lastId": "9",
    }

