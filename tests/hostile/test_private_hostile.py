"""What another party, or the relay itself, could learn or do in private matching.

- A third party cannot read any blob addressed to others: 404, exactly as an unknown id.
- A party that plants cells learns intersections only symmetrically: the other side learns
  the same cells and sees the probe as a conflict naming the prober.
- The relay can neither forge a refinement (boxes are authenticated) nor swap a public key
  unnoticed (keys are pinned on first use).
- Bad input answers 4xx naming the field, and leaves nothing half-written.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from nacl.public import PrivateKey, PublicKey
from private_samples import CITY, T0, op, volume

from deconflict.api import create_app
from deconflict.config import Config
from deconflict.errors import DomainError
from deconflict.geometry import Circle
from deconflict.private import psi
from deconflict.private.cover import CoverSettings, Level, plan_cover
from deconflict.private.relay import Relay, RelayError
from deconflict.private.rounds import Client, local_conflicts, submit, sync
from deconflict.private.seal import open_sealed, seal
from deconflict.private.state import Folder, load_plan
from deconflict.service import events
from deconflict.service.parties import authenticate
from deconflict.store.schema import private_keys, private_refinements

CELLS = CoverSettings(Level(7, 3_600.0, 1_000.0), Level(4, 21_600.0, 5_000.0), 5_000)
HAZARD = {"operations": [op("a-range", "hazard", "Range Secret-Orchid",
          volume(Circle(CITY, 1_500.0), (0, 2), (0, 2_000)))]}  # fmt: skip


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    with TestClient(create_app(Config(db_url=url, admin_key="adm"))) as c:
        yield c


def party(app: TestClient, name: str) -> tuple[str, str]:
    r = app.post("/v1/parties", json={"name": name}, headers={"Authorization": "Bearer adm"})
    assert r.status_code == 201
    return r.json()["id"], r.json()["api_key"]


def client(app: TestClient, key: str, folder: Path) -> Client:
    return Client(Folder(folder), Relay("", key, app), settings=CELLS)


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def rounds(*clients: Client, passes: int = 3) -> None:
    for _ in range(passes):
        for c in clients:
            sync(c)


def test_a_third_party_reads_nothing_addressed_to_others(app: TestClient, tmp_path: Path) -> None:
    a_id, a_key = party(app, "A")
    b_id, b_key = party(app, "B")
    _, c_key = party(app, "C")
    a, b = client(app, a_key, tmp_path / "a"), client(app, b_key, tmp_path / "b")
    submit(a, load_plan(HAZARD))
    presence = op("b-camp", "presence", "Camp Hidden", volume(Circle(CITY, 300.0), (0, 5), (0, 0)))
    submit(b, load_plan({"operations": [presence]}))
    rounds(a, b)
    conflict_id = app.get("/v1/private/conflicts", headers=auth(a_key)).json()[0]["id"]
    # C is not a private party yet, then is one: neither way does it read A's or B's blobs.
    for publish in (False, True):
        if publish:
            r = app.put("/v1/private/key", json={"public_key": b64(bytes(32 * [9]))},
                        headers=auth(c_key))  # fmt: skip
            assert r.status_code == 200
        for path in (
            f"/v1/private/sets/{a_id}",
            f"/v1/private/sets/{b_id}",
            f"/v1/private/reblinded/{a_id}",
            f"/v1/private/reblinded/{b_id}",
            f"/v1/private/refinements/{a_id}",
            f"/v1/private/refinements/{b_id}",
            f"/v1/private/conflicts/{conflict_id}",
            "/v1/private/conflicts/no-such-id",
        ):
            r = app.get(path, headers=auth(c_key))
            assert r.status_code == 404, (path, r.text)
            assert r.json()["error"]["code"] == "not_found"
        assert app.get("/v1/private/conflicts", headers=auth(c_key)).json() == []
    # The two parties do read what is theirs.
    assert app.get(f"/v1/private/refinements/{a_id}", headers=auth(b_key)).status_code == 200
    assert app.get(f"/v1/private/conflicts/{conflict_id}", headers=auth(b_key)).status_code == 200


class Prober:
    """A hand-made hostile client: B publishes planted cells for A (no volume behind them),
    re-blinds A's set, intersects, and sends an empty refinement."""

    def __init__(self, app: TestClient, key: str, a_id: str, planted: set[str]) -> None:
        self.relay, self.a_id, self.me = Relay("", key, app), a_id, PrivateKey.generate()
        self.relay.publish_key(bytes(self.me.public_key))
        self.scalar = psi.new_scalar()
        order = sorted(planted)
        mine = psi.blind([psi.hash_to_group(k) for k in order], self.scalar)
        self.rows = sorted(zip(mine, order, strict=True))
        self.round = self.relay.put_set(a_id, psi.pack([p for p, _ in self.rows]))

    def learn(self) -> set[str]:
        got = self.relay.get_set(self.a_id)
        back = self.relay.get_reblinded(self.a_id)
        assert got is not None and back is not None
        theirs = psi.blind(psi.unpack(got[1], "points"), self.scalar)
        self.relay.put_reblinded(self.a_id, got[0], psi.pack(theirs))
        both = set(theirs)
        points = psi.unpack(back[1], "points")
        learned = {k for (_, k), p in zip(self.rows, points, strict=True) if p in both}
        a_key = next(pk for pid, _, pk in self.relay.parties() if pid == self.a_id)
        empty = {"sender_round": self.round, "recipient_round": got[0], "ops": []}
        self.relay.put_refinement(self.a_id, seal(self.me, PublicKey(a_key), empty))
        return learned


def test_planting_cells_is_seen_by_the_other_side_as_a_conflict(
    app: TestClient, tmp_path: Path
) -> None:
    a_id, a_key = party(app, "A")
    b_id, b_key = party(app, "B")
    a = client(app, a_key, tmp_path / "a")
    submit(a, load_plan(HAZARD))
    # B plants the cells of a wide presence it does not have, to map A's hazard.
    bait = {
        "operations": [op("bait", "presence", "", volume(Circle(CITY, 6_000.0), (0, 4), (0, 0)))]
    }
    planted = set(plan_cover(load_plan(bait), b_id < a_id, a.rules, CELLS))
    prober = Prober(app, b_key, a_id, planted)
    sync(a)  # A publishes its set for B and re-blinds B's
    learned = prober.learn()
    sync(a)  # A intersects, refines, and reads B's (empty) refinement
    assert learned, "the probe must hit A's hazard (else this test shows nothing)"
    # Symmetric: A found the very same cells, and holds them as a conflict with B.
    probes = [c for c in local_conflicts(a.folder) if c.get("probe")]
    assert len(probes) == 1 and probes[0]["status"] == "open" and probes[0]["other_party"] == "B"
    assert probes[0]["cells"] == len(learned)
    # The relay opened it for both sides and told A (with no region in the event).
    listed = app.get("/v1/private/conflicts", headers=auth(a_key)).json()
    assert [c["status"] for c in listed] == ["open"]
    assert [c["status"] for c in app.get("/v1/private/conflicts", headers=auth(b_key)).json()] == [
        "open"
    ]
    svc = app.app.state.service  # type: ignore[attr-defined]
    told = events.after(svc, authenticate(svc, a_key), 0)
    opened = [e for e in told if e["type"] == "private.conflict.opened"]
    assert opened and opened[0]["data"]["other_party"] == "B"
    told_keys = {"id", "status", "other_party", "opened_at", "resolved_at", "audit_index"}
    assert set(opened[0]["data"]) == told_keys  # (audit_index: the event's receipt)


@contextmanager
def _db(app: TestClient) -> Iterator[sa.Connection]:
    """The relay's database, written behind its back (as a malicious operator could)."""
    engine = sa.create_engine(app.app.state.service.config.db_url)  # type: ignore[attr-defined]
    with engine.begin() as conn:
        yield conn
    engine.dispose()


def test_the_relay_cannot_forge_a_refinement_or_swap_a_key(app: TestClient, tmp_path: Path) -> None:
    a_id, a_key = party(app, "A")
    b_id, b_key = party(app, "B")
    a, b = client(app, a_key, tmp_path / "a"), client(app, b_key, tmp_path / "b")
    submit(a, load_plan(HAZARD))
    presence = op("b-camp", "presence", "Camp", volume(Circle(CITY, 300.0), (0, 5), (0, 0)))
    submit(b, load_plan({"operations": [presence]}))
    rounds(a, b)
    # A malicious relay puts its own box (sealed with a key it made) in B's slot for A.
    a_pub = app.get("/v1/private/parties", headers=auth(b_key)).json()[0]["public_key"]
    forged = seal(PrivateKey.generate(), PublicKey(base64.b64decode(a_pub)), {"ops": []})
    with _db(app) as conn:
        conn.execute(
            private_refinements.update()
            .where(private_refinements.c.sender == b_id, private_refinements.c.recipient == a_id)
            .values(sealed=forged)
        )
    with pytest.raises(DomainError, match="not sealed by this party"):
        sync(a)
    # ... or swaps B's public key for its own: A refuses to go on with B.
    with _db(app) as conn:
        conn.execute(
            private_keys.update()
            .where(private_keys.c.party_id == b_id)
            .values(public_key=bytes(PrivateKey.generate().public_key))
        )
    with pytest.raises(RelayError, match="public key changed"):
        sync(a)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    [
        ("put", "/v1/private/key", {"public_key": "not base64!"}, 422, "public_key"),
        ("put", "/v1/private/key", {"public_key": b64(b"short")}, 422, "public_key"),
        ("put", "/v1/private/sets/{b}", {"points": b64(b"x" * 31)}, 422, "points"),
        ("put", "/v1/private/sets/{b}", {"points": "%%%"}, 422, "points"),
        ("put", "/v1/private/sets/nobody", {"points": b64(b"x" * 32)}, 404, "counterpart"),
        ("put", "/v1/private/sets/{a}", {"points": b64(b"x" * 32)}, 404, "counterpart"),
        ("put", "/v1/private/reblinded/{b}", {"round": 7, "points": b64(b"x" * 32)}, 409, "round"),
        ("put", "/v1/private/refinements/nobody", {"sealed": b64(b"x")}, 404, "counterpart"),
        ("post", "/v1/private/conflicts",
         {"counterpart": "{b}", "ref": "z" * 64, "status": "open", "sealed": "eA=="}, 422, "ref"),
        ("post", "/v1/private/conflicts",
         {"counterpart": "{b}", "ref": "a" * 64, "status": "open"}, 422, "sealed"),
        ("post", "/v1/private/conflicts",
         {"counterpart": "{b}", "ref": "a" * 64, "status": "resolved"}, 404, "ref"),
        ("post", "/v1/private/conflicts",
         {"counterpart": "{b}", "ref": "a" * 64, "status": "shut", "sealed": "eA=="},
         422, "status"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field_and_writes_nothing(
    app: TestClient, method: str, path: str, body: dict[str, Any], status: int, field: str
) -> None:
    a_id, a_key = party(app, "A")
    b_id, b_key = party(app, "B")
    for key in (a_key, b_key):
        public = b64(bytes(PrivateKey.generate().public_key))
        r = app.put("/v1/private/key", json={"public_key": public}, headers=auth(key))
        assert r.status_code == 200
    points = b64(psi.dummy())
    assert (
        app.put(f"/v1/private/sets/{a_id}", json={"points": points}, headers=auth(b_key)).json()[
            "round"
        ]
        == 1
    )
    before = app.get(f"/v1/private/sets/{b_id}", headers=auth(a_key)).status_code
    fill = {"{a}": a_id, "{b}": b_id}
    for k, v in fill.items():
        path = path.replace(k, v)
    body = {k: fill.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    r = getattr(app, method)(path, json=body, headers=auth(a_key))
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field
    # Nothing half-written: no set of A's appeared, B's round is unchanged, no conflict.
    assert app.get(f"/v1/private/sets/{b_id}", headers=auth(a_key)).status_code == before
    assert app.get(f"/v1/private/sets/{a_id}", headers=auth(b_key)).status_code == 404
    assert app.get(f"/v1/private/sets/{b_id}", headers=auth(a_key)).json()["round"] == 1
    assert app.get("/v1/private/conflicts", headers=auth(a_key)).json() == []


def test_refined_regions_stay_sealed(app: TestClient, tmp_path: Path) -> None:
    """The conflict the relay keeps opens only with one of the two parties' keys."""
    _, a_key = party(app, "A")
    _, b_key = party(app, "B")
    a, b = client(app, a_key, tmp_path / "a"), client(app, b_key, tmp_path / "b")
    submit(a, load_plan(HAZARD))
    presence = op("b-camp", "presence", "Camp", volume(Circle(CITY, 300.0), (0, 5), (0, 0)))
    submit(b, load_plan({"operations": [presence]}))
    rounds(a, b)
    (listed,) = app.get("/v1/private/conflicts", headers=auth(a_key)).json()
    sealed = base64.b64decode(listed["sealed"])
    assert b"lat" not in sealed and str(CITY.lat).encode() not in sealed
    assert T0.isoformat()[:10].encode() not in sealed
    # Both parties open it to the same record; a third key does not open it.
    ka, kb = a.folder.identity(), b.folder.identity()
    record = open_sealed(ka, kb.public_key, sealed)
    assert record == open_sealed(kb, ka.public_key, sealed)
    assert {record["low_operation"], record["high_operation"]} == {"a-range", "b-camp"}
    with pytest.raises(DomainError):
        open_sealed(PrivateKey.generate(), ka.public_key, sealed)
