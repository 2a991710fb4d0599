"""The app factory: routers per area, error mapping, metrics, the console, and a lifespan that
owns the database, the event hub and the background tasks (escalation, audit sequencer,
retention)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from deconflict.api import errors
from deconflict.api.hub import Hub, listen
from deconflict.api.limits import BodyLimit
from deconflict.api.routes import (
    audit,
    conflicts,
    events,
    files,
    health,
    operations,
    parties,
    tracks,
)
from deconflict.api.routes import private as private_routes
from deconflict.api.throttle import Throttle
from deconflict.api.url_keys import RefuseKeysInUrls
from deconflict.config import Config, from_env
from deconflict.service import Service, retention
from deconflict.service import audit as audit_log
from deconflict.service.conflicts import escalate_due
from deconflict.service.parties import ensure_admin_key
from deconflict.store import migrate

log = logging.getLogger("deconflict")
WEB = Path(__file__).parents[1] / "web"
ROUTERS: list[APIRouter] = [
    parties.router,
    audit.router,
    operations.router,
    conflicts.router,
    events.router,
    tracks.router,
    files.router,
    private_routes.router,
    health.router,
]


async def every(seconds: float, job: Callable[[], object], name: str) -> None:
    """Run a blocking job in a thread every `seconds`; log failures and go on."""
    while True:
        running = asyncio.ensure_future(asyncio.to_thread(job))
        try:
            await asyncio.shield(running)
        except asyncio.CancelledError:
            # Cancelling does not stop the thread: let it finish before the lifespan disposes
            # of the database under it (its connection would be left open).
            with contextlib.suppress(Exception):
                await running
            raise
        except Exception:
            log.exception("%s failed", name)
        await asyncio.sleep(seconds)


def _tasks(svc: Service, hub: Hub) -> list[Coroutine[Any, Any, None]]:
    cfg = svc.config
    jobs: list[Coroutine[Any, Any, None]] = []
    if cfg.background:
        jobs.append(every(cfg.escalation_interval_s, lambda: escalate_due(svc), "escalation"))
        jobs.append(every(cfg.audit_interval_s, lambda: audit_log.sequence(svc), "audit"))
        jobs.append(every(cfg.retention.interval_s, lambda: retention.prune(svc), "retention"))
    if svc.db.postgres:
        jobs.append(listen(hub, cfg.db_url))
    return jobs


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    svc: Service = app.state.service
    hub: Hub = app.state.hub
    if svc.config.migrate:
        await asyncio.to_thread(migrate, svc.db)
        key = await asyncio.to_thread(ensure_admin_key, svc)
        if key:
            print(f"deconflict: generated admin key (shown once): {key}", flush=True)
        log_key = await asyncio.to_thread(audit_log.key, svc)
        print(f"deconflict: audit log verifier key: {log_key}", flush=True)
    hub.bind(asyncio.get_running_loop())
    svc.db.listeners.append(hub.wake)
    tasks = [asyncio.create_task(job) for job in _tasks(svc, hub)]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t
        svc.db.listeners.remove(hub.wake)
        svc.db.dispose()


def create_app(config: Config | None = None, routers: list[APIRouter] | None = None) -> FastAPI:
    """The service as an ASGI app; `routers` lets other areas (e.g. tracks) plug in."""
    config = config or from_env()
    app = FastAPI(
        title="deconflict",
        version="0.1.0",
        summary="The deconfliction line as software.",
        lifespan=lifespan,
    )
    svc = Service(config)
    app.state.service = svc
    app.state.hub = Hub()
    app.state.throttle = Throttle(config.limits)
    errors.install(app)
    tracks_limit = {"/v1/tracks": config.tracks.max_batch_bytes}
    app.add_middleware(BodyLimit, limit=config.max_body_bytes, by_path=tracks_limit)
    health.instrument(app, svc)
    app.add_middleware(RefuseKeysInUrls)  # outermost: a key in a URL goes no further
    for router in [*ROUTERS, *(routers or [])]:
        app.include_router(router)
    if (WEB / "index.html").exists():  # the console, after the API so it never shadows it
        app.mount("/", StaticFiles(directory=WEB, html=True), name="web")
    return app


def create_app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (several workers): settings from `DECONFLICT_*`."""
    return create_app(from_env())
