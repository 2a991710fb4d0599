"""Helpers for the console's browser tests: the server on loopback, signing in, the map."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

CHROMIUM = Path(os.environ.get("DECONFLICT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_KEY = "web-test-admin-key-0123456789abcdef"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
VIEWPORT = {"width": 1400, "height": 900}
AREA = (36.2, 37.1)  # the map view the tests work in (Aleppo)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`deconflict serve` on SQLite in a temporary folder; restartable on the same port."""

    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cli = Path(sys.executable).with_name("deconflict")
        env = {**os.environ, "DECONFLICT_ADMIN_KEY": ADMIN_KEY, **self.env}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(cli),
                    "serve",
                    "--db",
                    f"sqlite:///{self.root / 'db.sqlite'}",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.root,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"deconflict serve exited:\n{self.log.read_text()}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        pytest.fail(f"deconflict serve did not become healthy:\n{self.log.read_text()}")

    def stop(self, *, crash: bool = False) -> None:
        if self.proc is None:
            return
        if crash:
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def party(self, name: str) -> str:
        """A new party's API key."""
        r = httpx.post(
            f"{self.base}/v1/parties",
            json={"name": name},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["api_key"])

    def call(self, key: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=10, **kwargs)


def sign_in(page: Page, key: str, name: str, view: tuple[float, float, int] = (*AREA, 12)) -> None:
    """Open the console over the test area and sign in; wait until the event stream is live."""
    page.goto(f"/#map={view[0]},{view[1]},{view[2]}")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#party-name")).to_have_text(name)
    expect(page.locator("#stream-status")).to_have_attribute("data-state", "live")
    expect(page.locator("#map")).to_have_attribute("data-basemap", "ready")


def map_point(page: Page, lat: float, lng: float) -> tuple[float, float]:
    """Page coordinates of a lat/lng on the console's map."""
    x, y = page.evaluate(
        "([lat, lng]) => { const p = window.deconflictConsole.view.map"
        ".latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
        [lat, lng],
    )
    box = page.locator("#map").bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    return path


def _at(minutes: float) -> dict[str, str]:
    t = datetime.now(UTC) + timedelta(minutes=minutes)
    return {"value": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "format": "RFC3339"}


def circle(lat: float, lng: float, radius: float, start_min: float, hours: float = 2,
           upper: float = 1000) -> dict[str, Any]:
    return {
        "volume": {
            "outline_circle": {"center": {"lat": lat, "lng": lng},
                               "radius": {"value": radius, "units": "M"}},
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": upper, "reference": "W84", "units": "M"},
        },
        "time_start": _at(start_min),
        "time_end": _at(start_min + hours * 60),
    }


def create(server: Server, key: str, kind: str, label: str, volume: dict[str, Any]) -> str:
    r = server.call(key, "POST", "/v1/operations",
                    json={"kind": kind, "label": label, "volumes": [volume]})
    assert r.status_code == 201, r.text
    return str(r.json()["operation"]["id"])
