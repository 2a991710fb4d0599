"""Abuse limits and retention windows: per-party token buckets per route class, the probe
budget, the cap on concurrent event streams, and how long events, idempotency keys and probe
notices are kept. Pure: the clock is an argument."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import field, frozen

HOUR_S = 3600.0
DAY_S = 86_400.0
# Route classes, tightest first: dry-run checks and track posts are what can map others.
ROUTE_CLASSES = ("checks", "tracks", "writes", "reads", "events")


@frozen
class Rate:
    """A token bucket: `burst` requests at once, refilled at `per_s` a second (≤ 0: no limit)."""

    per_s: float
    burst: float


@frozen
class Limits:
    """Per-party limits. Rates hold per worker process (see the README)."""

    checks: Rate = Rate(2.0, 30.0)
    tracks: Rate = Rate(20.0, 200.0)  # batches of states; one aircraft posts about 1/s
    writes: Rate = Rate(50.0, 500.0)
    reads: Rate = Rate(100.0, 1000.0)
    events: Rate = Rate(1.0, 20.0)  # stream (re)connections
    # Checks (and refused activations) that hit another party, per party per rolling hour;
    # past it every check is refused until the hour has room again. ≤ 0: no budget.
    probe_budget_per_h: int = 120
    streams_per_party: int = 8  # concurrent `GET /v1/events` per party (per worker)

    def rate(self, route_class: str) -> Rate:
        rate: Rate = getattr(self, route_class)
        return rate


@frozen
class Retention:
    """How long records that can grow with traffic are kept (the audit log is never pruned)."""

    events_s: float = 30 * DAY_S
    idempotency_s: float = DAY_S
    probes_s: float = 7 * DAY_S  # `probe` events: another party's check hit you
    interval_s: float = 300.0  # how often the background loop prunes


@frozen
class TokenBucket:
    """One bucket's state: tokens left at `at` (seconds, any monotonic clock)."""

    tokens: float
    at: float = field(default=0.0)


def take(rate: Rate, bucket: TokenBucket | None, now: float) -> tuple[TokenBucket, float]:
    """Take one token: the bucket after, and 0 if allowed, else the seconds until a token.

    >>> b, wait = take(Rate(1.0, 2.0), None, 0.0)
    >>> b, wait = take(Rate(1.0, 2.0), b, 0.0)
    >>> take(Rate(1.0, 2.0), b, 0.25)[1]
    0.75
    """
    if bucket is None:
        bucket = TokenBucket(rate.burst, now)
    tokens = min(rate.burst, bucket.tokens + max(0.0, now - bucket.at) * rate.per_s)
    if tokens >= 1.0:
        return TokenBucket(tokens - 1.0, now), 0.0
    return TokenBucket(tokens, now), (1.0 - tokens) / rate.per_s


_ENV = "DECONFLICT_"


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(_ENV + name)
    return float(raw) if raw not in (None, "") else default


def limits_from_env(env: Mapping[str, str]) -> Limits:
    """`DECONFLICT_RATE_<CLASS>` (per second) and `DECONFLICT_BURST_<CLASS>`,
    `DECONFLICT_PROBE_BUDGET_PER_H`, `DECONFLICT_STREAMS_PER_PARTY`; unset: default."""
    base = Limits()
    rates = {
        c: Rate(
            _float(env, f"RATE_{c.upper()}", base.rate(c).per_s),
            _float(env, f"BURST_{c.upper()}", base.rate(c).burst),
        )
        for c in ROUTE_CLASSES
    }
    return Limits(
        **rates,
        probe_budget_per_h=int(_float(env, "PROBE_BUDGET_PER_H", base.probe_budget_per_h)),
        streams_per_party=int(_float(env, "STREAMS_PER_PARTY", base.streams_per_party)),
    )


def retention_from_env(env: Mapping[str, str]) -> Retention:
    """`DECONFLICT_RETAIN_EVENTS_H`, `..._IDEMPOTENCY_H`, `..._PROBES_H`,
    `DECONFLICT_PRUNE_INTERVAL_S`; unset: default."""
    base = Retention()
    return Retention(
        events_s=_float(env, "RETAIN_EVENTS_H", base.events_s / HOUR_S) * HOUR_S,
        idempotency_s=_float(env, "RETAIN_IDEMPOTENCY_H", base.idempotency_s / HOUR_S) * HOUR_S,
        probes_s=_float(env, "RETAIN_PROBES_H", base.probes_s / HOUR_S) * HOUR_S,
        interval_s=_float(env, "PRUNE_INTERVAL_S", base.interval_s),
    )


def to_env(limits: Limits, retention: Retention) -> dict[str, str]:
    """The variables that rebuild both in another process (uvicorn workers)."""
    out = {
        _ENV + "PROBE_BUDGET_PER_H": str(limits.probe_budget_per_h),
        _ENV + "STREAMS_PER_PARTY": str(limits.streams_per_party),
        _ENV + "RETAIN_EVENTS_H": str(retention.events_s / HOUR_S),
        _ENV + "RETAIN_IDEMPOTENCY_H": str(retention.idempotency_s / HOUR_S),
        _ENV + "RETAIN_PROBES_H": str(retention.probes_s / HOUR_S),
        _ENV + "PRUNE_INTERVAL_S": str(retention.interval_s),
    }
    for c in ROUTE_CLASSES:
        out[f"{_ENV}RATE_{c.upper()}"] = str(limits.rate(c).per_s)
        out[f"{_ENV}BURST_{c.upper()}"] = str(limits.rate(c).burst)
    return out
