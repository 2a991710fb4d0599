"""What every use case receives: the service (store, settings, clock) and who is asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from attrs import frozen

from deconflict.config import Config
from deconflict.errors import DomainError, Forbidden
from deconflict.geometry import Volume
from deconflict.geometry.geodesy import Memo
from deconflict.service.records import with_receipt
from deconflict.store import Database, Tx

T = TypeVar("T")


class Unprocessable(DomainError):
    """A request that is well-formed but cannot be carried out as asked (bad transition...)."""


@frozen
class Principal:
    """An authenticated caller: a party, or the administrator (no party)."""

    party_id: str | None
    name: str
    admin: bool = False

    def party(self) -> str:
        """The caller's party id; the administrator is no party and may not act as one."""
        if self.party_id is None:
            raise Forbidden("not_a_party", "the admin key cannot act as a party")
        return self.party_id


def _unknown(key: tuple[str, int]) -> tuple[Volume, ...]:
    raise KeyError(key)  # `parsed` is only read (get) and filled (put), never computed


class Service:
    """The store, the settings and the clock, handed to every use case."""

    def __init__(self, config: Config, db: Database | None = None) -> None:
        self.config = config
        self.db = db or Database(config.db_url)
        self.clock: Callable[[], float] = time.time
        # Key digest -> (when checked, monotonic; who). See `parties.authenticate`.
        self.known_keys: dict[str, tuple[float, Principal]] = {}
        # Parsed volumes of stored operations by (id, version), so that a candidate met before
        # is neither read nor parsed again. Volumes change only with a new version, and entries
        # are put only once the write transaction that read them has committed
        # (`Tx.after_commit`): an entry is never a rolled-back write's volumes, never stale.
        self.parsed: Memo[tuple[str, int], tuple[Volume, ...]] = Memo(_unknown, 50_000)

    def now(self) -> float:
        return self.clock()

    def write(self, fn: Callable[[Tx], T]) -> T:
        """Run a write; its answer carries the `audit_index` of its entry (a receipt)."""
        return self.db.write(lambda tx: with_receipt(tx, fn(tx)))

    def read(self, fn: Callable[[Tx], T]) -> T:
        return self.db.read(fn)


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
