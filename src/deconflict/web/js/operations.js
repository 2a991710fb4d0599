// Own operations: the list (activate, end, cancel, edit label) and the form that creates one
// from a footprint drawn on the map or typed in.
import { ApiError, conflictIdsOf } from "./api.js";
import { conflictSpan, operationSpan, volume4d } from "./volumes.js";
import { escapeHtml as h, fromInput, metres, toInput, utc } from "./format.js";
import { keepFocus } from "./focus.js";

const CANCEL_CONFIRM_MS = 5000;

export function renderOperations(ctx, list) {
  const ul = ctx.$("operation-list");
  const sorted = [...list].sort((a, b) => operationSpan(a).start - operationSpan(b).start);
  ctx.$("operation-count").textContent = String(sorted.length);
  ctx.$("operation-empty").hidden = sorted.length > 0;
  const openByOp = new Map();
  for (const c of ctx.conflicts.values()) {
    if (c.status !== "resolved") openByOp.set(c.my_operation_id, (openByOp.get(c.my_operation_id) || 0) + 1);
  }
  keepFocus(ul, () => {
    ul.innerHTML = sorted.map((op) => operationItem(op, openByOp.get(op.id) || 0)).join("");
  });
  for (const li of ul.children) {
    const op = ctx.operations.get(li.dataset.operationId);
    const on = (action, fn) => li.querySelector(`[data-action="${action}"]`)?.addEventListener("click", fn);
    on("zoom", () => ctx.view.focus("operation", op.id));
    on("activate", () => activate(ctx, op.id));
    on("end", () => changeState(ctx, op.id, { state: "ended" }, "ended"));
    on("cancel", (e) => confirmCancel(ctx, op.id, e.currentTarget));
    li.querySelector("form")?.addEventListener("submit", (e) => {
      e.preventDefault();
      const label = e.currentTarget.querySelector("input").value;
      changeState(ctx, op.id, { label }, "relabelled");
    });
  }
}

function operationItem(op, openConflicts) {
  const span = operationSpan(op);
  const live = op.state === "planned" || op.state === "active";
  const name = op.label || op.id.slice(0, 8);
  return `<li class="item op kind-${h(op.kind)} state-${h(op.state)}" data-operation-id="${h(op.id)}"
      data-state="${h(op.state)}">
    <div class="title">
      <button type="button" class="link" data-action="zoom" data-focus-key="zoom:${h(op.id)}"
        aria-label="${h(name)}: show on map">${h(name)}</button>
      <span class="badge kind-${h(op.kind)}">${h(op.kind)}</span>
      <span class="badge state-${h(op.state)}">${h(op.state)}</span>
      <span class="meta">v${h(op.version)}</span>
    </div>
    <div class="meta">${metres(span.lower)}–${metres(span.upper)} · ${utc(span.start)} → ${utc(span.end)}
      · ${span.volumes.length} volume${span.volumes.length === 1 ? "" : "s"}</div>
    ${openConflicts ? `<div class="meta conflicts-note">${openConflicts} unresolved conflict${openConflicts === 1 ? "" : "s"}</div>` : ""}
    ${live ? `<div class="actions">
      ${op.state === "planned" ? `<button type="button" class="small" data-action="activate" data-focus-key="activate:${h(op.id)}">Activate</button>` : ""}
      ${op.state === "active" ? `<button type="button" class="small" data-action="end" data-focus-key="end:${h(op.id)}">End</button>` : ""}
      <button type="button" class="small secondary" data-action="cancel" data-focus-key="cancel:${h(op.id)}">Cancel operation</button>
    </div>
    <details><summary>Edit label</summary>
      <form class="row">
        <label for="label-${h(op.id)}">Label</label>
        <input id="label-${h(op.id)}" type="text" maxlength="200" value="${h(op.label)}">
        <button type="submit" class="small" data-focus-key="save:${h(op.id)}">Save</button>
      </form>
    </details>` : ""}
  </li>`;
}

function showListError(ctx, text) {
  ctx.$("operation-error").textContent = text;
  if (text) ctx.announce(text, { assertive: true });
}

function upsert(ctx, result) {
  if (result && result.operation) ctx.operations.set(result.operation.id, result.operation);
  for (const c of (result && result.conflicts) || []) if (c.id) ctx.conflicts.set(c.id, c);
  ctx.render();
}

async function changeState(ctx, id, body, verb) {
  const op = ctx.operations.get(id);
  showListError(ctx, "");
  try {
    upsert(ctx, await ctx.client.patchOperation(id, op.version, body));
    ctx.announce(`Operation ${op.label || op.id} ${verb}.`);
  } catch (err) {
    await explain(ctx, err);
  }
}

async function explain(ctx, err) {
  if (err instanceof ApiError && err.status === 412) {
    await ctx.reloadOperations();
    showListError(ctx, "The operation was changed elsewhere; the list is refreshed, try again.");
  } else {
    showListError(ctx, `Refused: ${err.message}`);
  }
}

function confirmCancel(ctx, id, button) {
  if (button.dataset.armed !== "yes") {
    button.dataset.armed = "yes";
    button.textContent = "Confirm cancel";
    button.classList.add("danger");
    setTimeout(() => {
      if (!button.isConnected) return;
      button.dataset.armed = "";
      button.textContent = "Cancel operation";
      button.classList.remove("danger");
    }, CANCEL_CONFIRM_MS);
    return;
  }
  cancel(ctx, id);
}

async function cancel(ctx, id) {
  const op = ctx.operations.get(id);
  showListError(ctx, "");
  try {
    upsert(ctx, await ctx.client.deleteOperation(id, op.version));
    await ctx.reloadConflicts();
    ctx.announce(`Operation ${op.label || op.id} cancelled.`);
  } catch (err) {
    await explain(ctx, err);
  }
}

/** Activate; when conflicts remain, ask which to override (all are listed) and try again. */
export async function activate(ctx, id, override = []) {
  const op = ctx.operations.get(id);
  showListError(ctx, "");
  try {
    const body = override.length ? { state: "active", override } : { state: "active" };
    upsert(ctx, await ctx.client.patchOperation(id, op.version, body));
    ctx.announce(`Operation ${op.label || op.id} is active${override.length ? `, overriding ${override.length} conflict${override.length === 1 ? "" : "s"}` : ""}.`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && err.code === "open_conflicts") {
      const chosen = await askOverride(ctx, op, err);
      if (chosen.length) await activate(ctx, id, chosen);
      return;
    }
    await explain(ctx, err);
  }
}

function blockingConflicts(ctx, op, err) {
  const e = err.error || {};
  const listed = e.conflicts || (e.details && e.details.conflicts) || [];
  const views = listed.map((c) => (typeof c === "string" ? ctx.conflicts.get(c) || { id: c } : c));
  if (views.length || conflictIdsOf(err).length) return views;
  return [...ctx.conflicts.values()].filter((c) => c.my_operation_id === op.id && c.status !== "resolved");
}

function askOverride(ctx, op, err) {
  const dialog = ctx.$("override-dialog");
  const conflicts = blockingConflicts(ctx, op, err);
  ctx.$("override-intro").textContent = `“${op.label || op.id}” still has ${conflicts.length} `
    + `unresolved conflict${conflicts.length === 1 ? "" : "s"}:`;
  ctx.$("override-list").innerHTML = conflicts.map((c, i) => {
    const span = conflictSpan(c);
    const text = `${c.other_party || "another party"}: your ${c.my_kind || op.kind} × their `
      + `${c.other_kind || "?"}, ${utc(span.start)} → ${utc(span.end)}, `
      + `${metres(span.lower)}–${metres(span.upper)} (you: ${c.my_status || "?"}, them: ${c.other_status || "?"})`;
    return `<li><input type="checkbox" id="override-${i}" value="${h(c.id || "")}" checked ${c.id ? "" : "disabled"}>
      <label for="override-${i}">${h(text)}</label></li>`;
  }).join("");
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const boxes = [...dialog.querySelectorAll("input[type=checkbox]:checked")];
      resolve(dialog.returnValue === "override" ? boxes.map((b) => b.value).filter(Boolean) : []);
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
  });
}

/* ---- the form ---- */

function readShape(ctx) {
  if (ctx.$("shape-circle").checked) {
    const lat = Number.parseFloat(ctx.$("center-lat").value);
    const lng = Number.parseFloat(ctx.$("center-lng").value);
    const radius = Number.parseFloat(ctx.$("radius").value);
    if (![lat, lng, radius].every(Number.isFinite) || radius <= 0) return null;
    return { type: "circle", center: { lat, lng }, radius };
  }
  const vertices = [];
  for (const line of ctx.$("vertices").value.split("\n")) {
    if (!line.trim()) continue;
    const [lat, lng] = line.split(/[\s,;]+/).filter(Boolean).map(Number.parseFloat);
    if (!Number.isFinite(lat) || !Number.isFinite(lng)) return null;
    vertices.push({ lat, lng });
  }
  return vertices.length >= 3 ? { type: "polygon", vertices } : null;
}

function writeShape(ctx, shape) {
  if (shape.type === "circle") {
    ctx.$("shape-circle").checked = true;
    ctx.$("center-lat").value = shape.center.lat.toFixed(6);
    ctx.$("center-lng").value = shape.center.lng.toFixed(6);
    ctx.$("radius").value = String(Math.round(shape.radius));
  } else {
    ctx.$("shape-polygon").checked = true;
    ctx.$("vertices").value = shape.vertices.map((v) => `${v.lat.toFixed(6)}, ${v.lng.toFixed(6)}`).join("\n");
  }
  showShapeFields(ctx);
}

function showShapeFields(ctx) {
  const circle = ctx.$("shape-circle").checked;
  ctx.$("circle-fields").hidden = !circle;
  ctx.$("polygon-fields").hidden = circle;
}

function readDraft(ctx) {
  const shape = readShape(ctx);
  if (!shape) {
    return { error: ctx.$("shape-circle").checked ? "Give the circle's centre and a radius above 0."
      : "Draw a polygon or type at least 3 vertices as “lat, lng”." };
  }
  const lower = Number.parseFloat(ctx.$("alt-lower").value);
  const upper = Number.parseFloat(ctx.$("alt-upper").value);
  if (!Number.isFinite(lower) || !Number.isFinite(upper) || lower > upper) {
    return { error: "The altitude band needs a lower value at or below the upper one." };
  }
  const start = fromInput(ctx.$("time-start").value);
  const end = fromInput(ctx.$("time-end").value);
  if (start === null || end === null || start >= end) {
    return { error: "The time window needs a start before its end." };
  }
  const body = {
    kind: ctx.$("op-kind").value,
    volumes: [volume4d(shape, { lower, upper, start, end })],
  };
  const label = ctx.$("op-label").value.trim();
  if (label) body.label = label;
  return { body };
}

function defaultTimes(ctx) {
  const start = Math.ceil(Date.now() / 600e3) * 600e3 + 3600e3; // in about an hour
  ctx.$("time-start").value = toInput(start);
  ctx.$("time-end").value = toInput(start + 2 * 3600e3);
}

function errorText(err) {
  if (!(err instanceof ApiError)) return `Could not reach the service: ${err.message}`;
  return `Refused (${err.status}${err.code ? ` ${err.code}` : ""}): ${err.message}${err.field ? ` [${err.field}]` : ""}`;
}

export function setUpOperationForm(ctx, createDrawTool) {
  const form = ctx.$("operation-form");
  const result = ctx.$("op-result");
  const error = ctx.$("op-error");
  const draw = createDrawTool(ctx.view.map, {
    onShape: (shape) => writeShape(ctx, shape),
    onHint: (text) => { ctx.$("draw-hint").textContent = text; },
    onModeChange: (mode) => {
      ctx.$("draw-finish").disabled = mode !== "polygon";
      ctx.$("draw-start").textContent = mode ? "Drawing…" : "Draw on map";
    },
  });
  ctx.draw = draw;
  defaultTimes(ctx);
  showShapeFields(ctx);

  for (const radio of form.querySelectorAll('input[name="shape"]')) {
    radio.addEventListener("change", () => {
      showShapeFields(ctx);
      if (draw.mode) draw.start(radio.value);
      else draw.show(readShape(ctx));
    });
  }
  ctx.$("draw-start").addEventListener("click", () => {
    draw.start(ctx.$("shape-circle").checked ? "circle" : "polygon");
  });
  ctx.$("draw-finish").addEventListener("click", () => draw.finish());
  ctx.$("draw-clear").addEventListener("click", () => {
    draw.clear();
    ctx.$("vertices").value = "";
    for (const id of ["center-lat", "center-lng", "radius"]) ctx.$(id).value = "";
    ctx.$("draw-hint").textContent = "Cleared.";
  });
  for (const id of ["vertices", "center-lat", "center-lng", "radius"]) {
    ctx.$(id).addEventListener("input", () => draw.show(readShape(ctx)));
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    result.textContent = "";
    error.textContent = "";
    const draft = readDraft(ctx);
    if (draft.error) { error.textContent = draft.error; return; }
    try {
      const created = await ctx.client.createOperation(draft.body);
      upsert(ctx, created);
      const n = created.conflicts.length;
      const name = created.operation.label || created.operation.id;
      result.textContent = `Created “${name}”. ${n ? `${n} conflict${n === 1 ? "" : "s"} opened.` : "No conflict."}`;
      ctx.announce(result.textContent, { assertive: n > 0 });
      draw.clear();
      ctx.$("vertices").value = "";
      ctx.$("op-label").value = "";
    } catch (err) {
      error.textContent = errorText(err);
    }
  });

  ctx.$("op-check").addEventListener("click", async () => {
    result.textContent = "";
    error.textContent = "";
    const draft = readDraft(ctx);
    if (draft.error) { error.textContent = draft.error; return; }
    try {
      const found = (await ctx.client.check(draft.body)).conflicts || [];
      result.textContent = found.length
        ? `Would conflict with: ${found.map((c) => `${c.other_party} (${c.other_kind})`).join(", ")}.`
        : "Check: no conflict.";
    } catch (err) {
      error.textContent = errorText(err);
    }
  });
}
