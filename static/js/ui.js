// Shared pieces of every screen: labelled fields with their error slot, form
// error display, dialogs, pagers, empty states, stat cards and formatting.

import { h, nextId, replace } from "./dom.js";

/**
 * A labelled control. `name` is the API field it edits: errors for that field
 * (error.fields[].field) appear under it. Returns the wrapper; `.control` is the input.
 */
export function field({ label, name, type = "text", value = "", required = false,
  hint = "", control = null, attrs = {} }) {
  const id = nextId(name || "f");
  const errId = `${id}-err`;
  const input = control || h("input", { type, name, value, required, ...attrs });
  input.id = id;
  if (name && !input.name) input.name = name;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  input.setAttribute("aria-describedby", [hintEl ? `${id}-hint` : "", errId].join(" ").trim());
  const wrap = h(
    "div",
    { class: type === "checkbox" ? "field check" : "field" },
    type === "checkbox"
      ? [input, h("label", { for: id }, label)]
      : [h("label", { for: id }, label, required ? h("span", { class: "req", "aria-hidden": "true" }, " *") : null), input],
    hintEl,
    h("p", { class: "field-error", id: errId, dataset: { field: name || "" }, "aria-live": "polite" }),
  );
  wrap.control = input;
  return wrap;
}

/** A <select> built from [{value, label}]. */
export function select(items, value, attrs = {}) {
  const el = h("select", attrs);
  for (const it of items) {
    el.append(h("option", { value: it.value, selected: String(it.value) === String(value ?? "") }, it.label));
  }
  return el;
}

/** An alert line for a form or screen; `.show(text, kind)` / `.clear()`. */
export function alertBox() {
  const el = h("div", { class: "alert", role: "alert", hidden: true });
  el.show = (text, kind = "error") => {
    el.className = `alert ${kind}`;
    el.textContent = text;
    el.hidden = !text;
  };
  el.clear = () => el.show("");
  return el;
}

/** Clear the field errors inside `scope`. */
export function clearErrors(scope) {
  for (const el of scope.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of scope.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

/**
 * Show an ApiError: each field message under its field inside `scope`, the
 * detail in `alert`. When every field of a refused body is marked at its
 * control, the alert points there instead of repeating the server's detail
 * (written for API clients); otherwise the detail names what has no control.
 */
export function showError(scope, alert, err) {
  if (scope) clearErrors(scope);
  const fields = (err && err.fields) || [];
  let firstInvalid = null;
  let placed = 0;
  for (const f of fields) {
    const slot = scope && scope.querySelector(`.field-error[data-field="${CSS.escape(f.field)}"]`);
    if (!slot) continue;
    placed += 1;
    slot.textContent = slot.textContent ? `${slot.textContent} ${f.message}` : f.message;
    const input = slot.parentElement.querySelector("input, select, textarea");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      firstInvalid = firstInvalid || input;
    }
  }
  const allMarked = err && err.type === "validation_error" && placed && placed === fields.length;
  if (alert && allMarked) {
    alert.show(placed === 1 ? "Check the marked field." : `Check the ${placed} marked fields.`);
  } else if (alert) alert.show(err ? err.detail || String(err) : "");
  if (firstInvalid) firstInvalid.focus();
}

/** Run `fn` with `button` disabled and relabelled; returns fn's result. */
export async function busy(button, label, fn) {
  const old = button.textContent;
  // Disabling the focused button drops the focus to <body>; give it back
  // when done, unless fn put it somewhere (a field with an error).
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = label;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = old;
    const now = document.activeElement;
    if (hadFocus && button.isConnected && (!now || now === document.body)) button.focus();
  }
}

/**
 * A form that calls `onSubmit(values, form)` with the alert cleared and the
 * submit button busy; ApiErrors go to the fields and the alert.
 */
export function form({ fields, submitLabel, busyLabel = "Working…", onSubmit, extra = [], cls = "" }) {
  const alert = alertBox();
  const button = h("button", { type: "submit", class: "primary" }, submitLabel);
  const el = h("form", { class: `form ${cls}`, novalidate: true }, alert, fields, extra, h("div", { class: "actions" }, button));
  el.alert = alert;
  el.submitButton = button;
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    alert.clear();
    clearErrors(el);
    try {
      await busy(button, busyLabel, () => onSubmit(el));
    } catch (err) {
      showError(el, alert, err);
    }
  });
  return el;
}

/** Modal dialog; resolves when closed. `build(close)` returns the body. */
export function openDialog(title, build, { wide = false } = {}) {
  return new Promise((resolve) => {
    const titleId = nextId("dlg");
    let result;
    const dlg = h("dialog", { class: wide ? "dialog wide" : "dialog", "aria-labelledby": titleId });
    const close = (value) => {
      result = value;
      dlg.close();
    };
    dlg.append(
      h("div", { class: "dialog-head" },
        h("h2", { id: titleId }, title),
        h("button", { type: "button", class: "icon", "aria-label": "Close", onclick: () => close() }, "×")),
      h("div", { class: "dialog-body" }, build(close)),
    );
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = dlg.querySelector(".dialog-body input, .dialog-body select, .dialog-body textarea, .dialog-body button");
    if (first) first.focus();
  });
}

/** Yes/no question; resolves true when confirmed. */
export function confirmDialog(title, text, confirmLabel = "Confirm", danger = true) {
  return openDialog(title, (close) => h("div", {},
    h("p", {}, text),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => close(false) }, "Cancel"),
      h("button", { type: "button", class: danger ? "danger" : "primary", onclick: () => close(true) }, confirmLabel)),
  )).then(Boolean);
}

/**
 * The control that has the focus inside `scope`, remembered so that a redraw
 * replacing it can give the focus back (`refocus`); null when the focus is
 * elsewhere. Screens redraw whole lists and panels, and a removed element
 * takes the focus with it to <body>: a keyboard user would start again from
 * the top of the page after every Next, selection or dialog.
 */
export function focusMark(scope) {
  const el = document.activeElement;
  if (!el || el === document.body || !scope.contains(el)) return null;
  return { tag: el.tagName, label: el.getAttribute("aria-label"), text: el.textContent };
}

const FOCUSABLE = "button, a[href], input, select, textarea, [tabindex]";

/**
 * After a redraw, focus the control of `scope` that matches `mark` (same
 * element type, label and text), else the nearest enabled control in its
 * group (Previous once Next is disabled), else `fallback`. Does nothing
 * while the focus is still somewhere, so it never takes it from where the
 * person went in the meantime.
 */
export function refocus(scope, mark, fallback = null) {
  const now = document.activeElement;
  if (!mark || (now && now !== document.body && now.isConnected)) return;
  const same = [...scope.querySelectorAll(mark.tag)].find((el) =>
    el.getAttribute("aria-label") === mark.label && el.textContent === mark.text);
  const group = same && same.closest("nav, .actions, .row-actions, tr, li");
  const near = same && !same.disabled ? same
    : group && [...group.querySelectorAll(FOCUSABLE)].find((el) => !el.disabled);
  const target = near || fallback;
  if (target) target.focus();
}

/** "21–40 of 130" with Previous / Next; calls onChange(newOffset). */
export function pager({ total, limit, offset, onChange, label = "Pages" }) {
  if (total <= limit && offset === 0) return h("nav", { class: "pager", "aria-label": label, hidden: true });
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return h("nav", { class: "pager", "aria-label": label },
    h("button", { type: "button", disabled: offset === 0, onclick: () => onChange(Math.max(0, offset - limit)) }, "Previous"),
    h("span", { class: "pager-info", "aria-live": "polite" }, `${first}–${last} of ${total}`),
    h("button", { type: "button", disabled: offset + limit >= total, onclick: () => onChange(offset + limit) }, "Next"),
  );
}

/** What to do when a list is empty. */
export function empty(text, ...actions) {
  return h("div", { class: "empty" }, h("p", {}, text), actions.length ? h("div", { class: "actions" }, actions) : null);
}

export function stat(label, value, id) {
  return h("div", { class: "stat", dataset: id ? { stat: id } : {} },
    h("span", { class: "stat-value" }, String(value)), h("span", { class: "stat-label" }, label));
}

export function loading(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, text);
}

/** Screen heading plus an optional toolbar of actions. */
export function heading(title, ...actions) {
  return h("div", { class: "screen-head" }, h("h1", { tabindex: "-1" }, title), actions.length ? h("div", { class: "actions" }, actions) : null);
}

export function fmtTime(ts) {
  if (!ts) return "—";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleString();
}

export function fmtDate(ts) {
  if (!ts) return "—";
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? ts : d.toLocaleDateString();
}

export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "still there";
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const hr = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/** `<input type=datetime-local>` value ↔ RFC 3339. */
export function toLocalInput(ts) {
  if (!ts) return "";
  const d = new Date(ts);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  return value ? new Date(value).toISOString() : null;
}

/** Offer rows as a CSV download (Share / Export). */
export function downloadCsv(filename, header, rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const text = [header, ...rows].map((r) => r.map(cell).join(",")).join("\r\n");
  const url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
  const a = h("a", { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function debounce(fn, ms = 300) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

const TOAST_MS = 4000;
const TOAST_MAX = 3;

/**
 * A short-lived status line at the foot of the screen: gone after a few
 * seconds, and only the newest few at a time.
 */
export function toast(text, kind = "ok") {
  let host = document.getElementById("toasts");
  if (!host) {
    host = h("div", { id: "toasts", class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(host);
  }
  const el = h("div", { class: `toast ${kind}` }, text);
  host.append(el);
  while (host.children.length > TOAST_MAX) host.firstElementChild.remove();
  setTimeout(() => el.remove(), TOAST_MS);
}

export function tagChips(tags) {
  return h("ul", { class: "chips" }, (tags || []).map((t) => h("li", { class: "chip", title: t.tag_type }, `${t.tag_type}:${t.value}`)));
}

export { replace };
