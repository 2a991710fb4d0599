"""No input makes a reader fail otherwise than by naming what is wrong: random text, random
JSON and mangled real files either read or raise `InvalidVolume` (a 422), never anything else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples

from deconflict import formats
from deconflict.errors import InvalidVolume

FILES = Path(__file__).parent / "files"
REAL = {
    "notam": FILES / "notams.txt",
    "csv": FILES / "sites.csv",
    "kml": FILES / "google_earth.kml",
    "ed269": FILES / "ed269_weekly.json",
}
json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def reads_or_names(fmt: str, body: str | bytes) -> None:
    try:
        _, errors = formats.read(fmt, body)
    except InvalidVolume as e:
        assert e.field is not None
        return
    assert all(set(e) == {"item", "field", "message"} for e in errors)


@pytest.mark.parametrize("fmt", list(formats.READERS))
@settings(max_examples=examples(80))
@given(body=st.one_of(st.text(max_size=300), st.binary(max_size=100)))
def test_random_text(fmt: str, body: str | bytes) -> None:
    reads_or_names(fmt, body)


@pytest.mark.parametrize("fmt", ["geojson", "ed269"])
@settings(max_examples=examples(150))
@given(value=json_values, wrap=st.sampled_from(["bare", "features", "zones", "feature"]))
def test_random_json(fmt: str, value: Any, wrap: str) -> None:
    doc: Any = {
        "bare": value,
        "features": {"type": "FeatureCollection", "features": value},
        "zones": {"UASZoneList": value},
        "feature": {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "geometry": value, "properties": value}],
        },
    }[wrap]
    reads_or_names(fmt, json.dumps(doc))


@pytest.mark.parametrize("fmt", list(REAL))
@settings(max_examples=examples(80))
@given(data=st.data())
def test_mangled_real_files(fmt: str, data: st.DataObject) -> None:
    text = REAL[fmt].read_text()
    at = data.draw(st.integers(0, len(text)))
    cut = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(max_size=10))
    reads_or_names(fmt, text[:at] + insert + text[at + cut :])
