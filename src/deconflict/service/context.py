"""What every use case receives: the service (store, settings, clock) and who is asking."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from attrs import frozen

from deconflict.config import Config
from deconflict.engine.regions import regions
from deconflict.errors import DomainError, Forbidden
from deconflict.geometry import Volume
from deconflict.geometry.geodesy import Memo
from deconflict.service.records import with_receipt
from deconflict.store import Database, Tx
from deconflict.store.turns import OTHER, Turn, in_regions

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


@frozen
class CursorKeys:
    """Keys derived from the server's cursor secret (see `paging`)."""

    stream_key: bytes
    tag_key: bytes
    id_key: bytes

    @classmethod
    def derive(cls, secret: bytes) -> CursorKeys:
        def sub(label: bytes) -> bytes:
            return hmac.digest(secret, label, "sha256")

        return cls(sub(b"cursor stream"), sub(b"cursor tag"), sub(b"opaque id"))

    def stream(self, nonce: bytes, n: int) -> bytes:
        """`n` keystream bytes for `nonce`: HMAC-SHA256(key, nonce ‖ block counter) blocks."""
        blocks = (n + 31) // 32
        out = b"".join(
            hmac.digest(self.stream_key, nonce + i.to_bytes(4, "big"), "sha256")
            for i in range(blocks)
        )
        return out[:n]

    def tag(self, party: str, list_name: str, body: bytes) -> bytes:
        msg = party.encode() + b"\0" + list_name.encode() + b"\0" + body
        return hmac.digest(self.tag_key, msg, "sha256")[:16]

    def label(self, text: str) -> str:
        return hmac.digest(self.id_key, text.encode(), "sha256")[:12].hex()


def _unknown(key: tuple[str, int]) -> tuple[Volume, ...]:
    raise KeyError(key)  # `parsed` is only read (get) and filled (put), never computed


class Service:
    """The store, the settings and the clock, handed to every use case."""

    def __init__(self, config: Config, db: Database | None = None) -> None:
        self.config = config
        self.db = db or Database(config.db_url)
        self.clock: Callable[[], float] = time.time
        # Parsed volumes of stored operations by (id, version), so that a candidate met before
        # is neither read nor parsed again. Volumes change only with a new version, and entries
        # are put only once the write transaction that read them has committed
        # (`Tx.after_commit`): an entry is never a rolled-back write's volumes, never stale.
        self.cursor_keys: CursorKeys | None = None  # derived on first use (see `paging`)
        self.parsed: Memo[tuple[str, int], tuple[Volume, ...]] = Memo(_unknown, 50_000)

    def now(self) -> float:
        return self.clock()

    def write(self, fn: Callable[[Tx], T], turn: Turn = OTHER) -> T:
        """Run a write unit; `turn` says what it may meet (see `store.turns`). The answer carries
        the `audit_index` of its entry (a receipt)."""
        return self.db.write(_receipted(fn), turn=turn)

    def write_all(
        self, fns: Sequence[Callable[[Tx], T]], turns: Sequence[Turn]
    ) -> list[tuple[bool, T | BaseException]]:
        """Many writes queued together to share group commits (`Database.write_all`); each
        answer carries its receipt, as `write`'s does."""
        return self.db.write_all([_receipted(fn) for fn in fns], turns)

    def turn_of(self, volumes: Sequence[Volume]) -> Turn:
        """The write turn of a write of `volumes`: the regions its candidate search covers."""
        return in_regions(regions(volumes, self.config.rules.max_horizontal_m))

    def read(self, fn: Callable[[Tx], T]) -> T:
        return self.db.read(fn)


def _receipted(fn: Callable[[Tx], T]) -> Callable[[Tx], T]:
    return lambda tx: with_receipt(tx, fn(tx))


def row_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
