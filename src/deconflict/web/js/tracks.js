// Live traffic: the party's own aircraft (polled from GET /v1/tracks) and what the events
// disclose of the others. Field names are those the service emits (service/alerts.py,
// service/conformance.py, api/track_schemas.py):
//  - tactical.alert  {id (the pair), reason: new|los|realert|nonconforming, other_party, los,
//                     tcpa_s, dcpa_m, t_in_s, time, cpa: {lat, lng},
//                     mine: {id, lat, lng, alt_m, gs_mps, trk_deg, vs_mps}, other: {id: alias, ...}}
//  - tactical.alert  {reason: "nonconformance", other_party, my_operation_id, other: {id: alias,
//                     ..., time}, region, region_geojson, time}: another party's aircraft that left
//                     its own operation is inside one of ours (no pair id, no `mine`)
//  - tactical.cleared {id, cleared, other_party, mine: {id}, other: {id}, time}
//  - nonconformance  {operation_id, track_id, lat, lng, alt_m, time, hits: [{other_party,
//                     other_kind, region, region_geojson}]}: one of ours left its operation
// Another party's aircraft is only ever known by the alias an event gives it.
// GET /v1/tracks/alerts answers {items, stale_s, realert_s, time}: the tactical.alert payloads
// (both kinds above) in force now, as last told, so a console that signs in or reconnects
// mid-conflict shows them at once (`load`), and the server's timings and clock.
import { escapeHtml as h, metres } from "./format.js";
import { keepFocus } from "./focus.js";

// No event says when an alert stops being true if nobody reports any more: the service re-tells
// an unchanged alert every `realert_s` while its aircraft report, and forgets tracks `stale_s`
// after their last state, so an alert not heard of for realert + stale is dropped here. A stray
// aircraft is re-checked (and re-told) every `realert_s`; nothing tells when it has left, so it
// is dropped after three missed re-checks (or realert + stale, if that is sooner). The timings
// are the service's (GET /v1/tracks/alerts); these are its defaults until it has answered.
const DEFAULT_TIMINGS = { stale_s: 60, realert_s: 15 };

/** {alertMs, strayMs}: how long an alert or a stray aircraft not told again is kept. */
export function lifetimes({ stale_s: stale, realert_s: realert }) {
  return {
    alertMs: (realert + stale) * 1000,
    strayMs: Math.min(3 * realert, realert + stale) * 1000,
  };
}
const MAX_LISTED_TRACKS = 12;

/** Point at `distance` metres along `bearingDeg` on a sphere: fine for a minute or two. */
export function destination(from, bearingDeg, distance) {
  const R = 6371008.8;
  const d = distance / R;
  const b = (bearingDeg * Math.PI) / 180;
  const lat1 = (from.lat * Math.PI) / 180;
  const lng1 = (from.lng * Math.PI) / 180;
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lng2 = lng1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1),
    Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return { lat: (lat2 * 180) / Math.PI, lng: ((((lng2 * 180) / Math.PI) + 540) % 360) - 180 };
}

/** An aircraft state moved on along its track for `seconds` (dead reckoning). */
function ahead(state, seconds) {
  if (!state.gs_mps || !(seconds > 0) || state.trk_deg === null || state.trk_deg === undefined) {
    return state;
  }
  const at = destination(state, state.trk_deg, state.gs_mps * Math.min(seconds, 120));
  return { ...state, ...at, alt_m: state.alt_m + (state.vs_mps || 0) * Math.min(seconds, 120) };
}

/** "45 s", "1 min 05 s" */
export function seconds(s) {
  const v = Math.max(0, Math.round(s));
  if (v < 60) return `${v} s`;
  return `${Math.floor(v / 60)} min ${String(v % 60).padStart(2, "0")} s`;
}

function distance(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(1)} km` : `${Math.round(m)} m`;
}

const shortAlias = (alias) => String(alias).replace(/^(trk|nc)-/, "").slice(0, 4);

export function createLive() {
  const own = new Map(); // aircraft id -> state from GET /v1/tracks
  const alerts = new Map(); // pair id -> {data, at}
  const strays = new Map(); // alias -> {data, at}
  const notices = new Map(); // own aircraft id -> {data, at} (nonconformance)
  const cleared = new Map(); // pair id -> {time (server ms), at}: a late snapshot must not revive it
  let polledAt = null;
  let timings = { ...DEFAULT_TIMINGS };
  let ttl = lifetimes(timings);

  /** The service's stale time and re-alert interval (as GET /v1/tracks/alerts answers). */
  function setTimings({ stale_s: stale, realert_s: realert }) {
    if (!(stale > 0) || !(realert > 0)) return;
    timings = { stale_s: stale, realert_s: realert };
    ttl = lifetimes(timings);
  }

  const told = (data) => Date.parse(data.time);
  /** Whether `data` was told before what is already known of the same alert. */
  const older = (data, known) => Boolean(known) && told(data) < told(known.data);
  /** Whether a snapshot's `data` adds nothing to what is known (told no later). */
  const nothingNew = (data, known) => Boolean(known) && !(told(data) > told(known.data));

  function setOwn(items, now = Date.now()) {
    own.clear();
    for (const t of items) own.set(t.id, t);
    polledAt = now;
    for (const id of [...notices.keys()]) {
      const t = own.get(id);
      if (!t || !t.nonconforming) notices.delete(id);
    }
  }

  function expire(now = Date.now()) {
    for (const [id, a] of alerts) if (now - a.at > ttl.alertMs) alerts.delete(id);
    for (const [id, s] of strays) if (now - s.at > ttl.strayMs) strays.delete(id);
    for (const [id, c] of cleared) if (now - c.at > ttl.alertMs) cleared.delete(id);
  }

  /**
   * Takes GET /v1/tracks/alerts' answer: adds what is in force and not known yet, or newer than
   * what is known (a live event may have overtaken it); answers what to announce, or null.
   */
  function load(snapshot, now = Date.now()) {
    setTimings(snapshot);
    const serverNow = Date.parse(snapshot.time);
    const added = { alerts: 0, los: 0, strays: 0 };
    for (const data of snapshot.items || []) {
      // When it was told, on this browser's clock: the server's clock may differ from ours.
      const age = serverNow - told(data);
      const at = Number.isFinite(age) ? now - Math.max(0, age) : now;
      if (data.reason === "nonconformance") {
        const alias = data.other && data.other.id;
        const known = strays.get(alias);
        if (!alias || nothingNew(data, known) || now - at > ttl.strayMs) continue;
        strays.set(alias, { data, at });
        if (!known) added.strays += 1;
      } else if (data.id && data.mine && data.other) {
        const known = alerts.get(data.id);
        const gone = cleared.get(data.id);
        if (nothingNew(data, known) || (gone && gone.time >= told(data))) continue;
        alerts.set(data.id, { data, at });
        if (!known) {
          added.alerts += 1;
          if (data.los) added.los += 1;
        }
      }
    }
    if (!added.alerts && !added.strays) return null;
    const parts = [];
    if (added.alerts) {
      const los = added.los ? ` (${added.los} with loss of separation)` : "";
      parts.push(`Tactical alerts in force: ${added.alerts}${los}.`);
    }
    if (added.strays) {
      parts.push(`Aircraft of other parties that left their own operations inside yours: ${added.strays}.`);
    }
    return { text: parts.join(" "), assertive: true };
  }

  /** Takes a live event; answers what to announce: {text, assertive} or null. */
  function onEvent(type, data, opName, now = Date.now()) {
    if (type === "tactical.alert" && data.reason === "nonconformance") {
      const alias = data.other && data.other.id;
      if (!alias || older(data, strays.get(alias))) return null;
      const known = strays.has(alias);
      strays.set(alias, { data, at: now });
      if (known) return null;
      return {
        text: `An aircraft of ${data.other_party} that left its own operation is inside your `
          + `operation ${opName(data.my_operation_id)}.`,
        assertive: true,
      };
    }
    if (type === "tactical.alert" && data.id && data.mine && data.other) {
      const before = alerts.get(data.id);
      if (older(data, before)) return null; // a replayed event behind a snapshot
      alerts.set(data.id, { data, at: now });
      const pair = `your ${data.mine.id} and an aircraft of ${data.other_party}`;
      if (data.los) {
        if (before && before.data.los) return null;
        return { text: `Loss of separation: ${pair}!`, assertive: true };
      }
      if (before && before.data.los) {
        return { text: `Separation regained: ${pair}; still converging.`, assertive: false };
      }
      if (before && data.reason === "realert") return null;
      const why = data.reason === "nonconforming" ? " (an aircraft left its operation)" : "";
      return {
        text: `Tactical alert${why}: ${pair}; separation lost in ${seconds(data.t_in_s)}, `
          + `closest ${distance(data.dcpa_m)} apart horizontally in ${seconds(data.tcpa_s)}.`,
        assertive: true,
      };
    }
    if (type === "tactical.cleared" && data.id) {
      cleared.set(data.id, { time: told(data), at: now });
      const before = alerts.get(data.id);
      // A snapshot may hold the pair alerted again after this (replayed) clearing.
      if (!before || told(before.data) > told(data)) return null;
      alerts.delete(data.id);
      const mine = data.mine && data.mine.id ? `your ${data.mine.id} and ` : "";
      return { text: `Tactical alert cleared: ${mine}the ${data.other_party} aircraft.`, assertive: false };
    }
    if (type === "nonconformance" && data.track_id) {
      notices.set(data.track_id, { data, at: now });
      const t = own.get(data.track_id);
      if (t) own.set(t.id, { ...t, nonconforming: true });
      const inside = (data.hits || []).map((x) => `${x.other_party}'s ${x.other_kind}`);
      return {
        text: `Nonconformance: ${data.track_id} left operation ${opName(data.operation_id)}`
          + `${inside.length ? `; it is now inside ${inside.join(", ")}` : ""}.`,
        assertive: true,
      };
    }
    return null;
  }

  /** What to draw and list at `now`: positions of others moved on from when they were told. */
  function view(now = Date.now()) {
    expire(now);
    const ownTracks = [...own.values()].map((t) => ({ ...t, own: true, label: t.id }));
    const others = [];
    const lines = [];
    const entries = [];
    for (const [id, { data, at }] of alerts) {
      const age = (now - at) / 1000;
      const other = ahead(data.other, age);
      const polled = own.get(data.mine.id);
      const mine = polled || ahead(data.mine, age);
      if (!polled) ownTracks.push({ ...mine, own: true, label: data.mine.id });
      others.push({ ...other, own: false, party: data.other_party, label: `${data.other_party} #${shortAlias(other.id)}` });
      lines.push({ id, from: mine, to: other, cpa: data.cpa, los: data.los });
      const tcpa = data.tcpa_s - age;
      const tin = data.t_in_s - age;
      entries.push({
        key: `alert:${id}`,
        rank: data.los ? 0 : 1,
        order: tin,
        kind: data.los ? "los" : "alert",
        title: data.los ? `LOSS OF SEPARATION with ${data.other_party}` : `Tactical alert with ${data.other_party}`,
        lines: [
          `your ${data.mine.id} (${metres(mine.alt_m)}) × their aircraft #${shortAlias(data.other.id)} (${metres(other.alt_m)})`,
          data.los ? `closest ${distance(data.dcpa_m)} apart horizontally${tcpa > 0 ? ` in ${seconds(tcpa)}` : ""}`
            : `separation lost in ${seconds(tin)} · closest ${distance(data.dcpa_m)} apart horizontally in ${seconds(tcpa)}`,
        ],
        focus: [mine, other, data.cpa],
        banner: data.los ? `Loss of separation with ${data.other_party}: your ${data.mine.id}!`
          : `Tactical alert with ${data.other_party}: your ${data.mine.id}, separation lost in ${seconds(tin)}.`,
      });
    }
    const regions = [];
    for (const [alias, { data, at }] of strays) {
      const other = ahead(data.other, (now - at) / 1000);
      others.push({ ...other, own: false, stray: true, party: data.other_party, label: `${data.other_party} #${shortAlias(alias)}` });
      regions.push({ id: `stray:${alias}`, geojson: data.region_geojson, stray: true });
      entries.push({
        key: `stray:${alias}`,
        rank: 2,
        order: 0,
        kind: "stray",
        title: `Aircraft of ${data.other_party} in your operation`,
        lines: [`it left its own operation; now at ${metres(other.alt_m)}`, ""],
        operationId: data.my_operation_id,
        focus: [other],
        banner: `An aircraft of ${data.other_party} strayed into your operation.`,
      });
    }
    for (const t of own.values()) {
      if (!t.nonconforming) continue;
      const notice = notices.get(t.id);
      const hits = notice ? notice.data.hits || [] : [];
      hits.forEach((x, n) => regions.push({ id: `nc:${t.id}:${n}`, geojson: x.region_geojson, stray: false }));
      entries.push({
        key: `nc:${t.id}`,
        rank: 2,
        order: 1,
        kind: "nonconforming",
        title: `${t.id} outside its operation`,
        lines: [hits.length ? `inside ${hits.map((x) => `${x.other_party}'s ${x.other_kind}`).join(", ")}` : "", ""],
        operationId: t.operation_id,
        focus: [t],
        banner: `Nonconformance: ${t.id} is outside its operation.`,
      });
    }
    entries.sort((a, b) => a.rank - b.rank || a.order - b.order || a.key.localeCompare(b.key));
    return { own: ownTracks, others: mergeOthers(others), lines, regions, entries, polledAt };
  }

  function clear() {
    own.clear(); alerts.clear(); strays.clear(); notices.clear(); cleared.clear();
    polledAt = null;
  }

  return {
    setOwn, onEvent, load, setTimings, view, expire, clear, alerts, strays, notices, own,
    get timings() { return { ...timings }; },
  };
}

/** One aircraft in two of our pairs comes under two aliases at the same spot: draw it once. */
function mergeOthers(others) {
  const out = [];
  for (const o of others) {
    const twin = out.find((x) => x.party === o.party && Math.abs(x.alt_m - o.alt_m) < 1
      && Math.abs(x.lat - o.lat) < 2e-4 && Math.abs(x.lng - o.lng) < 2e-4);
    if (!twin) out.push(o);
  }
  return out;
}

/** The "Live traffic" card: alerts first, then the party's own aircraft. */
export function renderLive(ctx, v) {
  const $ = ctx.$;
  const opName = (id) => {
    const op = ctx.operations.get(id);
    return op ? `“${op.label || op.id.slice(0, 8)}”` : "";
  };
  $("alert-count").textContent = String(v.entries.length);
  $("alert-count").classList.toggle("hot", v.entries.length > 0);
  $("alert-empty").hidden = v.entries.length > 0;
  const alertHtml = v.entries.map((e) => `<li class="item live-alert kind-${e.kind}" data-alert-key="${h(e.key)}">
      <div class="title"><strong>${h(e.title)}</strong></div>
      ${e.lines.filter(Boolean).map((l) => `<div class="meta">${h(l)}</div>`).join("")}
      ${e.operationId ? `<div class="meta">your operation ${h(opName(e.operationId))}</div>` : ""}
      <div class="actions"><button type="button" class="small secondary" data-action="zoom"
        data-focus-key="zoom:${h(e.key)}">Show on map</button></div></li>`).join("");
  const ul = $("alert-list");
  if (ul.dataset.html !== alertHtml) {
    keepFocus(ul, () => { ul.innerHTML = alertHtml; });
    ul.dataset.html = alertHtml;
    for (const li of ul.children) {
      const entry = v.entries.find((e) => e.key === li.dataset.alertKey);
      li.querySelector('[data-action="zoom"]').addEventListener("click", () => {
        const now = ctx.live.view().entries.find((e) => e.key === entry.key) || entry;
        ctx.view.focusPoints(now.focus);
      });
    }
  }
  const banner = $("alert-banner");
  const top = v.entries[0];
  banner.hidden = !top;
  banner.textContent = top ? top.banner : "";
  banner.classList.toggle("los", Boolean(top && top.kind === "los"));

  const mine = [...v.own].filter((t) => ctx.live.own.has(t.id)).sort((a, b) => a.id.localeCompare(b.id));
  $("track-count").textContent = String(mine.length);
  const rows = mine.slice(0, MAX_LISTED_TRACKS).map((t) => `<li class="${t.nonconforming ? "nonconforming" : ""}">
      <span class="track-id">${h(t.id)}</span> ${metres(t.alt_m)} · ${Math.round(t.gs_mps)} m/s · ${Math.round(t.trk_deg)}°
      ${t.operation_id ? `· ${h(opName(t.operation_id) || "operation")}` : ""}
      ${t.nonconforming ? '<span class="badge nonconforming">outside</span>' : ""}</li>`);
  if (mine.length > MAX_LISTED_TRACKS) rows.push(`<li class="more">and ${mine.length - MAX_LISTED_TRACKS} more</li>`);
  const tl = $("track-list");
  const trackHtml = rows.join("");
  if (tl.dataset.html !== trackHtml) { tl.innerHTML = trackHtml; tl.dataset.html = trackHtml; }
  $("track-empty").hidden = mine.length > 0;
}
