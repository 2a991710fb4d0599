"""Keyboard and screen-reader basics: every form control has a label, every button and link
can be reached with Tab and shows where the focus is, news is spoken through live regions."""

from __future__ import annotations

from collections.abc import Callable

from console_helpers import Server, circle, create
from playwright.sync_api import Page, expect

UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => {
        const labelled = [...(el.labels || [])].some((l) => l.textContent.trim())
            || (el.getAttribute('aria-label') || '').trim()
            || el.getAttribute('aria-labelledby');
        return !labelled;
    })
    .map((el) => el.outerHTML)"""

# Controls are known by kind and accessible name, not by a mark on the element: live lists
# redraw their items (after the stream connects, on events), which would drop such marks.
NAME = (
    "(el) => el.tagName + ':'"
    " + (el.getAttribute('aria-label') || el.textContent || el.id).trim()"
)

TAGGED = f"""() => {{
    const selector = 'button, a[href], [role=button], input, select, textarea, summary';
    const els = [...document.querySelectorAll(selector)]
        .filter((el) => el.checkVisibility() && !el.disabled)
        .filter((el) => el.type !== 'radio' || el.checked);  // a radio group is one Tab stop
    return els.map({NAME});
}}"""

FOCUSED = f"""() => {{
    const el = document.activeElement;
    if (!el || el === document.body) return {{ tag: null }};
    const style = getComputedStyle(el);
    return {{ tag: ({NAME})(el), outline: style.outlineStyle,
             width: parseFloat(style.outlineWidth) }};
}}"""


def tab_through(page: Page, presses: int) -> dict[str, tuple[str, float]]:
    """Tab from the top of the page; answers name -> outline seen when it had the focus."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    seen: dict[str, tuple[str, float]] = {}
    for _ in range(presses):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f["tag"] is not None:
            seen[f["tag"]] = (f["outline"], f["width"])
    return seen


def test_keyboard_and_labels(server: Server, new_page: Callable[[str], Page]) -> None:
    aid, air = "Keyboard Aid", "Keyboard Air"
    aid_key, air_key = server.party(aid), server.party(air)
    create(server, aid_key, "presence", "Depot", circle(36.2, 37.1, 3000, 90))
    create(server, air_key, "hazard", "Range", circle(36.2, 37.1, 2000, 90))

    page = new_page(server.base)
    page.goto("/#map=36.2,37.1,11")
    assert page.evaluate(UNLABELLED) == []
    # Signing in needs only the keyboard: the key field has the focus.
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(aid_key)
    page.keyboard.press("Enter")
    expect(page.locator("#party-name")).to_have_text(aid)
    expect(page.locator("#conflict-list li")).to_have_count(1)
    # The lists load independently: wait for both before counting what Tab must reach.
    expect(page.locator("#operation-list li")).to_have_count(1)

    assert page.evaluate(UNLABELLED) == []
    assert page.get_attribute("#announce-polite", "aria-live") == "polite"
    assert page.get_attribute("#announce-assertive", "aria-live") == "assertive"
    assert page.get_attribute("#stream-status", "role") == "status"

    names = page.evaluate(TAGGED)
    labels = {n.split(":", 1)[1] for n in names}
    assert {"Acknowledge", "Activate", "Cancel operation", "Create operation", "Draw on map",
            "Zoom in", "Sign out"} <= labels
    seen = tab_through(page, len(names) + 20)
    missing = [n for n in names if n not in seen]
    assert missing == []
    no_outline = [n for n, (style, width) in seen.items() if style == "none" or width < 2]
    assert no_outline == []

    # Acknowledge with the keyboard alone.
    ack = page.locator("#conflict-list").get_by_role("button", name="Acknowledge")
    ack.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#conflict-list .my-status")).to_contain_text("acknowledged")
    expect(page.locator("#announce-polite")).to_contain_text(
        f"Acknowledged the conflict with {air}")
