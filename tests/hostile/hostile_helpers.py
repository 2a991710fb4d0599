"""A party as the API sees it, and the scan of everything a party received."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from attrs import frozen
from fastapi.testclient import TestClient

from deconflict.service import events
from deconflict.service.parties import authenticate


@frozen
class Party:
    name: str
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def party(client: TestClient, name: str) -> Party:
    r = client.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
    assert r.status_code == 201, r.text
    return Party(name, r.json()["id"], r.json()["api_key"])


def received(client: TestClient, who: Party) -> list[dict[str, Any]]:
    """Every event the party's stream replays from the start (`Last-Event-ID: 0`)."""
    svc = client.app.state.service  # type: ignore[attr-defined]
    return events.after(svc, authenticate(svc, who.key), 0)


def audit_of(client: TestClient, who: Party) -> list[dict[str, Any]]:
    r = client.get("/v1/audit", params={"limit": 500}, headers=who.headers)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def leaks(blob: Any, secrets: list[str]) -> list[str]:
    """The secrets that appear anywhere in `blob` (JSON-encoded)."""
    text = json.dumps(blob)
    return [s for s in secrets if s and s in text]


def rfc3339(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def around_now(lat: float, lng: float, radius: float, lo: float = 0, hi: float = 2000) -> dict:
    """A Volume4D circle from an hour ago to an hour ahead."""
    now = datetime.now(UTC)
    return {
        "volume": {
            "outline_circle": {
                "center": {"lat": lat, "lng": lng},
                "radius": {"value": radius, "units": "M"},
            },
            "altitude_lower": {"value": lo, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": hi, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": rfc3339(now - timedelta(hours=1)), "format": "RFC3339"},
        "time_end": {"value": rfc3339(now + timedelta(hours=1)), "format": "RFC3339"},
    }


def state(id_: str, lat: float, lng: float, trk: float, **kw: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "lat": lat,
        "lng": lng,
        "alt_m": 1000.0,
        "gs_mps": 100.0,
        "trk_deg": trk,
        "vs_mps": 0.0,
        "time": rfc3339(datetime.now(UTC)),
        **kw,
    }


ADMIN = {"Authorization": "Bearer adm"}
Apps = Callable[..., TestClient]


def new_party(client: TestClient, name: str) -> dict[str, str]:
    """A new party's Authorization header."""
    r = client.post("/v1/parties", json={"name": name}, headers=ADMIN)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['api_key']}"}


def party_id(client: TestClient, headers: dict[str, str]) -> str:
    return str(client.get("/v1/parties/me", headers=headers).json()["id"])
