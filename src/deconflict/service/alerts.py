"""Tactical alerts: detection over every party's fresh tracks, brought to one instant, and the
memory of active tactical conflicts that keeps both sides told without flooding them.

A pair of aircraft of different parties is judged when at least one of them is in the batch
being posted. Both parties get a `tactical.alert` when the pair's conflict is new, when loss of
separation begins or ends, when one of the two has just become nonconforming, or again after
`realert_s`; and a `tactical.cleared` when it stops conflicting (or a track goes stale). Each
side sees its own aircraft by its id and the other's only by an opaque alias that is random per
pair (stable while the pair is remembered, so a console can move one marker): never the other
party's aircraft registry id, operation ids or any other of its aircraft. States are shown as
extrapolated to the detection instant (`time`), the instant `tcpa_s` counts from.

What each side was last told of a pair is kept on the pair, so a party that signs in mid-conflict
can ask for its current alerts (:func:`current`) and be shown exactly that again, no more.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import numpy as np
from attrs import frozen

from deconflict.geometry.geodesy import midpoint
from deconflict.geometry.model import LatLng
from deconflict.service.context import Principal, Service
from deconflict.service.records import audit, emit
from deconflict.service.views import rfc3339
from deconflict.store import Tx
from deconflict.store import tracks as store
from deconflict.store.parties import party_names
from deconflict.store.tracks import PairKey, TrackKey
from deconflict.tactical import detect
from deconflict.tactical.extrapolate import extrapolate
from deconflict.tactical.frame import FloatArray

Told = dict[str, dict[str, list[dict[str, Any]]]]  # party -> event type -> event data
Told1 = tuple[str, dict[str, Any]]  # (party, event data)
Six = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


@frozen
class Hit:
    """One conflicting pair at the detection instant; `a` < `b` as track keys."""

    a: TrackKey
    b: TrackKey
    tcpa_s: float
    dcpa_m: float
    t_in_s: float
    los: bool
    states: dict[TrackKey, dict[str, float]]
    cpa: LatLng

    @property
    def key(self) -> PairKey:
        return (*self.a, *self.b)


_STATE = ("lat", "lng", "alt_m", "gs_mps", "trk_deg", "vs_mps")


def hits(rows: list[Any], now: float, svc: Service) -> list[Hit]:
    """Conflicting pairs of different parties among `rows`, all extrapolated to `now`."""
    if len(rows) < 2:
        return []
    cfg = svc.config.tracks
    col = {k: np.array([getattr(r, k) for r in rows], np.float64) for k in (*_STATE, "time")}
    # One instant for all: detection compares where aircraft are, not where they were seen.
    moved = extrapolate(*_states(col), now - col["time"])
    col.update(zip(("lat", "lng", "alt_m", "trk_deg"), moved, strict=True))
    found = detect(
        *_states(col),
        h_sep_m=cfg.h_sep_m,
        v_sep_m=cfg.v_sep_m,
        lookahead_s=cfg.lookahead_s,
    )
    keys = [(r.party_id, r.aircraft_id) for r in rows]
    out = []
    for n, (i, j) in enumerate(found.pairs.tolist()):
        if rows[i].party_id != rows[j].party_id:
            i, j = (i, j) if keys[i] < keys[j] else (j, i)
            out.append(
                Hit(
                    a=keys[i],
                    b=keys[j],
                    tcpa_s=float(found.tcpa_s[n]),
                    dcpa_m=float(found.dcpa_m[n]),
                    t_in_s=float(found.t_in_s[n]),
                    los=bool(found.los[n]),
                    states={
                        keys[k]: {name: float(col[name][k]) for name in _STATE} for k in (i, j)
                    },
                    cpa=_cpa(col, [i, j], max(float(found.tcpa_s[n]), 0.0)),
                )
            )
    return out


def _states(col: dict[str, FloatArray]) -> Six:
    """lat, lng, alt_m, gs_mps, trk_deg, vs_mps: the order the tactical functions take."""
    return col["lat"], col["lng"], col["alt_m"], col["gs_mps"], col["trk_deg"], col["vs_mps"]


def _cpa(col: dict[str, FloatArray], pair: list[int], tcpa_s: float) -> LatLng:
    """Midway between the two aircraft at their closest approach (now, if it is past)."""
    two = {k: v[pair] for k, v in col.items()}
    lat, lng, _, _ = extrapolate(*_states(two), np.full(2, tcpa_s))
    return midpoint(LatLng(float(lat[0]), float(lng[0])), LatLng(float(lat[1]), float(lng[1])))


def _reason(row: Any, hit: Hit, raised: set[TrackKey], now: float, realert_s: float) -> str | None:
    """Why both sides must be told of `hit` now, or None: they already know."""
    if hit.a in raised or hit.b in raised:
        return "nonconforming"
    if row is None or not row.active:
        return "new"
    if bool(row.los) != hit.los:
        return "los"
    if now - row.alerted_at >= realert_s:
        return "realert"
    return None


@frozen
class _Pair:
    id: str
    alias_a: str
    alias_b: str


def _pair(row: Any) -> _Pair:
    """The remembered pair's id and aliases, or new ones."""
    if row is None:
        alias_a, alias_b = (f"trk-{secrets.token_hex(8)}" for _ in "ab")
        return _Pair(str(uuid.uuid4()), alias_a, alias_b)
    return _Pair(row.id, row.alias_a, row.alias_b)


def _remember(tx: Tx, row: Any, pair: _Pair, hit: Hit, told: list[Told1], now: float) -> None:
    """Store the pair as active and alerted now, with what each side (a, b) was told."""
    values = {
        "active": True,
        "los": hit.los,
        "alerted_at": now,
        "told_a": told[0][1],
        "told_b": told[1][1],
    }
    if row is None:
        store.insert_pair(
            tx,
            id=pair.id,
            party_a=hit.a[0],
            aircraft_a=hit.a[1],
            party_b=hit.b[0],
            aircraft_b=hit.b[1],
            alias_a=pair.alias_a,
            alias_b=pair.alias_b,
            opened_at=now,
            cleared_at=None,
            **values,
        )
        return
    opened = {} if row.active else {"opened_at": now, "cleared_at": None}
    store.update_pair(tx, row.id, **values, **opened)


def _views(pair: _Pair, hit: Hit, names: dict[str, str], base: dict[str, Any]) -> list[Told1]:
    """What each side is told (a's, then b's): its own aircraft by id, the other's by the
    pair's alias."""
    sides = ((hit.a, hit.b, pair.alias_b), (hit.b, hit.a, pair.alias_a))
    return [
        (
            mine[0],
            {
                "id": pair.id,
                "other_party": names[other[0]],
                **base,
                "mine": {"id": mine[1], **hit.states[mine]},
                "other": {"id": other_alias, **hit.states[other]},
            },
        )
        for mine, other, other_alias in sides
    ]


def _cleared(row: Any, names: dict[str, str], now: float) -> list[Told1]:
    """The clearing notice for each side, in the same terms as its alerts."""
    a, b = (row.party_a, row.aircraft_a), (row.party_b, row.aircraft_b)
    sides = ((a, b, row.alias_b), (b, a, row.alias_a))
    return [
        (
            mine[0],
            {
                "id": row.id,
                "cleared": True,
                "other_party": names.get(other[0], ""),
                "mine": {"id": mine[1]},
                "other": {"id": other_alias},
                "time": rfc3339(now),
            },
        )
        for mine, other, other_alias in sides
    ]


def _tell(tx: Tx, told: Told, type_: str, notices: list[Told1], now: float) -> None:
    for party, data in notices:
        emit(tx, party, type_, data, now)
        told.setdefault(party, {}).setdefault(type_, []).append(data)


def alert(tx: Tx, svc: Service, batch: set[TrackKey], raised: set[TrackKey], now: float) -> Told:
    """Detect over every fresh track, alert and clear pairs touching `batch`, forget stale
    tracks; `raised` tracks (just became nonconforming) have their conflicts told at once."""
    cfg = svc.config.tracks
    rows = store.every(tx)
    fresh = [r for r in rows if r.time >= now - cfg.stale_s]
    stale = {(r.party_id, r.aircraft_id) for r in rows} - {
        (r.party_id, r.aircraft_id) for r in fresh
    }
    found = {h.key: h for h in hits(fresh, now, svc) if h.a in batch or h.b in batch}
    remembered = store.pairs(tx, found)
    names = party_names(tx, {r.party_id for r in rows})
    told: Told = {}
    for key, hit in found.items():
        row = remembered.get(key)
        reason = _reason(row, hit, raised, now, cfg.realert_s)
        if reason is None:
            continue
        pair = _pair(row)
        base = {
            "reason": reason,
            "los": hit.los,
            "tcpa_s": round(hit.tcpa_s, 3),
            "dcpa_m": round(hit.dcpa_m, 3),
            "t_in_s": round(hit.t_in_s, 3),
            "time": rfc3339(now),
            "cpa": {"lat": hit.cpa.lat, "lng": hit.cpa.lng},
        }
        views = _views(pair, hit, names, base)
        _remember(tx, row, pair, hit, views, now)
        _tell(tx, told, "tactical.alert", views, now)
        audit(tx, None, "tactical.alert", pair.id, {"reason": reason, "los": hit.los}, now)
    for key, row in remembered.items():
        a, b = key[:2], key[2:]
        if (
            row.active
            and key not in found
            and (a in batch or b in batch or a in stale or b in stale)
        ):
            store.update_pair(tx, row.id, active=False, cleared_at=now)
            _tell(tx, told, "tactical.cleared", _cleared(row, names, now), now)
    store.delete(tx, stale)
    return told


def current(svc: Service, who: Principal) -> dict[str, Any]:
    """The caller's current tactical alerts, each exactly as it was last told (its latest
    `tactical.alert` payload): every active pair with one of its aircraft whose two tracks are
    fresh, then every fresh straying aircraft whose latest re-check hit one of its operations.
    Cleared pairs and stale tracks are left out. Showing them again is a disclosure: each is
    written in the audit log as events are. With the server's stale time, re-alert interval
    and clock, so a console can age what it shows without hard-coding them."""
    party, cfg = who.party(), svc.config.tracks

    def unit(tx: Tx) -> dict[str, Any]:
        now = svc.now()
        since = now - cfg.stale_s
        items: list[dict[str, Any]] = []
        for row in store.active_pairs_of(tx, party, since):
            told = row.told_a if row.party_a == party else row.told_b
            if told:  # None only for a pair last told before what it told was kept
                items.append(told)
        for row in store.straying(tx, since):
            items.extend((row.hits_told or {}).get(party, []))
        for item in items:
            subject = str(item.get("id") or item["other"]["id"])
            audit(tx, party, "disclosed", subject, {"read": "tracks.alerts"}, now)
        return {
            "items": items,
            "stale_s": cfg.stale_s,
            "realert_s": cfg.realert_s,
            "time": rfc3339(now),
        }

    return svc.write(unit)
