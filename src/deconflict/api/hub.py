"""Wake-ups for event streams: in-process after each commit, and from other workers through
PostgreSQL LISTEN/NOTIFY. Streams also poll, so a lost wake-up only costs a poll interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import make_url

from deconflict.store.db import EVENTS_CHANNEL as CHANNEL

log = logging.getLogger("deconflict.events")


class Hub:
    """One asyncio event per party with a waiting stream."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: dict[str, asyncio.Event] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def wake(self, parties: set[str]) -> None:
        """Thread-safe: called by write transactions after they commit."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self._loop.call_soon_threadsafe(self._fire, parties)

    def _fire(self, parties: set[str]) -> None:
        for p in parties:
            ev = self._events.pop(p, None)
            if ev is not None:
                ev.set()

    async def wait(self, party: str, timeout: float) -> None:
        ev = self._events.setdefault(party, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ev.wait(), timeout)


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(hub: Hub, url: str) -> None:
    """Forward NOTIFYs from every worker to this worker's streams; reconnect on failure."""
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_url(url), autocommit=True
            ) as conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                async for note in conn.notifies():
                    hub._fire({note.payload})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event listener lost its connection; retrying")
            await asyncio.sleep(1.0)
