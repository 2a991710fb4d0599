// The conflict list (most urgent first), the selected conflict's facts and its thread.
import { conflictSpan } from "./volumes.js";
import { escapeHtml as h, metres, relative, utc } from "./format.js";
import { isEscalated } from "./map.js";
import { keepFocus } from "./focus.js";

/** Urgency: unresolved before resolved, then by how soon the overlap starts. */
export function byUrgency(a, b) {
  const ra = a.status === "resolved" ? 1 : 0;
  const rb = b.status === "resolved" ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const sa = conflictSpan(a).start ?? Infinity;
  const sb = conflictSpan(b).start ?? Infinity;
  return sa - sb || String(a.id).localeCompare(String(b.id));
}

function statusBadge(status) {
  return `<span class="badge status-${h(status)}">${h(status)}</span>`;
}

function opName(ctx, id) {
  const op = ctx.operations.get(id);
  return op ? op.label || op.id.slice(0, 8) : "your operation";
}

export function renderConflicts(ctx, list) {
  const ul = ctx.$("conflict-list");
  const sorted = [...list].sort(byUrgency);
  ctx.$("conflict-count").textContent = String(sorted.filter((c) => c.status !== "resolved").length);
  ctx.$("conflict-empty").hidden = sorted.length > 0;
  keepFocus(ul, () => {
    ul.innerHTML = sorted.map((c) => conflictItem(ctx, c)).join("");
  });
  for (const li of ul.children) {
    const id = li.dataset.conflictId;
    li.querySelector('[data-action="open"]').addEventListener("click", () => selectConflict(ctx, id));
    li.querySelector('[data-action="ack"]')?.addEventListener("click", () => acknowledge(ctx, id));
    li.querySelector('[data-action="zoom"]').addEventListener("click", () => ctx.view.focus("conflict", id));
  }
}

function conflictItem(ctx, c) {
  const span = conflictSpan(c);
  const escalated = isEscalated(c);
  const selected = c.id === ctx.selectedConflictId;
  const canAck = c.status !== "resolved" && c.my_status !== "acknowledged";
  const when = span.start === null ? "" : span.start <= Date.now()
    ? `<span class="badge when">overlapping now</span>` : `<span class="badge when">${h(relative(span.start))}</span>`;
  return `<li class="item conflict status-${h(c.status)}${escalated ? " escalated" : ""}${selected ? " selected" : ""}"
      data-conflict-id="${h(c.id)}" data-status="${h(c.status)}">
    <div class="title">
      <button type="button" class="link" data-action="open" data-focus-key="open:${h(c.id)}"
        aria-label="Conflict with ${h(c.other_party)}: open thread">Conflict with ${h(c.other_party)}</button>
      ${when}${escalated ? '<span class="badge escalated">escalated</span>' : ""}
    </div>
    <div class="meta">your ${h(c.my_kind)} “${h(opName(ctx, c.my_operation_id))}” × their ${h(c.other_kind)}</div>
    <div class="meta">${metres(span.lower)}–${metres(span.upper)} · ${utc(span.start)} → ${utc(span.end)}</div>
    <div class="meta sides">
      <span class="my-status">You: ${statusBadge(c.my_status)}</span> ·
      <span class="other-status">${h(c.other_party)}: ${statusBadge(c.other_status)}</span>
      ${c.status === "resolved" ? ` · ${statusBadge("resolved")}` : ""}
    </div>
    <div class="actions">
      ${canAck ? `<button type="button" class="small" data-action="ack" data-focus-key="ack:${h(c.id)}">Acknowledge</button>` : ""}
      <button type="button" class="small secondary" data-action="zoom" data-focus-key="zoom:${h(c.id)}">Show on map</button>
    </div>
  </li>`;
}

export async function acknowledge(ctx, id) {
  try {
    const updated = await ctx.client.acknowledge(id);
    if (updated && updated.id) ctx.conflicts.set(updated.id, updated);
    else await ctx.reloadConflicts();
    ctx.render();
    const c = ctx.conflicts.get(id);
    ctx.announce(`Acknowledged the conflict with ${c ? c.other_party : "the other party"}.`);
  } catch (err) {
    ctx.announce(`Could not acknowledge: ${err.message}`, { assertive: true });
  }
}

export function selectConflict(ctx, id) {
  ctx.selectedConflictId = id;
  ctx.render();
  ctx.$("conflict-detail").hidden = false;
  ctx.$("detail-heading").focus();
  ctx.view.focus("conflict", id);
  reloadThread(ctx);
}

export function renderDetail(ctx) {
  const c = ctx.conflicts.get(ctx.selectedConflictId);
  const section = ctx.$("conflict-detail");
  if (!c) { section.hidden = true; return; }
  section.hidden = false;
  section.classList.toggle("escalated", isEscalated(c));
  const span = conflictSpan(c);
  ctx.$("detail-heading").textContent = `Conflict with ${c.other_party}`;
  const facts = [
    ["Status", `${c.status}${isEscalated(c) ? " · ESCALATED" : ""}`],
    ["Your side", `${c.my_kind} “${opName(ctx, c.my_operation_id)}” · ${c.my_status}`],
    [`${c.other_party}`, `${c.other_kind} · ${c.other_status}`],
    ["Overlap", `${utc(span.start)} → ${utc(span.end)} (${relative(span.start)})`],
    ["Altitudes", `${metres(span.lower)} – ${metres(span.upper)} (WGS84)`],
    ["Opened", utc(Date.parse(c.opened_at))],
  ];
  ctx.$("detail-facts").innerHTML = facts.map(([k, v]) => `<dt>${h(k)}</dt><dd>${h(v)}</dd>`).join("");
  const ack = ctx.$("detail-ack");
  ack.disabled = c.status === "resolved" || c.my_status === "acknowledged";
  ack.textContent = c.my_status === "acknowledged" ? "Acknowledged" : "Acknowledge";
}

export async function reloadThread(ctx) {
  const id = ctx.selectedConflictId;
  if (!id) return;
  const ol = ctx.$("thread");
  try {
    const messages = await ctx.client.messages(id);
    if (id !== ctx.selectedConflictId) return;
    ol.innerHTML = messages.length ? messages.map((m) => messageItem(ctx, m)).join("")
      : '<li class="empty">No messages yet.</li>';
    ol.scrollTop = ol.scrollHeight;
  } catch (err) {
    ol.innerHTML = `<li class="error">Could not load the thread: ${h(err.message)}</li>`;
  }
}

// The API's messages are plain text; the console's structured types travel as a prefix.
const TYPED = /^\[(info|proposal|agreed)\]\s*/;

export function typedBody(type, text) {
  return `[${type}] ${text}`;
}

export function parseBody(body) {
  const m = TYPED.exec(body || "");
  return m ? { type: m[1], text: body.slice(m[0].length) } : { type: "info", text: body || "" };
}

function messageItem(ctx, m) {
  const author = m.from_party || m.party || "";
  const mine = ctx.me && author === ctx.me.name;
  const { type, text } = parseBody(m.body ?? m.text);
  const when = Date.parse(m.created_at || "");
  return `<li class="${mine ? "mine" : ""}">
    <span class="who">${h(mine ? "You" : author)}</span>
    <span class="msg-type ${h(type)}">${h(type)}</span>
    <span class="when">${Number.isNaN(when) ? "" : h(utc(when))}</span>
    <div class="text">${h(text)}</div></li>`;
}

export function setUpDetail(ctx) {
  ctx.$("detail-ack").addEventListener("click", () => acknowledge(ctx, ctx.selectedConflictId));
  ctx.$("detail-zoom").addEventListener("click", () => ctx.view.focus("conflict", ctx.selectedConflictId));
  ctx.$("detail-close").addEventListener("click", () => {
    const id = ctx.selectedConflictId;
    ctx.selectedConflictId = null;
    ctx.render();
    document.querySelector(`[data-focus-key="open:${CSS.escape(id)}"]`)?.focus();
  });
  ctx.$("message-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = ctx.$("message-text").value.trim();
    const error = ctx.$("message-error");
    error.textContent = "";
    if (!text) { error.textContent = "Write a message first."; return; }
    try {
      await ctx.client.sendMessage(ctx.selectedConflictId, { body: typedBody(ctx.$("message-type").value, text) });
      ctx.$("message-text").value = "";
      await reloadThread(ctx);
    } catch (err) {
      error.textContent = `Not sent: ${err.message}`;
    }
  });
}
