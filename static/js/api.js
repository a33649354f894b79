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

const TAG_TYPES = { rfid: "RFID", barcode: "Barcode", ble: "BLE" };
const KEY_NAMES = {
  asset: "Asset ID", location: "Location ID", ASSET: "Asset ID", LOC: "Location ID",
};

// The refusals the server words in the API's vocabulary (CONTRACT EK-4, EK-6,
// ASSET-6, TAG-5, LOC-7, LOC-8), said as the screens say it. `reason` lets a
// screen add what it knows; `field` also marks the control the refusal is about.
// Any other detail is shown as the server wrote it.
const CONFLICTS = [
  {
    pattern: /^(asset|location) with external_key (.+) already exists$/,
    reason: "key_taken",
    field: "external_key",
    text: (noun, key) => `${KEY_NAMES[noun]} ${key} is already used by another `
      + `${noun}. Choose another ${KEY_NAMES[noun]}.`,
    fieldText: (noun) => `Already used by another ${noun}.`,
  },
  {
    pattern: /^cannot mint an external_key: the next (\w+)-<digits> key/,
    reason: "key_unmintable",
    field: "external_key",
    text: (prefix) => `The next automatic ${KEY_NAMES[prefix] || "ID"} would be `
      + `too long. Enter an ${KEY_NAMES[prefix] || "ID"} yourself.`,
    fieldText: () => "Enter one yourself.",
  },
  {
    pattern: /^one or more tags already exist$/,
    reason: "tags_taken",
    text: () => "One of these tags is already attached to another asset or location.",
  },
  {
    pattern: /^tag (\w+):(.+) already exists$/,
    reason: "tag_taken",
    text: (type, value) => `${TAG_TYPES[type] || type} tag ${value} is already `
      + "attached to an asset or location.",
  },
  {
    pattern: /^location has descendant locations;/,
    reason: "has_children",
    text: () => "This location has locations under it. Move or delete them first, "
      + "then delete this location.",
  },
  {
    pattern: /^location has assets placed at it;/,
    reason: "has_assets",
    text: () => "Assets are at this location. Move them to another location or "
      + "delete them first, then delete this location.",
  },
  {
    pattern: /^Request violates a domain invariant$/,
    reason: "cycle",
    text: () => "A location cannot move under itself or under a location below it.",
  },
  {
    pattern: /^Email already exists$/,
    reason: "email_taken",
    field: "email",
    text: () => "An account with this e-mail already exists. "
      + "Log in, or reset its password.",
    fieldText: () => "Already has an account.",
  },
];

/** The app's words for a 409 detail: {detail, reason, fields}, or null when unknown. */
export function translateConflict(detail) {
  for (const entry of CONFLICTS) {
    const match = entry.pattern.exec(detail || "");
    if (!match) continue;
    const args = match.slice(1);
    return {
      detail: entry.text(...args),
      reason: entry.reason,
      fields: entry.field
        ? [{ field: entry.field, message: entry.fieldText(...args) }]
        : [],
    };
  }
  return null;
}

// A field error's words for the person at the form. The server writes them
// for API clients, with the JSON key ("org_name must be at least 2
// character(s)", CONTRACT VAL-4); the code and params (VAL-5) say the same
// thing in a form's terms. A message the app has no words for is kept.
const FIELD_WORDS = {
  required: () => "Fill this in.",
  too_short: ({ min_length: n }) => (n > 1 ? `Use at least ${n} characters.` : "Fill this in."),
  too_long: ({ max_length: n }) => `Use at most ${n} characters.`,
  too_small: ({ min }) => `Use ${min} or more.`,
  too_large: ({ max }) => `Use ${max} or less.`,
  fk_not_found: () => "This no longer exists. Pick another one.",
  invalid_value: (params, message) => {
    if (params.pattern) return "Use only letters, digits and hyphens.";
    if (/valid email address$/.test(message)) return "Enter an e-mail address such as name@example.com.";
    if (/RFC 3339 timestamp$/.test(message)) return "Enter a date and time.";
    if (/" not found$/.test(message)) return "Not found: it may have been deleted. Pick another one.";
    return null;
  },
};

/** The form's wording of one VAL-4 field entry. */
export function fieldMessage(entry) {
  const words = FIELD_WORDS[entry.code];
  const text = words ? words(entry.params || {}, entry.message || "") : null;
  return text || entry.message;
}

export class ApiError extends Error {
  constructor(status, error) {
    super(error.detail || error.title || `Request failed (${status})`);
    this.status = status;
    this.type = error.type || "";
    this.detail = this.message;
    this.serverDetail = this.message;
    this.reason = "";
    this.fields = (Array.isArray(error.fields) ? error.fields : [])
      .map((f) => ({ ...f, serverMessage: f.message, message: fieldMessage(f) }));
    const known = status === 409 ? translateConflict(this.detail) : null;
    if (known) {
      this.message = this.detail = known.detail;
      this.reason = known.reason;
      this.fields = [...this.fields, ...known.fields];
    }
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
