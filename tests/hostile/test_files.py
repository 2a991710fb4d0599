"""Files against a hostile party: an export never holds another party's operation, an import
cannot write for (or into) another party, and a KML with entities or a DTD is refused whole."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from samples import circle

Party = Callable[[str], dict[str, str]]
SECRET = "SECRET-A-label"


def victim_and_prober(
    client: TestClient, party: Party
) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """A holds a hazard with a secret label at odd coordinates; B a presence inside it."""
    a, b = party("Victim"), party("Prober")
    body = {"kind": "hazard", "label": SECRET, "volumes": [circle(36.2345678, 37.1234567, 3000)]}
    made = client.post("/v1/operations", json=body, headers=a)
    assert made.status_code == 201
    mine = {"kind": "presence", "label": "camp", "volumes": [circle(36.25, 37.13, 100)]}
    assert client.post("/v1/operations", json=mine, headers=b).status_code == 201
    return a, b, made.json()["operation"]


@pytest.mark.parametrize("what", ["operations", "conflicts"])
@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
def test_an_export_never_holds_another_partys_operation(
    client: TestClient, party: Party, what: str, fmt: str
) -> None:
    a, b, theirs = victim_and_prober(client, party)
    victim_id = client.get("/v1/parties/me", headers=a).json()["id"]
    r = client.get(f"/v1/exports/{what}.{fmt}", headers=b)
    assert r.status_code == 200, r.text
    for leak in (
        SECRET,
        theirs["id"],
        victim_id,
        "37.1234567",
        "3000.0",
        "hazard" if what == "operations" else SECRET,
    ):
        assert leak not in r.text, (what, fmt, leak)
    if what == "conflicts":
        assert "Victim" in r.text  # the conflict itself is the caller's to see: region and name


def test_exports_need_a_key(client: TestClient) -> None:
    for path in ("/v1/exports/operations.csv", "/v1/exports/conflicts.kml"):
        assert client.get(path).status_code == 401


def _geojson(**props: Any) -> str:
    base = {
        "kind": "presence",
        "label": "mine",
        "time_start": "2031-06-01T10:00:00Z",
        "time_end": "2031-06-01T12:00:00Z",
        "radius_m": 100,
        **props,
    }
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [37.1, 36.2]},
        "properties": base,
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


def test_an_import_cannot_write_for_another_party(client: TestClient, party: Party) -> None:
    a, b, theirs = victim_and_prober(client, party)
    victim_id = client.get("/v1/parties/me", headers=a).json()["id"]
    before = client.get("/v1/operations", headers=a).json()["items"]
    # a party field is refused, naming it
    r = client.post("/v1/imports?format=geojson", content=_geojson(party=victim_id), headers=b)
    assert r.status_code == 200 and r.json()["operations"] == []
    assert r.json()["errors"][0]["field"] == "properties.party"
    r = client.post(
        "/v1/imports?format=csv",
        content=f"name,lat,lon,radius_m,kind,party\nx,36.2,37.1,100,presence,{victim_id}\n",
        headers=b,
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "party"
    # naming the victim's operation id only groups the file's own items: a new operation of B's
    r = client.post(
        "/v1/imports?format=geojson", content=_geojson(operation=theirs["id"]), headers=b
    )
    assert r.status_code == 200 and len(r.json()["operations"]) == 1
    assert r.json()["operations"][0]["id"] != theirs["id"]
    assert client.get("/v1/operations", headers=a).json()["items"] == before
    assert all(
        o["id"] != theirs["id"] for o in client.get("/v1/operations", headers=b).json()["items"]
    )


def test_an_import_needs_a_key(client: TestClient) -> None:
    assert client.post("/v1/imports?format=geojson", content=_geojson()).status_code == 401


XXE = """<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&secret;</name>
<ExtendedData><Data name="kind"><value>presence</value></Data>
<Data name="radius_m"><value>100</value></Data></ExtendedData>
<TimeSpan><begin>2031-06-01T10:00:00Z</begin><end>2031-06-01T12:00:00Z</end></TimeSpan>
<Point><coordinates>37.1,36.2</coordinates></Point></Placemark></kml>"""

LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE kml [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + XXE.split("\n", 2)[2].replace("&secret;", "&lol9;")
)


INTERNAL = XXE.replace('SYSTEM "file:///etc/passwd"', '"Hospital"')


@pytest.mark.parametrize(
    "doc", [XXE, LAUGHS, INTERNAL], ids=["external entity", "billion laughs", "any DTD"]
)
def test_kml_with_entities_is_refused_whole(client: TestClient, party: Party, doc: str) -> None:
    me = party("Importer")
    started = time.perf_counter()
    r = client.post("/v1/imports?format=kml", content=doc, headers=me)
    assert r.status_code == 422, r.text[:300]
    assert r.json()["error"]["field"] == "body"
    assert "root:" not in r.text and "lollol" not in r.text
    assert client.get("/v1/operations", headers=me).json()["items"] == []
    assert time.perf_counter() - started < 30  # not expanded (a generous bound, not a timing test)


def test_lax_values_in_a_file_are_refused_by_the_strict_parser(
    client: TestClient, party: Party
) -> None:
    me = party("Importer")
    lax = _geojson(radius_m="100", label="a")
    r = client.post("/v1/imports?format=geojson", content=lax, headers=me)
    assert r.json()["operations"] == []
    assert r.json()["errors"] == [
        {
            "item": 0,
            "field": "operation.volumes[0].volume.outline_circle.radius.value",
            "message": "must be a number",
        }
    ]
    assert client.get("/v1/operations", headers=me).json()["items"] == []
