"""`/healthz` (the database answers; nothing per party) and `/metrics` (Prometheus, admin)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.deps import Who
from deconflict.api.schemas import ErrorOut
from deconflict.errors import Forbidden
from deconflict.service import Service, events

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    svc: Service = request.app.state.service
    try:
        svc.read(lambda tx: tx.execute(sa.text("SELECT 1")).scalar())
    except Exception as e:  # any failure to reach the database means unhealthy
        return JSONResponse({"status": "unavailable", "error": type(e).__name__}, 503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    response_class=Response,
    responses={s: {"model": ErrorOut} for s in (401, 403, 429)},
)
def metrics(request: Request, who: Who) -> Response:
    """Admin only (Bearer): the figures are the whole service's, every party's activity."""
    if not who.admin:
        raise Forbidden("admin_only", "only the admin key reads the metrics")
    registry: CollectorRegistry = request.app.state.metrics
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


class StoreGauges:
    """Numbers read from the store at scrape time."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        g = events.gauges(self.svc)
        yield GaugeMetricFamily(
            "deconflict_conflicts_open", "Conflicts not resolved", value=g["conflicts_open"]
        )
        yield GaugeMetricFamily("deconflict_events_stored", "Events stored", value=g["events"])
        db = self.svc.db  # this worker's write path (group commit; PostgreSQL retries)
        yield CounterMetricFamily(
            "deconflict_write_commits", "Write transactions committed", value=db.commits
        )
        yield CounterMetricFamily(
            "deconflict_writes_committed", "Writes committed (several per commit when queued)",
            value=db.committed_writes,
        )  # fmt: skip
        yield CounterMetricFamily(
            "deconflict_write_retries", "Write batches rerun after a serialization failure",
            value=db.retries,
        )  # fmt: skip


class Measure:
    """Request count and latency by route template: a plain ASGI wrapper, cheaper per request
    than an `@app.middleware("http")` function (no extra task and body streams)."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app, self.requests, self.latency = app, requests, latency

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.requests.labels(method, route, str(status)).inc()
            self.latency.labels(method, route).observe(time.perf_counter() - start)


def instrument(app: FastAPI, svc: Service) -> None:
    """Count and time every request on a registry owned by this app."""
    registry = CollectorRegistry()
    requests = Counter(
        "deconflict_requests", "HTTP requests", ["method", "route", "status"], registry=registry
    )
    latency = Histogram(
        "deconflict_request_seconds", "HTTP latency", ["method", "route"], registry=registry
    )
    registry.register(StoreGauges(svc))
    app.state.metrics = registry
    app.add_middleware(Measure, requests=requests, latency=latency)
