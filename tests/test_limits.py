"""The token bucket, route classes and the limits' settings (pure; no clock, no I/O)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deconflict.api.throttle import Throttle, route_class
from deconflict.config import from_env, to_env
from deconflict.errors import RateLimited
from deconflict.limits import Limits, Rate, Retention, take


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    rate, bucket, answers = Rate(2.0, 3.0), None, []
    for _ in range(5):
        bucket, wait = take(rate, bucket, 10.0)
        answers.append(wait)
    assert answers[:3] == [0.0] * 3 and answers[3] == answers[4] == 0.5
    bucket, wait = take(rate, bucket, 10.5)  # half a second: one token back
    assert wait == 0.0 and take(rate, bucket, 10.5)[1] == 0.5


@given(
    per_s=st.floats(0.1, 100), burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=200),
)  # fmt: skip
def test_a_bucket_never_allows_more_than_burst_plus_rate_times_time(
    per_s: float, burst: int, gaps: list[float]
) -> None:
    rate, bucket, now, allowed = Rate(per_s, float(burst)), None, 0.0, 0
    for gap in gaps:
        now += gap
        bucket, wait = take(rate, bucket, now)
        allowed += wait == 0.0
        assert wait >= 0.0
        assert allowed <= burst + per_s * now + 1e-9


def test_a_refusal_says_when_to_come_back() -> None:
    t = [0.0]
    throttle = Throttle(Limits(checks=Rate(0.25, 1.0)), clock=lambda: t[0])
    throttle.admit("p", "checks")
    try:
        throttle.admit("p", "checks")
        raise AssertionError("admitted past the burst")
    except RateLimited as refused:
        assert refused.retry_after == 4.0
    t[0] = 4.0
    throttle.admit("p", "checks")
    throttle.admit("q", "reads")


def test_routes_fall_into_classes() -> None:
    assert route_class("POST", "/v1/checks") == "checks"
    assert route_class("POST", "/v1/tracks") == "tracks"
    assert route_class("GET", "/v1/tracks") == "reads"
    assert route_class("GET", "/v1/events") == "events"
    assert route_class("PATCH", "/v1/operations/{op_id}") == "writes"


def test_limits_and_retention_travel_through_the_environment() -> None:
    env = {"DECONFLICT_RATE_CHECKS": "0.5", "DECONFLICT_BURST_CHECKS": "4",
           "DECONFLICT_PROBE_BUDGET_PER_H": "7", "DECONFLICT_STREAMS_PER_PARTY": "3",
           "DECONFLICT_RETAIN_EVENTS_H": "48", "DECONFLICT_CURSOR_SECRET": "s3cret"}  # fmt: skip
    config = from_env(env)
    assert config.limits.checks == Rate(0.5, 4.0) and config.limits.reads == Limits().reads
    assert (config.limits.probe_budget_per_h, config.limits.streams_per_party) == (7, 3)
    assert config.retention.events_s == 48 * 3600 and config.cursor_secret == "s3cret"
    assert config.retention.idempotency_s == Retention().idempotency_s
    again = from_env(to_env(config))
    assert (again.limits, again.retention, again.cursor_secret) == (
        config.limits, config.retention, config.cursor_secret,
    )  # fmt: skip
