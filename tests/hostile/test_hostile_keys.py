"""Keys: a leaked key is rotated or revoked and refused at once, by every app instance on the
database (no worker trusts a key it saw earlier); a key in the URL is refused off the stream."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from hostile_helpers import ADMIN, Apps, new_party, party_id
from samples import circle
from typer.testing import CliRunner

from deconflict.cli import app as cli


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _me(client: TestClient, headers: dict[str, str]) -> int:
    return client.get("/v1/parties/me", headers=headers).status_code


def test_a_party_rotates_its_own_key(client: TestClient) -> None:
    old = new_party(client, "North")
    r = client.post("/v1/parties/me/key", headers=old)
    assert r.status_code == 200 and r.json()["name"] == "North"
    new = _bearer(r.json()["api_key"])
    assert _me(client, old) == 401 and _me(client, new) == 200
    assert client.post("/v1/parties/me/key", headers=ADMIN).status_code == 403  # not a party
    actions = [e["action"] for e in client.get("/v1/audit", headers=new).json()["items"]]
    assert "key.rotated" in actions


def test_the_admin_rotates_and_revokes_and_only_the_admin(client: TestClient) -> None:
    north, south = new_party(client, "North"), new_party(client, "South")
    north_id = party_id(client, north)
    # Another party may not touch North's key (403, and North's key still works).
    assert client.post(f"/v1/parties/{north_id}/key", headers=south).status_code == 403
    assert client.delete(f"/v1/parties/{north_id}/key", headers=south).status_code == 403
    assert _me(client, north) == 200
    for unknown in ("00000000-0000-0000-0000-000000000000", "nope"):
        for method in ("POST", "DELETE"):
            r = client.request(method, f"/v1/parties/{unknown}/key", headers=ADMIN)
            assert r.status_code == 404 and r.json()["error"]["field"] == "id"
    r = client.post(f"/v1/parties/{north_id}/key", headers=ADMIN)
    assert r.status_code == 200 and r.json()["id"] == north_id
    rotated = _bearer(r.json()["api_key"])
    assert _me(client, north) == 401 and _me(client, rotated) == 200
    assert client.delete(f"/v1/parties/{north_id}/key", headers=ADMIN).status_code == 204
    assert _me(client, rotated) == 401
    made = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle()]},
                       headers=rotated)  # fmt: skip
    assert made.status_code == 401
    log = client.get("/v1/audit", headers=ADMIN).json()["items"]
    assert [e["action"] for e in log if e["subject"] == north_id][-2:] == [
        "key.rotated",
        "key.revoked",
    ]


def test_a_rotated_key_is_refused_at_once_by_another_instance(apps: Apps) -> None:
    """Two app instances on one database, as two workers: both have served the key; after it
    is rotated on the first, the second refuses it on the very next request."""
    first, second = apps(), apps()
    old = new_party(first, "North")
    for _ in range(3):
        assert _me(first, old) == 200 and _me(second, old) == 200
    new = _bearer(first.post("/v1/parties/me/key", headers=old).json()["api_key"])
    assert _me(second, old) == 401 and _me(first, old) == 401
    assert _me(second, new) == 200
    north_id = party_id(second, new)
    assert second.delete(f"/v1/parties/{north_id}/key", headers=ADMIN).status_code == 204
    assert _me(first, new) == 401


def test_the_cli_rotates_a_key_a_running_app_has_seen(apps: Apps, db_url: str) -> None:
    running = apps()
    old = new_party(running, "Relief Aid")
    assert _me(running, old) == 200
    out = CliRunner().invoke(cli, ["party", "rotate-key", "Relief Aid", "--db", db_url])
    assert out.exit_code == 0, out.output
    printed = re.search(r"new api key \(shown once\): (\S+)", out.output)
    assert printed is not None
    assert _me(running, old) == 401 and _me(running, _bearer(printed.group(1))) == 200
    missing = CliRunner().invoke(cli, ["party", "rotate-key", "Nobody", "--db", db_url])
    assert missing.exit_code == 1 and "no party of this name" in missing.output


def test_a_key_in_the_url_is_refused_on_every_route_but_the_stream(client: TestClient) -> None:
    """Every route of the OpenAPI, with the party's valid key as `?access_token=` only: 401
    naming `access_token` (a key in a URL ends up in proxy logs and Referer headers)."""
    north = new_party(client, "North")
    key = north["Authorization"].split()[1]
    paths = client.get("/openapi.json").json()["paths"]
    tried = 0
    for path, methods in paths.items():
        for method in methods:
            if (method, path) == ("get", "/v1/events"):
                continue
            url = re.sub(r"\{[^}]+\}", "00000000-0000-0000-0000-000000000000", path)
            r = client.request(method.upper(), url, params={"access_token": key})
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json()["error"]["field"] == "access_token", (method, path)
            # ... also beside a valid Authorization header: the key in the URL is the leak.
            r = client.request(method.upper(), url, params={"access_token": key}, headers=north)
            assert r.status_code == 401, (method, path, r.status_code)
            tried += 1
    assert tried >= 20
