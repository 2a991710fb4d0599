"""Abuse limits: a burst is answered 429 with Retry-After (per party, per route class); the
probe budget stops mapping by trial across app instances and Idempotency-Keys, never
silently; retries of one check do not spend it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hostile_helpers import ADMIN, Apps, new_party, party_id
from samples import FAR, circle

from deconflict.limits import Limits, Rate

CHECK = {"kind": "flight", "volumes": [circle()]}
MISS = {"kind": "flight", "volumes": [circle(**FAR)]}
OFF = Rate(0.0, 0.0)


def _limited(**kw: object) -> Limits:
    """Limits with every rate off but those given (so only what is tested can refuse)."""
    rates = {c: OFF for c in ("checks", "tracks", "writes", "reads", "events")}
    return Limits(**{**rates, **kw})  # type: ignore[arg-type]


def _refused_rate(r: object, limit: str) -> None:
    assert r.status_code == 429, r.text  # type: ignore[attr-defined]
    assert int(r.headers["Retry-After"]) >= 1  # type: ignore[attr-defined]
    body = r.json()["error"]  # type: ignore[attr-defined]
    assert body["limit"] == limit and body["code"] in ("rate_limited", "probe_budget_exhausted")


def test_a_burst_of_checks_is_answered_429_with_retry_after(apps: Apps) -> None:
    client = apps(limits=_limited(checks=Rate(0.5, 5.0), reads=Rate(1.0, 10.0)))
    b, c = new_party(client, "B"), new_party(client, "C")
    answers = [client.post("/v1/checks", json=MISS, headers=b) for _ in range(8)]
    assert [r.status_code for r in answers] == [200] * 5 + [429] * 3
    _refused_rate(answers[-1], "checks")
    assert int(answers[-1].headers["Retry-After"]) == 2  # 1 token at 0.5/s
    # Per party: C's bucket is its own. Per class: B may still write and read.
    assert client.post("/v1/checks", json=MISS, headers=c).status_code == 200
    assert client.post("/v1/operations", json=MISS, headers=b).status_code == 201
    reads = [client.get("/v1/operations", headers=b).status_code for _ in range(12)]
    assert reads.count(429) >= 1 and reads[:10] == [200] * 10
    assert client.get("/v1/parties/me", headers=ADMIN).status_code == 200  # the admin is not


def test_track_posts_are_limited(apps: Apps) -> None:
    client = apps(limits=_limited(tracks=Rate(0.1, 2.0)))
    b = new_party(client, "B")
    codes = [client.post("/v1/tracks", json={"tracks": []}, headers=b).status_code
             for _ in range(4)]  # fmt: skip
    assert codes[2:] == [429, 429]


def test_the_probe_budget_stops_mapping_by_trial(apps: Apps) -> None:
    """B probes A's camp. After the budget's hits B's checks are refused, on every instance,
    whatever Idempotency-Key it sends and whether or not the check would hit; A was told of
    every hit that was answered, and of nothing else."""
    first = apps(limits=_limited(probe_budget_per_h=3))
    second = apps(limits=_limited(probe_budget_per_h=3))
    a, b = new_party(first, "A"), new_party(first, "B")
    made = first.post("/v1/operations", json={"kind": "hazard", "volumes": [circle()]}, headers=a)
    assert made.status_code == 201
    for i in range(3):
        client = (first, second)[i % 2]
        r = client.post("/v1/checks", json=CHECK, headers={**b, "Idempotency-Key": f"k{i}"})
        assert r.status_code == 200 and len(r.json()["conflicts"]) == 1
    # A retry of an answered check replays it (nothing new learned, nothing spent).
    again = first.post("/v1/checks", json=CHECK, headers={**b, "Idempotency-Key": "k0"})
    assert again.status_code == 200
    for client in (first, second):
        for headers in ({}, {"Idempotency-Key": "fresh-1"}, {"Idempotency-Key": "fresh-2"}):
            r = client.post("/v1/checks", json=CHECK, headers={**b, **headers})
            _refused_rate(r, "probe_budget")
            assert "conflicts" not in r.text and "region" not in r.text
        # A check that would hit nothing is refused alike: the refusal reveals nothing.
        _refused_rate(client.post("/v1/checks", json=MISS, headers=b), "probe_budget")
    assert int(r.headers["Retry-After"]) > 3000  # the oldest hit leaves the hour
    probes = _events(first, a, "probe")
    assert len(probes) == 3
    # Another party's budget is its own.
    c = new_party(first, "C")
    assert first.post("/v1/checks", json=CHECK, headers=c).status_code == 200


def test_a_refused_activation_counts_as_a_check_and_past_the_budget_says_less(
    apps: Apps,
) -> None:
    """Activating over another party's operation is a probe: it spends the budget; past it,
    the refusal is a bare 429 (no conflict details), and the party hit is still told."""
    client = apps(limits=_limited(probe_budget_per_h=1))
    a, b = new_party(client, "A"), new_party(client, "B")
    assert client.post("/v1/checks", json=MISS, headers=b).status_code == 200  # no hit: free
    mine = client.post("/v1/operations", json={"kind": "flight", "volumes": [circle(**FAR)]},
                       headers=b).json()["operation"]  # fmt: skip
    client.post("/v1/operations", json={"kind": "hazard", "volumes": [circle()]}, headers=a)
    over = {"state": "active", "volumes": [circle(**FAR), circle()]}
    first = client.patch(f"/v1/operations/{mine['id']}", json=over, headers={**b, "If-Match": "1"})
    assert first.status_code == 409  # the hit spends the budget (1)
    second = client.patch(f"/v1/operations/{mine['id']}", json=over,
                          headers={**b, "If-Match": "1"})  # fmt: skip
    _refused_rate(second, "probe_budget")
    assert "region" not in second.text
    assert len(_events(client, a, "probe")) == 2  # told both times: never silent
    _refused_rate(client.post("/v1/checks", json=MISS, headers=b), "probe_budget")
    assert party_id(client, b)


def _events(client: TestClient, headers: dict[str, str], kind: str) -> list[dict[str, object]]:
    """The party's stored events of one type, read through the admin-free service."""
    svc = client.app.state.service  # type: ignore[attr-defined]
    from deconflict.service import Principal
    from deconflict.service.events import after

    who = Principal(party_id(client, headers), "x")
    return [e for e in after(svc, who, 0) if e["type"] == kind]
