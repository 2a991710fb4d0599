"""Export → import gives the same operations, in every writable format (Hypothesis over the
whole volume space: circles and polygons anywhere, the antimeridian included)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import examples, volumes

from deconflict import formats
from deconflict.engine import Kind
from deconflict.formats import operation_features
from deconflict.formats.operation import Planned
from deconflict.geometry import Bounds, LatLng, Polygon, Volume

ROOMY = Bounds(max_area_m2=1e15, max_radius_m=2e7, max_duration=timedelta(days=400))
labels = st.text(st.characters(categories=["L", "N"], include_characters=" -/&<'\""), max_size=30)
operations = st.lists(
    st.tuples(
        st.sampled_from(list(Kind)),
        labels.map(str.strip),
        st.lists(volumes(), min_size=1, max_size=3),
    ),
    min_size=1,
    max_size=4,
)


def same_ring(a: Volume, b: Volume) -> bool:
    """Equal volumes, a polygon's ring read in either direction (writers turn it CCW)."""
    if isinstance(a.footprint, Polygon) and isinstance(b.footprint, Polygon):
        va, vb = a.footprint.vertices, b.footprint.vertices
        if vb != va and vb != (va[0], *va[:0:-1]):
            return False
        return (a.alt_lower_m, a.alt_upper_m, a.time_start, a.time_end) == (
            b.alt_lower_m,
            b.alt_upper_m,
            b.time_start,
            b.time_end,
        )
    return a == b


@pytest.mark.parametrize("fmt", ["geojson", "kml", "csv"])
@settings(max_examples=examples(60))
@given(ops=operations)
def test_export_then_import_gives_the_same_operations(
    fmt: str, ops: list[tuple[Kind, str, list[Volume]]]
) -> None:
    features = [
        f
        for i, (kind, label, vols) in enumerate(ops)
        for f in operation_features(f"op-{i}", kind.value, label, vols)
    ]
    text = formats.WRITERS[fmt](features)
    planned, errors = formats.read(fmt, text, ROOMY)
    assert errors == []
    assert len(planned) == len(ops)
    for (_, got), (kind, label, vols) in zip(planned, ops, strict=True):
        assert isinstance(got, Planned)
        assert (got.kind, got.label) == (kind, label)
        assert len(got.volumes) == len(vols)
        assert all(same_ring(a, b) for a, b in zip(vols, got.volumes, strict=True))


def test_geojson_rings_are_counterclockwise() -> None:
    cw = Polygon(tuple(LatLng(*p) for p in [(36.2, 37.1), (36.21, 37.1), (36.21, 37.11)]))
    t = datetime(2031, 6, 1, tzinfo=UTC)
    v = Volume(cw, 0, 1, t, t + timedelta(hours=1))
    doc = json.loads(formats.WRITERS["geojson"](operation_features("x", "flight", "", [v])))
    coords = doc["features"][0]["geometry"]["coordinates"][0]
    area = sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(coords))
    assert area > 0 and coords[0] == coords[-1]
