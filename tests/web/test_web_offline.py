"""The console works with no internet: every request goes to the loopback server (no tile
server, CDN or font host), and the base map is drawn from the vendored Natural Earth data."""

from __future__ import annotations

from collections.abc import Callable

from console_helpers import Server, sign_in
from playwright.sync_api import Page, Route, expect


def test_console_loads_nothing_from_outside(
    server: Server, new_page: Callable[[str], Page]
) -> None:
    page = new_page(server.base)
    requested: list[str] = []
    blocked: list[str] = []

    def block(route: Route) -> None:
        blocked.append(route.request.url)
        route.abort()

    page.context.route(lambda url: not url.startswith(f"{server.base}/"), block)
    page.on("request", lambda r: requested.append(r.url))

    sign_in(page, server.party("Offline Party"), "Offline Party", view=(36.2, 37.1, 6))
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom out").click()
    page.wait_for_timeout(600)  # the zoom animations; "networkidle" never comes (live stream)

    assert blocked == []
    assert all(url.startswith(f"{server.base}/") for url in requested), requested
    paths = {url.removeprefix(server.base).split("#")[0] for url in requested}
    assert {"/vendor/leaflet/leaflet.js", "/vendor/world-atlas/countries-50m.json",
            "/vendor/topojson-client/topojson-client.min.js", "/js/app.js"} <= paths
    # No tile layer: Leaflet drew no <img> tiles; the outlines are vector paths on canvas.
    expect(page.locator("#map img.leaflet-tile")).to_have_count(0)
    expect(page.locator("#map canvas").first).to_be_visible()
    # Country names from the vendored data label the overview map.
    expect(page.locator(".map-overview .country-label", has_text="Syria")).to_have_count(1)


def test_base_map_draws_land_and_borders(server: Server, new_page: Callable[[str], Page]) -> None:
    """The canvas holds drawn land (not only sea colour): sample pixels of the base map."""
    page = new_page(server.base)
    sign_in(page, server.party("Pixel Party"), "Pixel Party", view=(36.2, 37.1, 6))
    colours = page.evaluate("""() => {
        const canvas = document.querySelector('#map .leaflet-basemap-pane canvas');
        const ctx = canvas.getContext('2d');
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4 * 97) {
            if (data[i + 3]) seen.add(`${data[i]},${data[i + 1]},${data[i + 2]}`);
        }
        return [...seen];
    }""")
    assert "243,239,228" in colours  # land fill (#f3efe4)
    assert len(colours) > 3  # and borders, coasts, graticule anti-aliased over it
