"""`GET /v1/tracks/alerts` in process: a party's current tactical alerts answer exactly as its
latest `tactical.alert` told them (nothing dropped or added by the response model), with the
server's timings, and the route is documented with its response model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app_client import party_headers
from fastapi.testclient import TestClient


def rfc3339(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def state(id_: str, lng: float, trk: float, lat: float = 36.2, **kw: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "id": id_,
        "lat": lat,
        "lng": lng,
        "alt_m": 1000.0,
        "gs_mps": 100.0,
        "trk_deg": trk,
        "vs_mps": 0.0,
        "time": rfc3339(now),
        **kw,
    }


def around_now(lat: float, radius: float) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "volume": {
            "outline_circle": {
                "center": {"lat": lat, "lng": 37.1},
                "radius": {"value": radius, "units": "M"},
            },
            "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 2000, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": rfc3339(now - timedelta(hours=1)), "format": "RFC3339"},
        "time_end": {"value": rfc3339(now + timedelta(hours=1)), "format": "RFC3339"},
    }


def sortie(client: TestClient, headers: dict[str, str]) -> str:
    """An active flight over the area (over its conflicts): only a state tied to one, and
    conforming, is shown other parties' aircraft."""
    body = {"kind": "flight", "volumes": [around_now(36.2, 30_000)]}
    made = client.post("/v1/operations", json=body, headers=headers).json()
    op = made["operation"]["id"]
    over = [c["id"] for c in made["conflicts"]]
    r = client.patch(
        f"/v1/operations/{op}",
        json={"state": "active", "override": over},
        headers={**headers, "If-Match": "1"},
    )
    assert r.status_code == 200, r.text
    return str(op)


def test_current_alerts_answer_as_they_were_told(client: TestClient) -> None:
    north, south, west = (party_headers(client, n) for n in ("North", "South", "West"))
    r = client.get("/v1/tracks/alerts", headers=north)
    assert r.status_code == 200, r.text
    assert r.json()["items"] == [] and (r.json()["stale_s"], r.json()["realert_s"]) == (60, 15)

    # A head-on pair North x South.
    n_1 = state("N-1", 37.0, 90.0, operation_id=sortie(client, north))
    s_1 = state("S-1", 37.2, 270.0, operation_id=sortie(client, south))
    client.post("/v1/tracks", json={"tracks": [n_1]}, headers=north)
    r = client.post("/v1/tracks", json={"tracks": [s_1]}, headers=south)
    (told_south,) = r.json()["alerts"]
    assert client.get("/v1/tracks/alerts", headers=south).json()["items"] == [told_south]
    (shown_north,) = client.get("/v1/tracks/alerts", headers=north).json()["items"]
    assert shown_north["id"] == told_south["id"] and shown_north["mine"]["id"] == "N-1"
    assert "S-1" not in str(shown_north)

    # South's aircraft strays from its corridor into West's operation: West is told, by alias.
    corridor = client.post(
        "/v1/operations",
        json={"kind": "flight", "volumes": [around_now(36.2, 3000)]},
        headers=south,
    ).json()["operation"]["id"]
    client.post(
        "/v1/operations",
        json={"kind": "flight", "volumes": [around_now(36.5, 5000)]},
        headers=west,
    )
    strayed = state("S-2", 37.1, 0.0, lat=36.5, operation_id=corridor)
    r = client.post("/v1/tracks", json={"tracks": [strayed]}, headers=south)
    (notice,) = r.json()["nonconformance"]
    assert "West" in [h["other_party"] for h in notice["hits"]]
    (shown_west,) = client.get("/v1/tracks/alerts", headers=west).json()["items"]
    assert set(shown_west) == {
        "reason",
        "other_party",
        "my_operation_id",
        "other",
        "region",
        "region_geojson",
        "time",
    }
    assert shown_west["reason"] == "nonconformance" and shown_west["other_party"] == "South"
    assert shown_west["other"]["id"].startswith("nc-") and "time" in shown_west["other"]
    assert shown_west["region"] and shown_west["region_geojson"]["type"] == "FeatureCollection"
    assert corridor not in str(shown_west) and "S-2" not in str(shown_west)
    # South's pair is untouched by all that: still shown as it was told.
    assert client.get("/v1/tracks/alerts", headers=south).json()["items"] == [told_south]

    admin = client.get("/v1/tracks/alerts", headers={"Authorization": "Bearer adm"})
    assert admin.status_code == 403
    assert client.get("/v1/tracks/alerts").status_code == 401


def test_the_route_is_documented_with_its_model(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    get = spec["paths"]["/v1/tracks/alerts"]["get"]
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    model = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(model["required"]) == {"items", "stale_s", "realert_s", "time"}
    items = model["properties"]["items"]["items"]
    assert items["discriminator"]["propertyName"] == "reason"
    assert set(items["discriminator"]["mapping"]) == {
        "new",
        "los",
        "realert",
        "nonconforming",
        "nonconformance",
    }
