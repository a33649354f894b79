// Screens built for a Bluetooth handheld reader, in their keyboard fallbacks
// (SCREENS [BLE]): Locate, Barcode and device Settings.

import { api } from "../api.js";
import { h, append, replace } from "../dom.js";
import { field, form, heading, empty, downloadCsv, alertBox, select } from "../ui.js";
import { epcKey } from "../data.js";

export const hasBluetooth = () => Boolean(navigator.bluetooth);

// The browser list belongs only where Bluetooth is the only way to do the
// job (SCREENS global chrome): Locate's signal gauge. Barcodes can be typed
// or come from a USB scanner, so that note names no browsers.
function bleNote(what, { onlyWay = false } = {}) {
  return h("p", { class: "alert info" },
    `${what} needs a Bluetooth reader${onlyWay ? " (supported browsers: Chrome, Edge, Opera)" : ""}. `,
    "This page works with a keyboard-wedge or USB reader instead.");
}

export function locate(screen, params) {
  const epc = field({ label: "Tag number (EPC)", name: "value", value: params.get("epc") || "", required: true });
  const found = h("div", { class: "locate-result", "aria-live": "polite" });
  const seen = h("p", { class: "seen-state", id: "seen-state" }, "Not seen yet");
  const wedge = field({ label: "Reader input", name: "wedge", hint: "Click here and pull the reader's trigger: each read types the tag number and Enter." });
  let target = epc.control.value;

  wedge.control.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const read = wedge.control.value;
    wedge.control.value = "";
    if (!read.trim() || !target.trim()) return;
    const hit = epcKey(read) === epcKey(target);
    seen.textContent = hit ? `Seen at ${new Date().toLocaleTimeString()}` : `Other tag read: ${read.trim()}`;
    seen.className = hit ? "seen-state hit" : "seen-state";
  });

  const f = form({
    fields: [epc],
    submitLabel: "Start",
    busyLabel: "Looking up…",
    onSubmit: async () => {
      // Without a tag number there is nothing to look for; the lookup would
      // only answer in the API's words.
      if (!epc.control.value.trim()) {
        throw { detail: "Enter the tag number to look for.", fields: [{ field: "value", message: "Enter a tag number." }] };
      }
      target = epc.control.value;
      seen.textContent = "Not seen yet";
      seen.className = "seen-state";
      try {
        const res = await api("GET", "/lookup/tag", { query: { type: "rfid", value: target.trim() } });
        const d = res.data;
        const item = d.asset || d.location || {};
        replace(found, h("p", {}, `Looking for ${d.entity_type} `, h("strong", {}, item.name || ""), ` (${item.external_key || d.entity_id}).`));
      } catch (err) {
        if (err.status !== 404) throw err;
        replace(found, h("p", {}, "This tag is not registered to any asset or location."));
      }
      wedge.control.focus();
    },
  });
  append(screen, heading("Locate"), bleNote("Finding a tag by signal strength", { onlyWay: true }), f, found, wedge, seen);
}

export function barcode(screen) {
  const codes = [];
  const input = field({ label: "Barcode", name: "barcode", hint: "Type a barcode and press Enter, or scan with a USB barcode scanner." });
  const mode = select([{ value: "continuous", label: "Continuous" }, { value: "single", label: "Single" }], "continuous", { id: "barcode-mode" });
  const list = h("div", { class: "barcode-list" });
  const show = () => replace(list, codes.length
    ? h("ol", { class: "plain-list" }, codes.map((c) => h("li", {}, h("code", {}, c.value), " ", h("span", { class: "hint" }, c.at.toLocaleTimeString()))))
    : empty("Nothing scanned yet. Scan a barcode or type one above."));
  input.control.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    const value = input.control.value.trim();
    input.control.value = "";
    if (!value) return;
    if (mode.value === "single") codes.length = 0;
    codes.push({ value, at: new Date() });
    show();
  });
  append(screen,
    heading("Barcode",
      h("button", { type: "button", onclick: () => { codes.length = 0; show(); } }, "Clear"),
      h("button", { type: "button", onclick: () => downloadCsv("barcodes.csv", ["barcode", "scanned_at"], codes.map((c) => [c.value, c.at.toISOString()])) }, "Export CSV")),
    bleNote("Scanning with the reader's barcode engine"),
    h("div", { class: "field" }, h("label", { for: "barcode-mode" }, "Mode"), mode),
    input, list);
  show();
}

export function settings(screen) {
  append(screen, heading("Device setup"));
  if (!hasBluetooth()) {
    append(screen, h("p", { class: "alert info" }, "This browser has no Bluetooth support, so there is no reader to set up here. Supported browsers: Chrome, Edge, Opera."));
  } else {
    append(screen, h("p", { class: "alert info" }, "Bluetooth reader setup is not part of this server's web app yet. Keyboard-wedge and USB readers need no setup here."));
  }
  append(screen,
    h("section", { class: "card" },
      h("h2", {}, "Signal power"),
      h("p", {}, "Handheld readers transmit at about +10 to +30 dBm. Low power reads only nearby tags, which helps when counting one shelf; high power reads across a room."),
      h("h2", {}, "Keyboard-wedge readers"),
      h("p", {}, "Set the reader to send the tag number (EPC, hexadecimal) followed by Enter. Adjust power and session on the reader itself.")));
}
