"""Conformance of a track to its operation, and what happens when it strays.

A track tied to an operation is nonconforming when its reported 4D point (time included) is
outside every volume of that operation, or the operation is ended or cancelled. Its owner gets
one `nonconformance` event per episode (again only after it re-conforms and strays again); its
tactical conflicts are raised at once (see :mod:`.alerts`); and where the aircraft actually
is gets checked against other parties' stored operations as a strategic conflict would be: an
"actual" flight volume, a circle of the horizontal separation around the aircraft, its altitude
± the vertical separation, for the look-ahead from now, run through the same candidate search
and engine as checks. Each party hit gets a `tactical.alert` with `reason: "nonconformance"`
holding the aircraft's state (under an alias), its own operation id and the overlap region;
the owner gets the other party's name, kind and the same region, never the other's operation
id. The re-check repeats every `realert_s` while the episode lasts, as the aircraft moves;
what its latest run told each party hit is kept on the track (`hits_told`), so that party's
current alerts can be listed again exactly as told (:func:`.alerts.current`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

from attrs import frozen

from deconflict.engine import Kind, Operation, State, disclosure
from deconflict.engine.disclosure import Hit, rfc3339
from deconflict.geometry import Circle, LatLng, Volume, contains
from deconflict.service.context import Service
from deconflict.service.detection import find
from deconflict.service.records import audit, emit, file
from deconflict.service.views import disclosed_region
from deconflict.store import Tx
from deconflict.store.parties import party_names


@frozen
class Verdict:
    """A track's conformance after this state, and what the owner was told (if anything)."""

    nonconforming: bool = False
    started: bool = False  # the episode begins with this state
    rechecked_at: float | None = None
    episode: str | None = None
    notice: dict[str, Any] | None = None
    hits_told: dict[str, list[dict[str, Any]]] | None = None  # party hit -> what it was told


def conforms(op: Operation, s: Any) -> bool:
    """Inside some volume of a live operation, time included."""
    return op.state.live and any(contains(v, s.lat, s.lng, s.alt_m, s.time) for v in op.volumes)


def alias(episode: str, observer: str) -> str:
    """The opaque id one party sees a straying aircraft under: stable for an episode,
    different for each observer, and not derivable from the owner's aircraft id."""
    return "nc-" + hashlib.sha256(f"{episode}:{observer}".encode()).hexdigest()[:16]


def judge(
    tx: Tx, svc: Service, party: str, s: Any, ops: dict[str, Operation], row: Any, now: float
) -> Verdict:
    """Judge the state `s` of one of `party`'s aircraft (`row`: what was stored before)."""
    if s.operation_id is None or conforms(ops[s.operation_id], s):
        return Verdict()
    was = row is not None and row.nonconforming and row.operation_id == s.operation_id
    episode = row.episode if was else secrets.token_hex(16)
    if (
        was
        and row.rechecked_at is not None
        and now - row.rechecked_at < svc.config.tracks.realert_s
    ):
        return Verdict(True, False, row.rechecked_at, episode, hits_told=row.hits_told)
    hits, hits_told = recheck(tx, svc, party, s, episode, now)
    own = {
        "operation_id": s.operation_id,
        "track_id": s.id,
        "lat": s.lat,
        "lng": s.lng,
        "alt_m": s.alt_m,
        "time": rfc3339(s.time),
    }
    told = disclosure.nonconformance(party, own, hits, s.operation_id)
    notice = dict(told.data)
    if not was:
        emit(tx, told, now)
        audit(tx, party, "nonconformance", s.operation_id, {"track_id": s.id}, now)
    owner_told = notice if not was or hits else None
    return Verdict(True, not was, now, episode, owner_told, hits_told)


def actual(party: str, s: Any, episode: str, svc: Service, now: float) -> Operation:
    """Where the aircraft is and may be over the look-ahead, as a flight operation."""
    cfg = svc.config.tracks
    volume = Volume(
        Circle(LatLng(s.lat, s.lng), cfg.h_sep_m),
        s.alt_m - cfg.v_sep_m,
        s.alt_m + cfg.v_sep_m,
        datetime.fromtimestamp(now, UTC),
        datetime.fromtimestamp(now + cfg.lookahead_s, UTC),
    )
    return Operation(f"track-{episode}", party, Kind.FLIGHT, (volume,), State.ACTIVE)


def recheck(
    tx: Tx, svc: Service, party: str, s: Any, episode: str, now: float
) -> tuple[list[disclosure.CheckHitView], dict[str, list[dict[str, Any]]]]:
    """Tell every party whose operation the actual volume hits; return the owner's view, and
    what each party hit was told (both as the disclosure gate builds them)."""
    found = find(tx, svc, actual(party, s, episode, svc, now))
    names = party_names(tx, {party} | {p for c in found for p in c.parties()})
    views = []
    told: dict[str, list[dict[str, Any]]] = {}
    state = {
        "lat": s.lat,
        "lng": s.lng,
        "alt_m": s.alt_m,
        "gs_mps": s.gs_mps,
        "trk_deg": s.trk_deg,
        "vs_mps": s.vs_mps,
        "time": rfc3339(s.time),
    }
    for c in found:
        theirs_a = c.a_party != party
        hit = Hit(
            party=c.a_party if theirs_a else c.b_party,
            operation=c.a_operation if theirs_a else c.b_operation,
            kind=(c.a_kind if theirs_a else c.b_kind).value,
            region=disclosed_region(c.regions, svc.config.h3_resolution),
        )
        alias_ = alias(episode, hit.party)
        delivery, view, note = disclosure.recheck_hit(party, state, alias_, hit, names, now)
        emit(tx, delivery, now)
        file(tx, [note], now)
        told.setdefault(hit.party, []).append(dict(delivery.data))
        views.append(view)
    return views, told
