"""Per-party rate limits (a token bucket per route class) and the cap on concurrent event
streams, kept in this worker's memory: with N workers a party may reach N times a rate (the
README says so); the probe budget, which bounds mapping by trial, is counted in the database."""

from __future__ import annotations

import time
from collections.abc import Callable

from deconflict.errors import RateLimited
from deconflict.limits import Limits, TokenBucket, take

STREAM_RETRY_S = 5.0


def route_class(method: str, path: str) -> str:
    """The class a route's requests are limited as (see `limits.ROUTE_CLASSES`)."""
    if path == "/v1/checks":
        return "checks"
    if path == "/v1/tracks" and method == "POST":
        return "tracks"
    if path == "/v1/events":
        return "events"
    return "reads" if method in ("GET", "HEAD") else "writes"


class Throttle:
    """Token buckets by (party, route class) and open streams by party."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        self.streams: dict[str, int] = {}

    def admit(self, party: str, route_class: str) -> None:
        """Take a token for the party's request, or refuse it (429 with Retry-After)."""
        rate = self.limits.rate(route_class)
        if rate.per_s <= 0:
            return
        key = (party, route_class)
        self.buckets[key], wait = take(rate, self.buckets.get(key), self.clock())
        if wait > 0:
            err = RateLimited(
                "rate_limited",
                f"too many {route_class} requests; retry after the delay in Retry-After",
                None,
                wait,
            )
            err.details = {"limit": route_class}  # type: ignore[attr-defined]
            raise err

    def open_stream(self, party: str) -> Callable[[], None]:
        """Hold one of the party's stream slots; answers the function that gives it back."""
        cap, held = self.limits.streams_per_party, self.streams.get(party, 0)
        if 0 < cap <= held:
            err = RateLimited(
                "too_many_streams",
                f"at most {cap} event streams at once per party; close one first",
                None,
                STREAM_RETRY_S,
            )
            err.details = {"limit": "streams"}  # type: ignore[attr-defined]
            raise err
        self.streams[party] = held + 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                left = self.streams.get(party, 1) - 1
                if left > 0:
                    self.streams[party] = left
                else:
                    self.streams.pop(party, None)

        return release
