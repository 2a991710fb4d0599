"""Browser tests of the operator console: a real `deconflict serve` on loopback, driven through
Debian's Chromium by Playwright (never `playwright install`: no browser is downloaded)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from console_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, Server
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

# Assertions wait for the console this long (Playwright's 5 s default is short on 2 shared
# cores running the rest of the suite: a live update can take seconds there).
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (CI does it in .ci/run)")
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield b
    b.close()


def _server(root: Path) -> Iterator[Server]:
    server = Server(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a test module; each test makes its own parties."""
    yield from _server(tmp_path_factory.mktemp("web"))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Server]:
    """A server only this test uses (it may stop and restart it)."""
    yield from _server(tmp_path)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[str], Page]]:
    """Pages in separate browser contexts (one per party), closed after the test; any
    uncaught page error fails the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(base: str) -> Page:
        context = browser.new_context(viewport=VIEWPORT, base_url=base)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    yield make
    for c in contexts:
        c.close()
    assert not errors, errors
