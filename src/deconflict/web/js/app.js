// The operator console: sign in, keep the party's operations and conflicts in view, live.
import { ApiError, createClient } from "./api.js";
import { openEventStream } from "./events.js";
import { createMap } from "./map.js";
import { createDrawTool } from "./draw.js";
import { operationSpan, conflictSpan } from "./volumes.js";
import { duration, relative } from "./format.js";
import { renderConflicts, renderDetail, reloadThread, selectConflict, setUpDetail } from "./conflicts.js";
import { renderOperations, setUpOperationForm } from "./operations.js";
import { createLive, renderLive } from "./tracks.js";

const KEY_STORAGE = "deconflict.apiKey";
const HOUR = 3600e3;
// Stops of the time slider: what is shown starts before now + this.
const TRACK_POLL_MS = 1000; // own aircraft: GET /v1/tracks this often
const HORIZONS = [1, 6, 24, 72, 168, 720, 2160, 8760, Infinity].map((h) => h * HOUR);
const $ = (id) => document.getElementById(id);

const ctx = {
  client: null,
  me: null,
  view: null,
  draw: null,
  stream: null,
  operations: new Map(),
  conflicts: new Map(),
  selectedConflictId: null,
  horizon: Infinity,
  showFinished: false,
  fitted: false,
  live: createLive(),
  trackTimer: null,
  $,
  announce,
  render,
  reloadConflicts,
  reloadOperations,
  visibleWindow,
};
window.deconflictConsole = ctx; // for debugging in the browser console (and the tests)

const pending = { polite: [], assertive: [] };

function announce(text, { assertive = false } = {}) {
  const which = assertive ? "assertive" : "polite";
  const queue = pending[which];
  queue.push(text);
  if (queue.length > 1) return; // said together with what came in the same moment
  const region = $(`announce-${which}`);
  region.textContent = "";
  // A fresh text node after a tick makes screen readers speak repeated messages too.
  setTimeout(() => { region.textContent = queue.splice(0).join(" "); }, 50);
}

/** Whether something spanning [start, end) is shown under the time control. */
function visibleWindow(start, end, finished) {
  const now = Date.now();
  if (finished && !ctx.showFinished) return false;
  if (!ctx.showFinished && end !== null && end <= now) return false;
  return start === null || start < now + ctx.horizon;
}

function render() {
  const ops = [...ctx.operations.values()];
  const visibleOps = ops.filter((op) => {
    const span = operationSpan(op);
    return visibleWindow(span.start, span.end, op.state === "cancelled" || op.state === "ended");
  });
  const conflicts = [...ctx.conflicts.values()].filter((c) => {
    const span = conflictSpan(c);
    return visibleWindow(span.start, span.end, c.status === "resolved");
  });
  ctx.view.setOperations(visibleOps);
  ctx.view.setConflicts(conflicts, ctx.selectedConflictId);
  renderOperations(ctx, visibleOps);
  renderConflicts(ctx, conflicts);
  renderDetail(ctx);
  if (!ctx.fitted && (visibleOps.length || conflicts.length)) {
    ctx.fitted = ctx.view.fitToContent();
  }
}

async function reloadOperations() {
  const items = await ctx.client.operations();
  ctx.operations = new Map(items.map((op) => [op.id, op]));
  render();
}

async function reloadConflicts() {
  const items = await ctx.client.conflicts();
  const before = ctx.conflicts;
  ctx.conflicts = new Map(items.map((c) => [c.id, c]));
  render();
  return before;
}

/* ---- live events ---- */

function setStreamStatus(state) {
  const el = $("stream-status");
  el.dataset.state = state;
  const text = {
    connecting: "connecting…", live: "live", reconnecting: "reconnecting…",
    unauthorized: "not authorised", closed: "offline",
  }[state] || state;
  el.querySelector(".text").textContent = text;
  el.title = state === "reconnecting" ? "The event stream dropped; resuming where it left off" : "";
}

function onStreamStatus(state, detail = {}) {
  const was = $("stream-status").dataset.state;
  setStreamStatus(state);
  if (state === "live") {
    // Catch up on anything that changed before (or while) the stream was down.
    refreshAll().catch(showLoadError);
    if (was === "reconnecting") announce("Live updates resumed.");
  } else if (state === "reconnecting" && was === "live") {
    announce("Live updates interrupted; reconnecting.", { assertive: true });
  } else if (state === "unauthorized") {
    signOut("The API key is no longer accepted.");
  }
  return detail;
}

ctx.handleEvent = (event) => onEvent(event);

function onEvent(event) {
  const data = event.data && typeof event.data === "object" ? event.data : {};
  const type = event.type;
  if (type.startsWith("conflict.") && data.id && data.my_operation_id !== undefined) {
    const old = ctx.conflicts.get(data.id);
    ctx.conflicts.set(data.id, data);
    render();
    // Our operation may come from another client of the same party: fetch it to name it.
    if (!ctx.operations.has(data.my_operation_id)) reloadOperations().catch(showLoadError);
    announceConflict(type, data, old);
    return;
  }
  if (type === "conflict.message") {
    if (data.conflict_id === ctx.selectedConflictId) reloadThread(ctx);
    if (data.from_party && ctx.me && data.from_party !== ctx.me.name) {
      announce(`New message from ${data.from_party} on a conflict.`);
    }
    return;
  }
  if (type.startsWith("conflict.")) {
    reloadConflicts().catch(showLoadError);
    return;
  }
  if (type === "operation.overridden") {
    Promise.all([reloadConflicts(), reloadOperations()]).catch(showLoadError);
    announce(`An operation was activated over a conflict${data.other_party ? ` with ${data.other_party}` : ""}.`,
      { assertive: true });
    return;
  }
  if (type === "probe") {
    const op = ctx.operations.get(data.my_operation_id);
    announce(`Another party checked a volume that touches your operation ${op ? op.label || op.id : ""}.`);
    ctx.view.showProbe(data);
    return;
  }
  if (type === "tactical.shown") {
    // Another party was alerted about one of ours, which is not tied to an active flight of
    // ours that it conforms to: we are not shown theirs (README, "Disclosure").
    announce(`Your aircraft ${data.mine.id} was shown to ${data.other_party}; tie it to an active flight of yours to see theirs.`,
      { assertive: true });
    return;
  }
  if (type === "tactical.alert" || type === "tactical.cleared" || type === "nonconformance") {
    const said = ctx.live.onEvent(type, data, opLabel);
    renderTraffic();
    if (said) announce(said.text, { assertive: said.assertive });
  }
}

function opLabel(id) {
  const op = ctx.operations.get(id);
  return op ? `“${op.label || op.id.slice(0, 8)}”` : "(one of yours)";
}

/* ---- live traffic ---- */

function renderTraffic() {
  if (!ctx.view) return;
  const v = ctx.live.view();
  ctx.view.setLive(v);
  renderLive(ctx, v);
  if (!ctx.fitted && (v.own.length || v.others.length)) ctx.fitted = ctx.view.fitToContent();
}

/** The tactical alerts in force now (GET /v1/tracks/alerts), with the service's timings: at sign-in
 * and after each (re)connection of the stream, so an alert raised before is shown at once. */
async function reloadAlerts() {
  const client = ctx.client;
  if (!client) return;
  const snapshot = await client.alerts();
  if (client !== ctx.client) return; // signed out meanwhile
  const said = ctx.live.load(snapshot);
  renderTraffic();
  if (said) announce(said.text, { assertive: said.assertive });
}

async function pollTracks() {
  const client = ctx.client;
  if (!client) return;
  try {
    const items = await client.tracks();
    if (client !== ctx.client) return; // signed out meanwhile
    ctx.live.setOwn(items);
  } catch (err) {
    showLoadError(err);
  }
  renderTraffic();
}

function startTracks() {
  stopTracks();
  const tick = async () => {
    await pollTracks();
    if (ctx.client) ctx.trackTimer = setTimeout(tick, TRACK_POLL_MS);
  };
  tick();
}

function stopTracks() {
  clearTimeout(ctx.trackTimer);
  ctx.trackTimer = null;
}

function announceConflict(type, c, old) {
  const span = conflictSpan(c);
  const when = span.start !== null ? `, overlap starts ${relative(span.start)}` : "";
  if (type === "conflict.opened" && (!old || old.status === "resolved")) {
    announce(`New conflict with ${c.other_party}: your ${c.my_kind} and their ${c.other_kind}${when}.`);
  } else if (type === "conflict.acknowledged" && c.other_status === "acknowledged") {
    announce(`${c.other_party} acknowledged the conflict.`);
  } else if (type === "conflict.resolved") {
    announce(`Conflict with ${c.other_party} resolved.`);
  } else if (type === "conflict.escalated") {
    announce(`Conflict with ${c.other_party} escalated${when}.`, { assertive: true });
  }
}

/* ---- sign in / out ---- */

async function refreshAll() {
  await Promise.all([reloadOperations(), reloadConflicts(), reloadAlerts()]);
}

function showLoadError(err) {
  console.error(err);
  if (err instanceof ApiError && err.status === 401) signOut("The API key is no longer accepted.");
}

async function signIn(key) {
  const client = createClient(key);
  const me = await client.me();
  sessionStorage.setItem(KEY_STORAGE, key);
  ctx.client = client;
  ctx.me = me;
  $("party-name").textContent = me.name;
  $("party-name").hidden = false;
  $("sign-out").hidden = false;
  $("sign-in").hidden = true;
  $("console").hidden = false;
  if (!ctx.view) startMap();
  ctx.view.map.invalidateSize();
  await refreshAll();
  ctx.stream = openEventStream({ key, onEvent, onStatus: onStreamStatus });
  startTracks();
  $("conflicts-heading").focus();
}

function signOut(message = "") {
  sessionStorage.removeItem(KEY_STORAGE);
  if (ctx.stream) ctx.stream.close();
  ctx.stream = null;
  ctx.client = null;
  stopTracks();
  ctx.live.clear();
  if (ctx.view) renderTraffic();
  ctx.operations = new Map();
  ctx.conflicts = new Map();
  ctx.selectedConflictId = null;
  ctx.fitted = false;
  setStreamStatus("closed");
  $("party-name").hidden = true;
  $("sign-out").hidden = true;
  $("console").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("api-key").value = "";
  $("api-key").focus();
}

function startMap() {
  ctx.view = createMap($("map"), {
    onSelectConflict: (id) => selectConflict(ctx, id),
    onSelectOperation: (id) => {
      const item = document.querySelector(`[data-operation-id="${CSS.escape(id)}"]`);
      if (item) { item.scrollIntoView({ block: "nearest" }); item.querySelector("button")?.focus(); }
    },
  });
  restoreView();
  ctx.view.map.on("moveend", saveView);
  setUpOperationForm(ctx, createDrawTool);
}

/** The map view lives in the address (#map=lat,lng,zoom) so a view can be bookmarked. */
function restoreView() {
  const m = /map=(-?[\d.]+),(-?[\d.]+),([\d.]+)/.exec(location.hash);
  if (!m) return;
  ctx.view.map.setView([Number(m[1]), Number(m[2])], Number(m[3]));
  ctx.fitted = true;
}

function saveView() {
  const c = ctx.view.map.getCenter();
  history.replaceState(null, "", `#map=${c.lat.toFixed(5)},${c.lng.toFixed(5)},${ctx.view.map.getZoom()}`);
}

/* ---- time control ---- */

function setUpTime() {
  const slider = $("horizon");
  const update = () => {
    ctx.horizon = HORIZONS[Number(slider.value)];
    const text = Number.isFinite(ctx.horizon) ? `now + ${duration(ctx.horizon)}` : "all planned";
    $("horizon-value").textContent = text;
    slider.setAttribute("aria-valuetext", text);
    if (ctx.view) render();
  };
  slider.addEventListener("input", update);
  $("show-finished").addEventListener("change", (e) => {
    ctx.showFinished = e.target.checked;
    if (ctx.view) render();
  });
  update();
  // Relative times ("in 2 h") and the time filter move with the clock.
  // Operations changed by other clients of the same party raise no event: poll for them.
  setInterval(() => { if (ctx.client) reloadOperations().catch(showLoadError); }, 30000);
}

function boot() {
  setUpTime();
  setUpDetail(ctx);
  $("sign-in-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    $("sign-in-error").textContent = "";
    try {
      await signIn(key);
    } catch (err) {
      $("sign-in-error").textContent = err instanceof ApiError && err.status === 401
        ? "That API key is not accepted." : `Could not sign in: ${err.message}`;
    }
  });
  $("sign-out").addEventListener("click", () => signOut());
  const saved = sessionStorage.getItem(KEY_STORAGE);
  if (saved) signIn(saved).catch(() => signOut("Please sign in again."));
  else $("api-key").focus();
}

boot();
