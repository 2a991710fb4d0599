// Times are shown and entered in UTC ("Z"), as operations are planned across time zones.

export function parseTime(value) {
  if (!value) return null;
  const raw = typeof value === "object" ? value.value : value;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : t;
}

export function utc(ms) {
  if (ms === null || ms === undefined) return "?";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} `
    + `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}Z`;
}

/** "in 2 h 5 min", "started 10 min ago" */
export function relative(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return "";
  const diff = ms - now;
  const text = duration(Math.abs(diff));
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export function duration(ms) {
  const min = Math.round(ms / 60000);
  if (min < 1) return "less than a minute";
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "2026-12-01T10:00" (an <input type=datetime-local> read as UTC) -> epoch ms */
export function fromInput(value) {
  if (!value) return null;
  const t = Date.parse(`${value.length === 16 ? `${value}:00` : value}Z`);
  return Number.isNaN(t) ? null : t;
}

export function toInput(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

export function rfc3339(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function metres(value) {
  if (value === null || value === undefined) return "?";
  const v = typeof value === "object" ? value.value : value;
  return `${Math.round(v).toLocaleString("en")} m`;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}
