// The one way the app talks to the server: JSON over fetch, the session token in
// the Authorization header, errors turned into ApiError with the envelope's
// detail and field list (CONTRACT ERR-1, VAL-4).

const TOKEN_KEY = "trakrf.session";
const BASE = "/api/v1";

let inFlight = 0;
const listeners = { unauthorized: [], busy: [] };

export function on(event, fn) {
  listeners[event].push(fn);
}

function emit(event, ...args) {
  for (const fn of listeners[event]) fn(...args);
}

export const session = {
  token() {
    return localStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    localStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
  },
};

export class ApiError extends Error {
  constructor(status, error) {
    super(error.detail || error.title || `Request failed (${status})`);
    this.status = status;
    this.type = error.type || "";
    this.detail = this.message;
    this.fields = Array.isArray(error.fields) ? error.fields : [];
  }
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(key, one);
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function setBusy(delta) {
  inFlight += delta;
  emit("busy", inFlight > 0);
}

/**
 * api("GET", "/assets", {query: {limit: 25}}) → parsed JSON body (null on 204).
 * `anonymous: true` sends no token (the /auth/* calls), so their 401 stays a
 * form error; every other 401 ends the session (SCREENS: any 401 logs out).
 */
export async function api(method, path, { query, body, anonymous = false } = {}) {
  const headers = { Accept: "application/json" };
  const token = anonymous ? null : session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] =
      method === "PATCH" ? "application/merge-patch+json" : "application/json";
    payload = JSON.stringify(body);
  }

  setBusy(1);
  let response;
  try {
    response = await fetch(BASE + path + queryString(query), {
      method,
      headers,
      body: payload,
    });
  } catch {
    throw new ApiError(0, { detail: "Cannot reach the server. Check your connection." });
  } finally {
    setBusy(-1);
  }

  const text = response.status === 204 ? "" : await response.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (response.ok) return json;

  const error = (json && json.error) || { detail: `Request failed (${response.status})` };
  if (response.status === 401 && token) {
    session.clear();
    emit("unauthorized", error.detail);
  }
  throw new ApiError(response.status, error);
}

/** Every row of a paginated list (limit 200 per page; CONTRACT PAGE-1). */
export async function fetchAll(path, query = {}, cap = 5000) {
  const rows = [];
  let offset = 0;
  for (;;) {
    const page = await api("GET", path, { query: { ...query, limit: 200, offset } });
    rows.push(...page.data);
    offset += page.data.length;
    if (page.data.length === 0 || offset >= page.total_count || rows.length >= cap) break;
  }
  return rows;
}
