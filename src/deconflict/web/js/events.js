// Server-Sent Events read with fetch() so the API key travels in the Authorization header
// (EventSource cannot set headers). Reconnects on drop and resumes with Last-Event-ID.

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10000;

/** Feeds text chunks; calls emit({id, type, data}) for each complete event (WHATWG rules). */
export class SseParser {
  constructor(emit) {
    this.emit = emit;
    this.buffer = "";
    this.reset();
    this.lastId = null;
    this.retry = null;
  }

  reset() {
    this.data = [];
    this.type = "";
    this.id = null;
  }

  push(chunk) {
    this.buffer += chunk;
    // Hold back a trailing CR: its LF may come in the next chunk.
    let end = this.buffer.endsWith("\r") ? this.buffer.length - 1 : this.buffer.length;
    let start = 0;
    const text = this.buffer;
    for (;;) {
      const match = /\r\n|\r|\n/g;
      match.lastIndex = start;
      const found = match.exec(text);
      if (!found || found.index >= end) break;
      this.line(text.slice(start, found.index));
      start = found.index + found[0].length;
    }
    this.buffer = text.slice(start);
  }

  line(line) {
    if (line === "") { this.dispatch(); return; }
    if (line.startsWith(":")) return; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.type = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }

  dispatch() {
    if (this.id !== null) this.lastId = this.id;
    if (this.data.length) {
      const raw = this.data.join("\n");
      let data = raw;
      try { data = JSON.parse(raw); } catch { /* keep the text */ }
      this.emit({ id: this.lastId, type: this.type || "message", data });
    }
    this.reset();
  }
}

/**
 * Opens /v1/events and keeps it open. onStatus(state, detail) gets
 * "connecting" | "live" | "reconnecting" | "unauthorized" | "closed".
 * Answers {close()}.
 */
export function openEventStream({ key, onEvent, onStatus, url = "/v1/events" }) {
  let lastId = null;
  let stopped = false;
  let controller = null;
  let failures = 0;

  async function connectOnce() {
    controller = new AbortController();
    const headers = { Authorization: `Bearer ${key}`, Accept: "text/event-stream" };
    if (lastId !== null) headers["Last-Event-ID"] = lastId;
    const response = await fetch(url, { headers, signal: controller.signal, cache: "no-store" });
    if (response.status === 401 || response.status === 403) return "unauthorized";
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    failures = 0;
    onStatus("live", { resumed: lastId !== null });
    const parser = new SseParser((event) => {
      if (event.id !== null) lastId = event.id;
      onEvent(event);
    });
    parser.lastId = lastId;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(value);
    }
    return parser.retry;
  }

  async function run() {
    let retry = null;
    onStatus("connecting");
    while (!stopped) {
      try {
        const outcome = await connectOnce();
        if (outcome === "unauthorized") { onStatus("unauthorized"); return; }
        if (typeof outcome === "number") retry = outcome;
      } catch (err) {
        if (stopped) break;
        failures += 1;
      }
      if (stopped) break;
      onStatus("reconnecting", { lastId });
      const backoff = Math.min(MIN_DELAY_MS * 2 ** failures, MAX_DELAY_MS);
      await new Promise((resolve) => setTimeout(resolve, retry ?? backoff));
    }
    onStatus("closed");
  }

  run();
  return {
    close() {
      stopped = true;
      if (controller) controller.abort();
    },
    get lastId() { return lastId; },
  };
}
