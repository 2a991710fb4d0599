"""Wake-ups for event streams: in-process after each commit, and from other workers through
PostgreSQL LISTEN/NOTIFY. A stream notes the party's wake count before it reads, so a wake-up
that comes while it reads is not lost; a slow poll stays only as the safety net."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.engine import make_url

from deconflict.store.db import EVENTS_CHANNEL as CHANNEL

log = logging.getLogger("deconflict.events")


class Hub:
    """One asyncio event per party with a waiting stream, and a wake count per party."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._events: dict[str, asyncio.Event] = {}
        self._woken: dict[str, int] = {}

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def wake(self, parties: set[str]) -> None:
        """Thread-safe: called by write transactions after they commit."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self._loop.call_soon_threadsafe(self._fire, parties)

    def _fire(self, parties: set[str]) -> None:
        for p in parties:
            self._woken[p] = self._woken.get(p, 0) + 1
            ev = self._events.pop(p, None)
            if ev is not None:
                ev.set()

    def wake_all(self) -> None:
        """Wake every waiting stream (e.g. notifications may have been missed meanwhile)."""
        self._fire(set(self._events) | set(self._woken))

    def mark(self, party: str) -> int:
        """The party's wake count: pass it to `wait` after reading its events."""
        return self._woken.get(party, 0)

    async def wait(self, party: str, mark: int, timeout: float) -> None:
        """Until the party is woken after `mark` (at once if it already was), or `timeout`."""
        if self._woken.get(party, 0) != mark:
            return
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
                hub.wake_all()  # what was notified while this was not listening
                async for note in conn.notifies():
                    hub._fire({note.payload})
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("event listener lost its connection; retrying")
            await asyncio.sleep(1.0)
