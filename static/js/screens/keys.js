// API keys of the current org (SCREENS #api-keys; INTERNAL INT-80…83): list
// with last use, mint with a per-resource access picker, show the token once,
// revoke.

import { api } from "../api.js";
import { h, append, replace } from "../dom.js";
import {
  alertBox, field, form, heading, select, empty, pager, openDialog, confirmDialog, loading, fmtTime,
  fmtDate, toast,
} from "../ui.js";
import { currentOrg } from "../state.js";

const LIMIT = 25;
const LEVELS = [{ value: "none", label: "None" }, { value: "read", label: "Read" }, { value: "write", label: "Read + Write" }];
const EXPIRY = [
  { value: "never", label: "Never" },
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "custom", label: "Custom date" },
];

/** Form choices → scope list (CONTRACT SCOPE-8: Read + Write grants both). */
export function scopesFor({ assets, locations, tracking, scans }) {
  const out = [];
  for (const [res, level] of [["assets", assets], ["locations", locations]]) {
    if (level === "read" || level === "write") out.push(`${res}:read`);
    if (level === "write") out.push(`${res}:write`);
  }
  if (tracking === "read") out.push("tracking:read");
  if (scans) out.push("scans:write");
  return out;
}

function describeScopes(scopes) {
  const has = (s) => scopes.includes(s);
  const parts = [];
  for (const [res, label] of [["assets", "Assets"], ["locations", "Locations"]]) {
    if (has(`${res}:read`) && has(`${res}:write`)) parts.push(`${label}: read + write`);
    else if (has(`${res}:read`)) parts.push(`${label}: read`);
    else if (has(`${res}:write`)) parts.push(`${label}: write`);
  }
  if (has("tracking:read")) parts.push("Tracking: read");
  if (has("scans:write")) parts.push("Readers: push scans");
  if (has("keys:admin")) parts.push("Key admin");
  return parts.join(" · ") || "—";
}

export async function render(screen) {
  const org = currentOrg();
  const alert = alertBox();
  const body = h("div", {}, loading());
  let offset = 0;

  async function load() {
    const res = await api("GET", `/orgs/${org.id}/api-keys`, { query: { limit: LIMIT, offset } });
    if (!res.data.length) {
      replace(body, empty("No API keys yet. Create one to let an integration read or write this organization's data.",
        h("button", { type: "button", class: "primary", onclick: newKey }, "New key")));
      return;
    }
    replace(body,
      h("table", { class: "table", id: "keys-table" },
        h("thead", {}, h("tr", {}, ["Name", "Access", "Created", "Last used", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, res.data.map((k) => h("tr", { dataset: { key: k.name } },
          h("td", { "data-label": "Name" }, k.name),
          h("td", { "data-label": "Access" }, describeScopes(k.scopes)),
          h("td", { "data-label": "Created" }, fmtDate(k.created_at)),
          h("td", { "data-label": "Last used" }, k.last_used_at ? fmtTime(k.last_used_at) : "Never used"),
          h("td", { "data-label": "Expires" }, expiresCell(k.expires_at)),
          h("td", { "data-label": "" }, h("button", { type: "button", class: "danger small", "aria-label": `Revoke ${k.name}`, onclick: () => revoke(k) }, "Revoke")))))),
      pager({ total: res.total_count, limit: LIMIT, offset, label: "Key pages", onChange: (o) => { offset = o; reload(); } }));
  }
  const reload = () => load().catch((err) => alert.show(err.detail || String(err)));

  async function revoke(k) {
    if (!(await confirmDialog("Revoke key", `Revoke "${k.name}"? Integrations using it stop working at once.`, "Revoke"))) return;
    try {
      await api("DELETE", `/orgs/${org.id}/api-keys/${k.id}`);
      toast(`Revoked ${k.name}`);
    } catch (err) {
      alert.show(err.detail);
    }
    reload();
  }

  async function newKey() {
    await openDialog("New API key", (close) => keyForm(org, close), { wide: true });
    reload();
  }

  append(screen,
    heading("API keys", h("button", { type: "button", class: "primary", id: "new-key", onclick: newKey }, "New key")),
    h("p", { class: "hint" }, `Keys belong to ${org.name}. An organization can have 10 active keys.`),
    alert, body);
  await load();
}

/** yyyy-mm-dd of a Date in local time, as <input type=date> takes it. */
function localDate(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The Expires cell: the date, and a mark once it has passed (INT-82 still lists the key). */
function expiresCell(ts, now = Date.now()) {
  if (!ts) return "Never";
  if (Date.parse(ts) > now) return fmtDate(ts);
  return h("span", {}, fmtDate(ts), " ", h("span", { class: "badge warn" }, "Expired"));
}

function keyForm(org, close) {
  const name = field({ label: "Name", name: "name", required: true, hint: "Who or what uses the key, e.g. \"ERP sync\"." });
  const assets = field({ label: "Assets", name: "assets", control: select(LEVELS, "read") });
  const locations = field({ label: "Locations", name: "locations", control: select(LEVELS, "read") });
  const tracking = field({ label: "Tracking", name: "tracking", control: select(LEVELS.slice(0, 2), "none") });
  const scans = field({ label: "Readers: push scans", name: "scans", type: "checkbox", hint: "For fixed readers and gateways that send their reads to this server." });
  const expiry = field({ label: "Expires", name: "expiry", control: select(EXPIRY, "never") });
  const custom = field({ label: "Expiry date", name: "expires_at", type: "date", attrs: { min: localDate(new Date()) } });
  custom.hidden = true;
  expiry.control.addEventListener("change", () => { custom.hidden = expiry.control.value !== "custom"; });
  const wrap = h("div");
  const f = form({
    fields: [name, h("fieldset", { class: "field access" }, h("legend", {}, "Access"), h("div", { class: "three" }, assets, locations, tracking), scans,
      h("p", { class: "field-error", dataset: { field: "scopes" } })), expiry, custom],
    submitLabel: "Create key",
    busyLabel: "Creating…",
    onSubmit: async () => {
      const scopes = scopesFor({ assets: assets.control.value, locations: locations.control.value, tracking: tracking.control.value, scans: scans.control.checked });
      if (!scopes.length) throw { detail: "Give the key access to at least one thing.", fields: [{ field: "scopes", message: "Pick at least one access level." }] };
      const body = { name: name.control.value.trim(), scopes };
      if (expiry.control.value === "custom") {
        if (!custom.control.value) throw { detail: "Pick an expiry date.", fields: [{ field: "expires_at", message: "Pick a date." }] };
        body.expires_at = new Date(`${custom.control.value}T23:59:59`).toISOString();
        // The server keeps any date; a key that has expired already would
        // be refused on its first request.
        if (Date.parse(body.expires_at) <= Date.now()) {
          throw { detail: "The expiry date has passed. Pick today or a later date.", fields: [{ field: "expires_at", message: "Pick today or a later date." }] };
        }
      } else if (expiry.control.value !== "never") {
        body.expires_at = new Date(Date.now() + Number(expiry.control.value) * 86400000).toISOString();
      }
      const res = await api("POST", `/orgs/${org.id}/api-keys`, { body });
      replace(wrap, shownOnce(org, res.data, close));
    },
  });
  wrap.append(f);
  return wrap;
}

function shownOnce(org, key, close) {
  const token = h("textarea", { id: "new-key-token", readonly: true, rows: "4", spellcheck: "false" });
  token.value = key.token;
  const copy = h("button", { type: "button", class: "primary" }, "Copy");
  const status = h("span", { class: "hint", role: "status" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(key.token);
    } catch {
      token.select();
      document.execCommand("copy");
    }
    status.textContent = "Copied.";
  });
  return h("div", { class: "token-once" },
    h("p", { class: "alert warn" }, `Copy this key now: it is shown only once. It works only for ${org.name}, the organization selected in the switcher.`),
    h("div", { class: "field" }, h("label", { for: "new-key-token" }, `Key "${key.name}"`), token),
    h("div", { class: "actions" }, copy, status, h("button", { type: "button", onclick: () => close(key) }, "Done")));
}

