"""The client's rounds with each other private party: publish, re-blind, intersect, refine,
and open or resolve the conflicts found. Each step is idempotent, so `sync` can be run again
whenever; a round completes once both parties have synced twice after a change.

Per counterpart the client keeps its own blinding scalar (so sets sent to different parties
cannot be linked) and caches blindings: only cells that changed cost a scalar multiplication.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from attrs import field, frozen
from nacl.public import PrivateKey, PublicKey

from deconflict.engine import Operation, Rules
from deconflict.geometry import region_to_json
from deconflict.private import psi
from deconflict.private.cover import CoverSettings, Source, plan_cover
from deconflict.private.refine import (
    clipped_plan,
    plan_from_json,
    plan_to_json,
    private_conflicts,
    shared_by_volume,
    unexplained,
)
from deconflict.private.relay import Relay, RelayError
from deconflict.private.seal import conflict_ref, fingerprint, open_sealed, seal
from deconflict.private.state import Folder, b64, unb64


@frozen
class Client:
    """One private party: its folder, the relay, and the rules and cell sizes all share."""

    folder: Folder
    relay: Relay
    rules: Rules = field(factory=Rules)
    settings: CoverSettings = field(factory=CoverSettings)


@frozen
class PeerReport:
    """What one pass with one counterpart did."""

    peer: str
    name: str
    published: bool
    reblinded: bool
    shared: int | None
    refined: bool
    opened: int
    resolved: int


def _hashed(folder: Folder, keys: Sequence[str]) -> dict[str, str]:
    cache = folder.hashes()
    missing = [k for k in keys if k not in cache]
    for k in missing:
        cache[k] = b64(psi.hash_to_group(k))
    if missing:
        folder.save_hashes(cache)
    return cache


def _my_set(client: Client, peer: dict[str, Any], keys: Sequence[str]) -> tuple[list[str], bytes]:
    """My blinded cells for this peer, padded with dummies and sorted by value; with each
    position's cell key ("" for a dummy)."""
    hashes = _hashed(client.folder, keys)
    scalar = unb64(peer["scalar"])
    old: dict[str, str] = peer.get("blinded", {})
    todo = [k for k in keys if k not in old]
    fresh = psi.blind((unb64(hashes[k]) for k in todo), scalar)
    blinded = {k: old[k] for k in keys if k in old} | dict(zip(todo, map(b64, fresh), strict=True))
    dummies: list[str] = peer.get("dummies", [])
    want = psi.padded_size(len(keys)) - len(keys)
    dummies = (dummies + [b64(psi.dummy()) for _ in range(want - len(dummies))])[:want]
    peer["blinded"], peer["dummies"] = blinded, dummies
    rows = sorted([(unb64(v), k) for k, v in blinded.items()] + [(unb64(d), "") for d in dummies])
    return [k for _, k in rows], psi.pack([p for p, _ in rows])


def _reblind(peer: dict[str, Any], points: list[bytes]) -> list[bytes]:
    """The peer's points raised to my scalar, reusing what earlier rounds computed (a point
    is checked to be a group element once, before its first use)."""
    scalar, cache = unb64(peer["scalar"]), peer.get("reblind_cache", {})
    out: list[str] = []
    fresh: dict[str, str] = {}
    for p in points:
        key = b64(p)
        done = cache.get(key) or fresh.get(key)
        if done is None:
            done = fresh[key] = b64(psi.blind_received([p], scalar, "points")[0])
        out.append(done)
    peer["reblind_cache"] = {b64(p): v for p, v in zip(points, out, strict=True)}
    return [unb64(v) for v in out]


def _peer(client: Client, me: str, peer_id: str, name: str, key: bytes) -> dict[str, Any]:
    peer = client.folder.peer(peer_id)
    if not peer:
        peer = {"scalar": b64(psi.new_scalar()), "public_key": b64(key), "name": name}
    elif peer["public_key"] != b64(key):  # trust on first use: a swapped key stops the rounds
        pinned = fingerprint(PublicKey(unb64(peer["public_key"])))
        raise RelayError(
            0,
            "key_changed",
            f"{name}'s public key changed (pinned {pinned}, now {fingerprint(PublicKey(key))}):"
            " check it out of band, then remove the peer's file to accept it",
        )
    peer["low"] = me < peer_id
    return peer


# The peer's latest set as this process re-blinded it, by (scalar, digest of the set).
_REBLINDED: dict[tuple[str, str], list[bytes]] = {}
_COVERS: dict[tuple[str, bool, str, str], dict[str, list[Source]]] = {}


def _cover(client: Client, low: bool) -> tuple[list[Operation], dict[str, list[Source]]]:
    """The plan and its cover (memoised by the plan's content: a pass covers it once)."""
    ops = client.folder.plan()
    key = (client.folder.plan_digest(), low, repr(client.rules), repr(client.settings))
    if key not in _COVERS:
        if len(_COVERS) >= 8:
            _COVERS.clear()
        _COVERS[key] = plan_cover(ops, low, client.rules, client.settings)
    return ops, _COVERS[key]


def publish(client: Client, me: str, peer_id: str, peer: dict[str, Any]) -> bool:
    """Publish my blinded cells for the peer if they changed; True if a new round began."""
    _, cover = _cover(client, peer["low"])
    keys = sorted(cover)
    cells = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    if peer.get("cells") == cells and peer.get("digest"):
        return False  # the same cells as the set published: nothing to blind or send
    order, points = _my_set(client, peer, keys)
    digest = hashlib.sha256(points).hexdigest()
    peer["cells"] = cells
    if peer.get("digest") == digest:
        return False
    peer["round"] = client.relay.put_set(peer_id, points)
    peer["digest"], peer["order"] = digest, order
    return True


def _conflicts(
    client: Client,
    me_key: PrivateKey,
    peer: dict[str, Any],
    mine: list[Operation],
    theirs: list[Operation],
    probes: list[str],
) -> dict[str, dict[str, Any]]:
    """The conflicts of the two clipped plans, by ref, as both parties see them (the lower
    party id's side first): the record each side seals is the same."""
    their_key = PublicKey(unb64(peer["public_key"]))
    low, high = (mine, theirs) if peer["low"] else (theirs, mine)
    found: dict[str, dict[str, Any]] = {}
    for c in private_conflicts(low, high, client.rules):
        found[conflict_ref(me_key, their_key, c.a_operation, c.b_operation)] = {
            "low_operation": c.a_operation,
            "low_kind": c.a_kind.value,
            "high_operation": c.b_operation,
            "high_kind": c.b_kind.value,
            "regions": [region_to_json(r) for r in c.regions],
        }
    if probes:  # cells they matched without a volume behind them: probing, made visible
        ref = conflict_ref(
            me_key, their_key, "probe", hashlib.sha256("".join(probes).encode()).hexdigest()
        )
        found[ref] = {"probe": True, "cells": len(probes)}
    return found


def _report(
    client: Client, me_key: PrivateKey, peer_id: str, peer: dict[str, Any], found: dict[str, Any]
) -> tuple[int, int]:
    their_key = PublicKey(unb64(peer["public_key"]))
    known: dict[str, Any] = peer.get("conflicts", {})
    opened = resolved = 0
    for ref, record in found.items():
        if known.get(ref, {}).get("record") != record or known[ref].get("status") != "open":
            sealed = seal(me_key, their_key, record)
            view = client.relay.report(peer_id, ref, "open", sealed)
            known[ref] = {"record": record, "status": "open", "id": view["id"]}
            opened += 1
    for ref, entry in known.items():
        if ref not in found and entry.get("status") == "open":
            client.relay.report(peer_id, ref, "resolved", None)
            entry["status"] = "resolved"
            resolved += 1
    peer["conflicts"] = known
    return opened, resolved


def sync_peer(client: Client, me: str, peer_id: str, name: str, key: bytes) -> PeerReport:
    """One pass of the protocol with one counterpart."""
    relay, me_key = client.relay, client.folder.identity()
    peer = _peer(client, me, peer_id, name, key)
    published = publish(client, me, peer_id, peer)
    theirs = relay.get_set(peer_id)
    reblinded, shared, refined, opened, resolved = False, None, False, 0, 0
    if theirs is not None:
        their_round, their_points = theirs[0], psi.unpack(theirs[1], "points")
        memo = (peer["scalar"], hashlib.sha256(theirs[1]).hexdigest())
        doubled = _REBLINDED.get(memo) or _reblind(peer, their_points)
        if len(_REBLINDED) >= 16:
            _REBLINDED.clear()
        _REBLINDED[memo] = doubled
        if peer.get("their_round") != their_round:
            relay.put_reblinded(peer_id, their_round, psi.pack(doubled))
            peer["their_round"], reblinded = their_round, True
        mine = relay.get_reblinded(peer_id)
        if mine is not None and mine[0] == peer["round"]:
            points = psi.unpack(mine[1], "points")
            ours = set(doubled)
            keys = {k for k, p in zip(peer["order"], points, strict=True) if k and p in ours}
            shared = len(keys)
            ops, cover = _cover(client, peer["low"])
            clipped = clipped_plan(ops, shared_by_volume(keys, cover), client.settings)
            payload = {
                "sender_round": peer["round"],
                "recipient_round": their_round,
                "ops": plan_to_json(clipped),
            }
            digest = hashlib.sha256(repr(payload).encode()).hexdigest()
            if peer.get("refinement") != digest:
                relay.put_refinement(peer_id, seal(me_key, PublicKey(key), payload))
                peer["refinement"], refined = digest, True
            got = relay.get_refinement(peer_id)
            if got is not None:
                theirs_plan = open_sealed(me_key, PublicKey(key), got)
                if (
                    theirs_plan.get("sender_round") == their_round
                    and theirs_plan.get("recipient_round") == peer["round"]
                ):
                    mine_ops = plan_from_json(plan_to_json(clipped), me)
                    their_ops = plan_from_json(theirs_plan.get("ops"), peer_id)
                    probes = unexplained(
                        keys, their_ops, not peer["low"], client.rules, client.settings
                    )
                    found = _conflicts(client, me_key, peer, mine_ops, their_ops, probes)
                    opened, resolved = _report(client, me_key, peer_id, peer, found)
    client.folder.save_peer(peer_id, peer)
    return PeerReport(peer_id, name, published, reblinded, shared, refined, opened, resolved)


def submit(client: Client, ops: list[Operation]) -> list[PeerReport]:
    """Store the plan locally, publish the public key, and publish blinded cells to every
    other private party (the plan itself never leaves the folder)."""
    client.folder.save_plan(ops)
    key = client.folder.identity()
    client.relay.publish_key(bytes(key.public_key))
    me = client.relay.me()
    out = []
    for peer_id, name, pk in client.relay.parties():
        peer = _peer(client, me, peer_id, name, pk)
        published = publish(client, me, peer_id, peer)
        client.folder.save_peer(peer_id, peer)
        out.append(PeerReport(peer_id, name, published, False, None, False, 0, 0))
    return out


def sync(client: Client) -> list[PeerReport]:
    """A pass of the rounds with every other private party."""
    me = client.relay.me()
    return [sync_peer(client, me, pid, name, pk) for pid, name, pk in client.relay.parties()]


def _as_seen(record: dict[str, Any], low: bool) -> dict[str, Any]:
    if record.get("probe"):
        return record
    me, other = ("low", "high") if low else ("high", "low")
    return {
        "my_operation": record[f"{me}_operation"],
        "my_kind": record[f"{me}_kind"],
        "other_operation": record[f"{other}_operation"],
        "other_kind": record[f"{other}_kind"],
        "regions": record["regions"],
    }


def local_conflicts(folder: Folder) -> list[dict[str, Any]]:
    """The decrypted conflicts the last passes found (open and resolved), for display."""
    out = []
    for peer_id in folder.peers():
        peer = folder.peer(peer_id)
        for ref, entry in sorted(peer.get("conflicts", {}).items()):
            out.append(
                {
                    "ref": ref,
                    "id": entry.get("id"),
                    "status": entry["status"],
                    "other_party": peer.get("name", peer_id),
                    **_as_seen(entry["record"], peer["low"]),
                }
            )
    return out
