"""Tactical detection against BlueSky 1.1.1's compiled detector, a brute-force oracle, hand-made
geometries and geodesic truth.

Two comparisons with BlueSky, because the earth models differ on purpose (see frame.py):

* Logic: fed BlueSky's own flat-earth geometry (``kwik_relative``), pruning + CPA give pairs
  IDENTICAL to ``cstatebased.detect``, with dcpa/tcpa equal to 1e-6 relative and the same
  loss-of-separation flags: 5 seeds × 3 latitudes, 2,000 aircraft each.
* Earth model: the public WGS84 ``detect`` differs from BlueSky only near decision boundaries.
  Measured on these seeds, about 1 % of pairs differ, |Δdcpa| ≤ 770 m (p99 ≈ 200 m at 52° N),
  growing with tan(latitude) as meridian convergence does. The test asserts, per box,
  ``ours(h_sep − δ, T − τ) ⊆ BlueSky(h_sep, T) ⊆ ours(h_sep + δ, T + τ)`` with
  ``δ = 1,000 m / cos(lat)``, ``τ = 30 s / cos(lat)``, |Δdcpa| ≤ δ and |Δtcpa|·|v_rel| ≤ 2δ
  on common pairs, and at most 3 % of pairs differing. Geodesic truth (pyproj.Geod
  trajectories) then shows which side is right: ours within 2 m (0.5 m measured), BlueSky
  off by 25-37 m median, 220 m at worst.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from deconflict.tactical import Detection, detect, prune
from deconflict.tactical.cpa import PairGeometry, judge
from deconflict.tactical.detector import detect_with
from deconflict.tactical.frame import ecef_state, kwik_relative, wgs84_relative

Traffic = tuple[np.ndarray, ...]
BlueSky = Callable[..., dict[tuple[int, int], tuple[float, float, bool]]]


def random_traffic(
    n: int, seed: int, lat0: float = 52.0, lon0: float = 4.0, box_m: float = 500e3
) -> Traffic:
    """N aircraft in a box: FL100-FL400, 200-250 m/s, 30 % climbing or descending 5-15 m/s."""
    rng = np.random.default_rng(seed)
    half_lat = box_m / 2 / 111_320.0
    half_lon = half_lat / np.cos(np.radians(lat0))
    lat = lat0 + rng.uniform(-half_lat, half_lat, n)
    lon = (lon0 + rng.uniform(-half_lon, half_lon, n) + 180.0) % 360.0 - 180.0
    alt = rng.uniform(3048.0, 12192.0, n)
    gs = rng.uniform(200.0, 250.0, n)
    trk = rng.uniform(0.0, 360.0, n)
    climbing = rng.random(n) < 0.3
    vs = np.where(climbing, rng.choice([-1.0, 1.0], n) * rng.uniform(5.0, 15.0, n), 0.0)
    return lat, lon, alt, gs, trk, vs


@pytest.fixture(scope="session")
def bluesky() -> Iterator[BlueSky]:
    """BlueSky 1.1.1's ``cstatebased.detect`` as {(i, j): (dcpa, tcpa, los)} with i < j.

    ``bluesky.init()`` is never called: it is what creates ~/bluesky (settings, output and
    cache folders); importing the compiled detector only prints to stdout.
    """
    from bluesky.traffic.asas import cstatebased

    def run(
        lat: np.ndarray,
        lon: np.ndarray,
        alt: np.ndarray,
        gs: np.ndarray,
        trk: np.ndarray,
        vs: np.ndarray,
        h_sep: float = 9260.0,
        v_sep: float = 304.8,
        lookahead: float = 300.0,
    ) -> dict[tuple[int, int], tuple[float, float, bool]]:
        n = lat.size
        own: Any = types.SimpleNamespace(
            ntraf=n, id=list(range(n)), lat=lat, lon=lon, alt=alt, gs=gs, trk=trk, vs=vs
        )
        out = cstatebased.detect(
            own, own, np.full(n, h_sep), np.full(n, v_sep), np.full(n, lookahead)
        )
        confpairs, lospairs, _, _, _, _, dcpa, tcpa, _ = out
        los = {(min(p), max(p)) for p in lospairs}
        return {
            (min(p), max(p)): (float(d), float(t), (min(p), max(p)) in los)
            for p, d, t in zip(confpairs, dcpa, tcpa, strict=True)
        }

    yield run


GEOD = Geod(ellps="WGS84")
SEEDS = range(5)
LATITUDES = (52.0, -33.0, 70.0)


def pair_set(result: Detection) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in result.pairs}


def detect_kwik(
    lat: np.ndarray,
    lon: np.ndarray,
    alt: np.ndarray,
    gs: np.ndarray,
    trk: np.ndarray,
    vs: np.ndarray,
) -> Detection:
    """Our pruning and CPA on BlueSky's flat-earth relative geometry."""
    state = ecef_state(lat, lon, gs, trk)
    # Flat earth versus ECEF: <1 % of 160 km plus unrotated velocities over 300 s.
    return detect_with(
        lambda i, j: kwik_relative(lat, lon, gs, trk, i, j),
        state,
        alt,
        vs,
        h_sep_m=9260.0,
        v_sep_m=304.8,
        lookahead_s=300.0,
        extra_margin_m=10_000.0,
    )


# --- BlueSky -------------------------------------------------------------------------------


@pytest.mark.parametrize("lat0", LATITUDES)
@pytest.mark.parametrize("seed", SEEDS)
def test_logic_identical_to_bluesky(bluesky: BlueSky, seed: int, lat0: float) -> None:
    traffic = random_traffic(2000, seed, lat0=lat0)
    theirs = bluesky(*traffic)
    ours = detect_kwik(*traffic)
    assert pair_set(ours) == set(theirs)
    assert len(theirs) > 500
    expected = np.array([theirs[p] for p in map(tuple, ours.pairs.tolist())])
    np.testing.assert_allclose(ours.dcpa_m, expected[:, 0], rtol=1e-6, atol=1e-3)
    np.testing.assert_allclose(ours.tcpa_s, expected[:, 1], rtol=1e-6, atol=1e-6)
    assert ours.los.tolist() == expected[:, 2].astype(bool).tolist()


@pytest.mark.parametrize("lat0", LATITUDES)
@pytest.mark.parametrize("seed", SEEDS)
def test_wgs84_differs_from_bluesky_only_near_boundaries(
    bluesky: BlueSky, seed: int, lat0: float
) -> None:
    traffic = random_traffic(2000, seed, lat0=lat0)
    theirs = bluesky(*traffic)
    ours = detect(*traffic)
    delta = 1000.0 / math.cos(math.radians(lat0))
    tau = 30.0 / math.cos(math.radians(lat0))
    strict = pair_set(detect(*traffic, h_sep_m=9260.0 - delta, lookahead_s=300.0 - tau))
    loose = pair_set(detect(*traffic, h_sep_m=9260.0 + delta, lookahead_s=300.0 + tau))
    assert strict <= set(theirs) <= loose
    assert len(pair_set(ours) ^ set(theirs)) <= 0.03 * len(theirs)
    common = [k for k, p in enumerate(map(tuple, ours.pairs.tolist())) if p in theirs]
    expected = np.array([theirs[tuple(ours.pairs[k].tolist())] for k in common])
    state = ecef_state(traffic[0], traffic[1], traffic[3], traffic[4])
    vrel = np.sqrt(wgs84_relative(state, ours.pairs[common, 0], ours.pairs[common, 1])[2])
    assert np.all(np.abs(ours.dcpa_m[common] - expected[:, 0]) <= delta)
    assert np.all(np.abs(ours.tcpa_s[common] - expected[:, 1]) * vrel <= 2 * delta)


def test_adjacent_flight_levels_never_conflict_unlike_bluesky(bluesky: BlueSky) -> None:
    levels = np.arange(10, 610, 10)
    alt = levels * 100 * 0.3048  # as feet are converted in practice, with float rounding
    n = alt.size
    trk = np.arange(n) * 6.0  # distinct velocities: BlueSky drops identical ones
    args = (np.zeros(n), np.zeros(n), alt, np.full(n, 200.0), trk, np.zeros(n))
    assert detect(*args).pairs.shape == (0, 2)
    # BlueSky's plain |dalt| < v_sep flags the gaps that happen to round below 304.8 m.
    assert len(bluesky(*args)) == 29
    just_inside = detect(*args[:2], alt + np.arange(n) * -2e-6, *args[3:])
    assert len(just_inside.pairs) == n - 1


# --- brute-force oracle --------------------------------------------------------------------


def brute_force(
    traffic: Traffic, h_sep: float, v_sep: float, lookahead: float
) -> set[tuple[int, int]]:
    """Every pair, same projection and CPA rules, no pruning: O(N²)."""
    lat, lon, alt, gs, trk, vs = traffic
    i, j = np.triu_indices(lat.size, k=1)
    state = ecef_state(lat, lon, gs, trk)
    dist, closing, vrel2 = wgs84_relative(state, i, j)
    geometry = PairGeometry(dist, closing, vrel2, alt[i] - alt[j], vs[i] - vs[j])
    keep = judge(geometry, h_sep, v_sep, lookahead).conflict
    return {(int(a), int(b)) for a, b in zip(i[keep], j[keep], strict=True)}


@st.composite
def clustered_traffic(draw: st.DrawFn) -> tuple[tuple[np.ndarray, ...], dict[str, float]]:
    """A small cluster anywhere from 85° S to 85° N, across the antimeridian too."""
    n = draw(st.integers(2, 120))
    seed = draw(st.integers(0, 2**32 - 1))
    lat0 = draw(st.floats(-85.0, 85.0))
    near_antimeridian = st.sampled_from([180.0, -179.95, 179.99])
    lon0 = draw(st.one_of(near_antimeridian, st.floats(-180.0, 180.0)))
    spread = draw(st.sampled_from([5e3, 30e3, 150e3]))
    rng = np.random.default_rng(seed)
    lon, lat, _ = GEOD.fwd(
        np.full(n, lon0), np.full(n, lat0), rng.uniform(0, 360, n), rng.uniform(0, spread, n)
    )
    alt = 9000.0 + rng.choice([0.0, 150.0, 304.8, 600.0], n) + rng.uniform(0.0, 50.0, n)
    gs = np.where(rng.random(n) < 0.1, rng.choice([0.0, 250.0], n), rng.uniform(0, 300, n))
    trk = rng.choice([0.0, 90.0, rng.uniform(0, 360)], n)
    trk = np.where(rng.random(n) < 0.5, rng.uniform(0, 360, n), trk)
    vs = np.where(rng.random(n) < 0.4, rng.uniform(-20, 20, n), 0.0)
    params = {
        "h_sep": draw(st.sampled_from([9260.0, 1852.0, 20_000.0])),
        "v_sep": draw(st.sampled_from([304.8, 150.0])),
        "lookahead": draw(st.sampled_from([300.0, 0.0, 60.0, 1200.0])),
    }
    return (np.asarray(lat), np.asarray(lon), alt, gs, trk, vs), params


@settings(max_examples=150, deadline=None)
@given(clustered_traffic())
def test_pruning_matches_brute_force(case: tuple[tuple[np.ndarray, ...], dict[str, float]]) -> None:
    traffic, p = case
    expected = brute_force(traffic, p["h_sep"], p["v_sep"], p["lookahead"])
    kwargs = {"h_sep_m": p["h_sep"], "v_sep_m": p["v_sep"], "lookahead_s": p["lookahead"]}
    # Small inputs skip the hash; force it so that the pruning itself is what is tested.
    with mock.patch.object(prune, "_ALL_PAIRS_UP_TO", 0):
        hashed = detect(*traffic, **kwargs)
    assert pair_set(hashed) == expected
    assert pair_set(detect(*traffic, **kwargs)) == expected
    assert np.all(hashed.pairs[:, 0] < hashed.pairs[:, 1])
    assert np.all(np.diff(hashed.pairs[:, 0] * len(traffic[0]) + hashed.pairs[:, 1]) > 0)


# --- hand-made geometries ------------------------------------------------------------------


def place(lat0: float, lon0: float, *aircraft: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    """Aircraft given as (east_m, north_m, alt_m, gs, trk, vs) around a centre, geodesically."""
    rows = np.array(aircraft, dtype=float)
    east, north = rows[:, 0], rows[:, 1]
    azimuth = np.degrees(np.arctan2(east, north))
    lon, lat, _ = GEOD.fwd(
        np.full(len(rows), lon0), np.full(len(rows), lat0), azimuth, np.hypot(east, north)
    )
    return np.asarray(lat), np.asarray(lon), rows[:, 2], rows[:, 3], rows[:, 4], rows[:, 5]


def only_pair(result: Detection) -> dict[str, float]:
    assert result.pairs.tolist() == [[0, 1]]
    return {
        "tcpa": float(result.tcpa_s[0]),
        "dcpa": float(result.dcpa_m[0]),
        "t_in": float(result.t_in_s[0]),
        "t_out": float(result.t_out_s[0]),
        "los": bool(result.los[0]),
    }


def test_head_on(bluesky: BlueSky) -> None:
    traffic = place(0.0, 10.0, (-50e3, 0, 9000, 250, 90, 0), (50e3, 0, 9000, 250, 270, 0))
    got = only_pair(detect(*traffic))
    assert got["tcpa"] == pytest.approx(200.0, abs=0.5)
    assert got["dcpa"] == pytest.approx(0.0, abs=5.0)
    assert got["t_in"] == pytest.approx(200.0 - 9260.0 / 500.0, abs=0.5)
    assert got["t_out"] == pytest.approx(200.0 + 9260.0 / 500.0, abs=0.5)
    assert not got["los"]
    assert set(bluesky(*traffic)) == {(0, 1)}


@pytest.mark.parametrize(("miss_m", "conflict"), [(8000.0, True), (10_500.0, False)])
def test_crossing(miss_m: float, conflict: bool) -> None:
    # B crosses A's path miss_m * sqrt(2) behind A at right angles, so the CPA is miss_m. On
    # the equator both tracks share one north: no meridian convergence to account for.
    traffic = place(
        0.0, 7.0, (-40e3, 0, 9000, 200, 90, 0), (-miss_m * math.sqrt(2), -40e3, 9000, 200, 0, 0)
    )
    result = detect(*traffic)
    assert (len(result.pairs) == 1) is conflict
    if conflict:
        assert result.dcpa_m[0] == pytest.approx(miss_m, abs=20.0)


@pytest.mark.parametrize(("ahead_m", "conflict"), [(20e3, True), (30e3, False)])
def test_overtaking(ahead_m: float, conflict: bool) -> None:
    traffic = place(10.0, 20.0, (0, 0, 9000, 250, 0, 0), (0, ahead_m, 9000, 200, 0, 0))
    result = detect(*traffic)
    assert (len(result.pairs) == 1) is conflict
    if conflict:
        assert result.t_in_s[0] == pytest.approx((ahead_m - 9260.0) / 50.0, abs=1.0)


def test_parallel_same_velocity(bluesky: BlueSky) -> None:
    apart = place(0.0, 0.0, (0, 0, 9000, 230, 0, 0), (12e3, 0, 9000, 230, 0, 0))
    assert detect(*apart).pairs.shape == (0, 2)
    close = place(0.0, 0.0, (0, 0, 9000, 230, 0, 0), (5e3, 0, 9000, 230, 0, 0))
    got = only_pair(detect(*close))
    assert got["los"] and got["t_in"] == 0.0 and got["t_out"] == math.inf
    assert got["dcpa"] == pytest.approx(5e3, abs=1.0)
    # Documented divergence: BlueSky divides 0 by 0 and drops this loss of separation.
    assert bluesky(*close) == {}


def test_climbing_through_the_other_level() -> None:
    # B is 2,000 ft below and climbs at 5 m/s: it is within 1,000 ft from 61 s to 183 s,
    # while the head-on horizontal conflict spans 181.5 s to 218.5 s.
    traffic = place(
        30.0, 0.0, (-50e3, 0, 9144.0, 250, 90, 0), (50e3, 0, 9144.0 - 609.6, 250, 270, 5.0)
    )
    got = only_pair(detect(*traffic))
    assert got["t_in"] == pytest.approx(181.48, abs=0.5)
    assert got["t_out"] == pytest.approx(182.88, abs=0.01)
    faster = place(
        30.0, 0.0, (-50e3, 0, 9144.0, 250, 90, 0), (50e3, 0, 9144.0 - 609.6, 250, 270, 10.0)
    )
    assert detect(*faster).pairs.shape == (0, 2)


def test_already_lost_and_diverging(bluesky: BlueSky) -> None:
    traffic = place(-20.0, 140.0, (0, 0, 9000, 200, 180, 0), (3e3, 0, 9030, 200, 0, 0))
    got = only_pair(detect(*traffic))
    assert got["los"] and got["t_in"] == 0.0 and got["t_out"] > 0.0
    assert bluesky(*traffic)[(0, 1)][2]


@pytest.mark.parametrize(("gap_m", "conflict"), [(256.0, False), (255.99, True)])
def test_vertical_boundary_is_strict(gap_m: float, conflict: bool, bluesky: BlueSky) -> None:
    traffic = place(0.0, 0.0, (0, 0, 8000.0, 200, 90, 0), (1e3, 0, 8000.0 + gap_m, 200, 0, 0))
    assert (len(detect(*traffic, v_sep_m=256.0).pairs) == 1) is conflict
    assert (len(bluesky(*traffic, v_sep=256.0)) == 1) is conflict


@pytest.mark.parametrize(("offset_m", "conflict"), [(9255.0, True), (9265.0, False)])
def test_horizontal_boundary(offset_m: float, conflict: bool) -> None:
    # Head-on on the equator with a lateral offset: the CPA distance is the offset.
    traffic = place(0.0, 30.0, (-50e3, 0, 9000, 250, 90, 0), (50e3, offset_m, 9000, 250, 270, 0))
    result = detect(*traffic)
    assert (len(result.pairs) == 1) is conflict
    if conflict:
        assert result.dcpa_m[0] == pytest.approx(offset_m, abs=2.0)


def test_antimeridian(bluesky: BlueSky) -> None:
    lat = np.array([60.0, 60.0])
    lon = np.array([179.8, -179.8])  # about 22 km apart
    az_ab, az_ba, _ = GEOD.inv(lon[0], lat[0], lon[1], lat[1])
    traffic = (
        lat,
        lon,
        np.full(2, 9000.0),
        np.full(2, 200.0),
        np.array([az_ab, az_ba]) % 360.0,
        np.zeros(2),
    )
    got = only_pair(detect(*traffic))
    assert got["dcpa"] == pytest.approx(0.0, abs=20.0)
    assert got["tcpa"] == pytest.approx(22_300 / 400.0, rel=0.01)
    # Documented divergence: BlueSky does not wrap lon2 - lon1 and sees them 360° apart.
    assert bluesky(*traffic) == {}


@pytest.mark.parametrize("lat0", [84.9, -84.9, 89.9])
def test_high_latitude_head_on(lat0: float) -> None:
    lat = np.array([lat0, lat0])
    lon = np.array([0.0, 10.0])
    az_ab, az_ba, dist = GEOD.inv(lon[0], lat[0], lon[1], lat[1])
    traffic = (
        lat,
        lon,
        np.full(2, 9000.0),
        np.full(2, 200.0),
        np.array([az_ab, az_ba]) % 360.0,
        np.zeros(2),
    )
    got = only_pair(detect(*traffic))
    assert got["dcpa"] == pytest.approx(0.0, abs=20.0)
    assert got["tcpa"] == pytest.approx(dist / 400.0, rel=1e-3)


# --- geodesic truth ------------------------------------------------------------------------


def true_dcpa(traffic: tuple[np.ndarray, ...], i: int, j: int, tcpa: float) -> float:
    """Minimum geodesic distance of two aircraft flying geodesics, sampled every 0.05 s."""
    lat, lon, _, gs, trk, _ = traffic
    t = np.arange(max(tcpa - 30.0, 0.0), tcpa + 30.0, 0.05)
    lon_i, lat_i, _ = GEOD.fwd(
        np.full(t.size, lon[i]), np.full(t.size, lat[i]), np.full(t.size, trk[i]), gs[i] * t
    )
    lon_j, lat_j, _ = GEOD.fwd(
        np.full(t.size, lon[j]), np.full(t.size, lat[j]), np.full(t.size, trk[j]), gs[j] * t
    )
    return float(np.min(GEOD.inv(lon_i, lat_i, lon_j, lat_j)[2]))


def test_dcpa_matches_geodesic_truth_better_than_bluesky(bluesky: BlueSky) -> None:
    traffic = random_traffic(1500, seed=11, lat0=70.0)
    ours = detect(*traffic)
    theirs = bluesky(*traffic)
    rng = np.random.default_rng(0)
    ours_err, theirs_err = [], []
    for k in rng.permutation(len(ours.pairs))[:200]:
        i, j = (int(x) for x in ours.pairs[k])
        if (i, j) not in theirs or not 30.0 < ours.tcpa_s[k] < 300.0:
            continue
        truth = true_dcpa(traffic, i, j, float(ours.tcpa_s[k]))
        ours_err.append(abs(ours.dcpa_m[k] - truth))
        theirs_err.append(abs(theirs[(i, j)][0] - truth))
    assert len(ours_err) > 50
    assert max(ours_err) < 2.0
    assert np.median(theirs_err) > 5 * np.median(ours_err)


# --- API -----------------------------------------------------------------------------------


def test_empty_and_single() -> None:
    for n in (0, 1):
        result = detect(*(np.zeros(n),) * 6)
        assert result.pairs.shape == (0, 2) and result.pairs.dtype == np.int64
        assert result.tcpa_s.shape == result.los.shape == (0,)


def test_detection_is_frozen() -> None:
    result = detect(*(np.zeros(2),) * 6)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        result.pairs = np.zeros((0, 2), np.int64)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("position", "value", "name"),
    [
        (1, np.zeros(3), "lon"),
        (2, np.array([0.0, np.nan]), "alt_m"),
        (0, np.array([0.0, 90.5]), "lat"),
        (5, np.array([np.inf, 0.0]), "vs_mps"),
    ],
)
def test_invalid_input_names_the_argument(position: int, value: np.ndarray, name: str) -> None:
    args = [np.zeros(2) for _ in range(6)]
    args[position] = value
    with pytest.raises(ValueError, match=name):
        detect(*args)


@pytest.mark.parametrize("keyword", ["h_sep_m", "v_sep_m", "lookahead_s"])
def test_invalid_parameters(keyword: str) -> None:
    with pytest.raises(ValueError, match=keyword):
        detect(*(np.zeros(2),) * 6, **{keyword: -1.0})
