// The service's HTTP API as seen by one party (bearer API key). Every error the service
// answers is JSON {"error": {code, message, field?, ...}}; it becomes an ApiError here.

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || null;
    this.field = error.field || null;
    this.error = error;
  }
}

const MAX_PAGES = 50; // a console shows at most this many pages of any list

export function createClient(key) {
  async function request(method, path, { body, headers = {} } = {}) {
    const init = {
      method,
      headers: { Authorization: `Bearer ${key}`, Accept: "application/json", ...headers },
      cache: "no-store",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    const text = await response.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch { data = null; }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  async function listAll(path) {
    const items = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const sep = path.includes("?") ? "&" : "?";
      const url = cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path;
      const data = await request("GET", url);
      items.push(...(data.items || []));
      cursor = data.next_cursor;
      if (!cursor) break;
    }
    return items;
  }

  const ifMatch = (version) => ({ "If-Match": String(version) });

  return {
    key,
    me: () => request("GET", "/v1/parties/me"),
    operations: () => listAll("/v1/operations?limit=200"),
    operation: (id) => request("GET", `/v1/operations/${encodeURIComponent(id)}`),
    createOperation: (body) => request("POST", "/v1/operations", { body }),
    check: (body) => request("POST", "/v1/checks", { body }),
    patchOperation: (id, version, body) =>
      request("PATCH", `/v1/operations/${encodeURIComponent(id)}`, { body, headers: ifMatch(version) }),
    deleteOperation: (id, version) =>
      request("DELETE", `/v1/operations/${encodeURIComponent(id)}`, { headers: ifMatch(version) }),
    conflicts: () => listAll("/v1/conflicts?limit=200"),
    tracks: () => listAll("/v1/tracks?limit=500"),
    alerts: () => request("GET", "/v1/tracks/alerts"), // {items, stale_s, realert_s, time}
    conflict: (id) => request("GET", `/v1/conflicts/${encodeURIComponent(id)}`),
    acknowledge: (id) => request("POST", `/v1/conflicts/${encodeURIComponent(id)}/ack`),
    messages: (id) => listAll(`/v1/conflicts/${encodeURIComponent(id)}/messages?limit=200`),
    sendMessage: (id, body) =>
      request("POST", `/v1/conflicts/${encodeURIComponent(id)}/messages`, { body }),
  };
}

/** Conflict ids named by a 409 refusal, wherever the service puts them. */
export function conflictIdsOf(error) {
  const e = error.error || {};
  const found = e.conflicts || e.open_conflicts || (e.details && e.details.conflicts) || [];
  return found.map((c) => (typeof c === "string" ? c : c.id)).filter(Boolean);
}
