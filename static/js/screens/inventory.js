// Inventory session (SCREENS #inventory, keyboard fallback): tags arrive from a
// keyboard-wedge reader (EPC + Enter) or pasted one per line, are looked up in
// batches (INT-100) and Save records the matched assets at the picked location
// (INT-90). The session (reads, location, expected tags) is kept while the page
// is open, so a person who opens Assets to register a tag comes back to it.

import { api } from "../api.js";
import { h, append, replace } from "../dom.js";
import { alertBox, field, heading, select, stat, empty, showError, busy, downloadCsv, toast } from "../ui.js";
import { loadLocationTree, locationOptions, epcKey } from "../data.js";
import { canEdit, canScan, currentOrg, state } from "../state.js";

const BATCH = 500; // INT-100 batch limit
// First cells that name the column rather than hold a tag ("epc" heads this
// screen's own Share file).
const HEADERS = new Set(["epc", "tag", "tag number", "tag_number"]);

let kept = null;

/** The scanning session of this user in the current org, started on first use. */
function keptSession() {
  const owner = `${state.me.id}:${currentOrg().id}`;
  if (!kept || kept.owner !== owner) {
    kept = {
      owner,
      scanned: new Map(), // epcKey → {value, count, match, pending}
      expected: null, // Set of epcKey from a reconcile CSV
      location: "",
      saved: new Map(), // asset external key → location key it was saved at
      audio: false,
    };
  }
  return kept;
}

export async function render(screen) {
  const session = keptSession();
  const { scanned } = session;
  let audioCtx = null;
  const alert = alertBox();

  const tree = await loadLocationTree();
  const locNames = new Map(tree.map((l) => [l.id, l.name]));
  const locByKey = new Map(tree.map((l) => [l.external_key, l]));
  if (!tree.some((l) => l.external_key === session.location)) session.location = "";
  const picker = select(locationOptions(tree, { none: "Select a location…" }),
    session.location, { id: "inv-location", name: "location_identifier" });
  const locField = h("div", { class: "field" }, h("label", { for: "inv-location" }, "Location"), picker,
    h("p", { class: "field-error", dataset: { field: "location_identifier" } }));
  const wedge = field({ label: "Scan tag", name: "epc", hint: "Click here and scan: a keyboard-wedge or USB reader types each tag number and Enter. You can also type one and press Enter.", attrs: { autocomplete: "off", spellcheck: "false" } });
  const pasteBox = field({ label: "Paste tag numbers (one per line)", name: "epcs", control: h("textarea", { rows: "4", spellcheck: "false" }) });
  const addPasted = h("button", { type: "button" }, "Add to list");
  const stats = h("div", { class: "stats", id: "inv-stats" });
  const list = h("div", { class: "inv-list" });
  const saveBtn = h("button", { type: "button", class: "primary", id: "inv-save" }, "Save");
  const saveHint = h("span", { class: "hint", id: "inv-save-hint" });
  const audioBtn = h("button",
    { type: "button", "aria-pressed": String(session.audio) },
    session.audio ? "Audio on" : "Audio off");
  const csvInput = h("input", { type: "file", accept: ".csv,text/csv,text/plain", id: "inv-reconcile", hidden: true, "aria-label": "Expected tags CSV" });
  const result = h("div", { "aria-live": "polite" });

  function beep() {
    if (!session.audio) return;
    audioCtx = audioCtx || new AudioContext();
    const osc = audioCtx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(audioCtx.destination);
    osc.start();
    osc.stop(audioCtx.currentTime + 0.05);
  }

  function counts() {
    const rows = [...scanned.values()];
    const assets = new Set(rows.filter((r) => r.match && r.match.entity_type === "asset").map((r) => r.match.asset.external_key));
    const c = {
      total: rows.length,
      found: rows.filter((r) => r.match && r.match.entity_type === "asset").length,
      notListed: rows.filter((r) => !r.pending && !r.match).length,
      saveable: assets.size,
      // Assets not saved at the picked location yet in this session.
      unsaved: [...assets].filter((k) => session.saved.get(k) !== session.location),
      missing: session.expected
        ? [...session.expected].filter((k) => !scanned.has(k)).length
        : null,
    };
    return c;
  }

  function draw() {
    picker.value = session.location;
    const c = counts();
    replace(stats,
      stat("Found", c.found, "found"),
      session.expected ? stat("Missing", c.missing, "missing") : null,
      stat("Not listed", c.notListed, "not-listed"),
      stat("Saveable", c.saveable, "saveable"),
      stat("Total scanned", c.total, "total"));
    const mayScan = canScan();
    const allSaved = c.saveable > 0 && c.unsaved.length === 0;
    saveBtn.disabled = !mayScan || c.saveable === 0 || !picker.value || allSaved;
    saveBtn.title = !mayScan ? "Your role cannot save scans" : !picker.value ? "Pick a location first" : c.saveable === 0 ? "No registered assets scanned yet" : "";
    const here = locByKey.get(session.location);
    if (mayScan && here && allSaved) {
      saveBtn.title = "Already saved";
      saveHint.textContent = `Everything scanned is saved at ${here.name}. `
        + "Scan more tags or pick another location to save again.";
    } else {
      saveHint.textContent = "";
    }
    if (!scanned.size) {
      replace(list, empty("No tags scanned yet. Pick a location, click into Scan tag and scan, or paste tag numbers."));
      return;
    }
    const rows = [...scanned.values()].reverse();
    replace(list, h("table", { class: "table", id: "inv-table" },
      h("thead", {}, h("tr", {}, ["Tag (EPC)", "Reads", "Item", "Now at"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((r) => {
        const m = r.match;
        let item;
        let at = "—";
        if (r.pending) item = h("span", { class: "hint" }, "Looking up…");
        else if (!m) {
          item = h("span", {}, h("span", { class: "badge warn" }, "Not listed"), " ",
            canEdit() ? registerLink(r.value) : null);
        } else if (m.entity_type === "asset") {
          item = `${m.asset.name} (${m.asset.external_key})`;
          const locId = m.asset.location_id;
          at = locId ? locNames.get(locId) || m.asset.location_external_key : "—";
        } else {
          item = h("span", {}, h("span", { class: "badge" }, "Location"), ` ${m.location.name}`);
        }
        const unexpected = session.expected && !session.expected.has(epcKey(r.value));
        const expectedMark = unexpected
          ? h("span", { class: "badge warn" }, "unexpected")
          : null;
        return h("tr", { dataset: { epc: r.value } },
          h("td", { "data-label": "Tag" }, h("code", {}, r.value), " ", expectedMark),
          h("td", { "data-label": "Reads" }, String(r.count)),
          h("td", { "data-label": "Item" }, item),
          h("td", { "data-label": "Now at" }, at));
      }))));
  }

  const registerLink = (value) =>
    h("a", { href: `#assets?new_tag=${encodeURIComponent(value)}` }, "Register");

  let lookupTimer = null;
  function scheduleLookup() {
    clearTimeout(lookupTimer);
    lookupTimer = setTimeout(lookup, 150);
  }

  // Rows not looked up yet by default; on coming back to the screen every row,
  // so a tag registered meanwhile shows as found.
  async function lookup(rows = null) {
    const todo = (rows || [...scanned.values()].filter((r) => r.pending))
      .filter((r) => !r.inFlight);
    for (let i = 0; i < todo.length; i += BATCH) {
      const batch = todo.slice(i, i + BATCH);
      for (const r of batch) r.inFlight = true;
      try {
        const res = await api("POST", "/lookup/tags", { body: { type: "rfid", values: batch.map((r) => r.value) } });
        for (const r of batch) {
          const first = r.pending;
          r.match = res.data[r.value] || null;
          r.pending = false;
          const isLocation = r.match && r.match.entity_type === "location";
          if (first && isLocation && !session.location) {
            // Scanning a location tag picks that location (SCREENS #inventory).
            session.location = r.match.location.external_key;
            toast(`Location set to ${r.match.location.name}`);
          }
        }
      } catch (err) {
        alert.show(err.detail);
      } finally {
        for (const r of batch) r.inFlight = false;
      }
    }
    // The screen may have been left and opened again meanwhile.
    session.redraw();
  }

  function addReads(values) {
    for (const raw of values) {
      const value = raw.trim();
      if (!value) continue;
      const key = epcKey(value);
      const known = scanned.get(key);
      if (known) known.count += 1;
      else {
        scanned.set(key, { value, count: 1, match: null, pending: true });
        beep();
      }
    }
    result.replaceChildren();
    draw();
    scheduleLookup();
  }

  wedge.control.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter") return;
    ev.preventDefault();
    addReads([wedge.control.value]);
    wedge.control.value = "";
  });
  addPasted.addEventListener("click", () => {
    addReads(pasteBox.control.value.split(/\r?\n/));
    pasteBox.control.value = "";
  });
  picker.addEventListener("change", () => {
    session.location = picker.value;
    draw();
  });
  audioBtn.addEventListener("click", () => {
    session.audio = !session.audio;
    audioBtn.setAttribute("aria-pressed", String(session.audio));
    audioBtn.textContent = session.audio ? "Audio on" : "Audio off";
  });
  csvInput.addEventListener("change", async () => {
    const file = csvInput.files[0];
    if (!file) return;
    const text = await file.text();
    // First column of each line, without a header line.
    const cells = text.split(/\r?\n/)
      .map((l) => l.split(",")[0].replace(/"/g, "").trim())
      .filter(Boolean);
    if (cells.length && HEADERS.has(cells[0].toLowerCase())) cells.shift();
    session.expected = new Set(cells.map(epcKey));
    toast(`Loaded ${session.expected.size} expected tags`);
    draw();
  });

  saveBtn.addEventListener("click", () => busy(saveBtn, "Saving…", async () => {
    alert.clear();
    const c = counts();
    try {
      const res = await api("POST", "/inventory/save", {
        body: { location_identifier: picker.value, asset_identifiers: c.unsaved },
      });
      const d = res.data;
      // The saved assets are at that location now (INT-90); a second click
      // must not record the same reads again.
      for (const k of c.unsaved) session.saved.set(k, picker.value);
      const saved = new Set(c.unsaved);
      for (const r of scanned.values()) {
        const a = r.match && r.match.entity_type === "asset" ? r.match.asset : null;
        if (a && saved.has(a.external_key)) {
          a.location_id = d.location_id;
          a.location_external_key = picker.value;
        }
      }
      replace(result, h("p", { class: "alert ok", role: "status", id: "inv-saved" },
        `Saved ${d.count} asset${d.count === 1 ? "" : "s"} at ${d.location_name}.`));
    } catch (err) {
      showError(screen, alert, err);
    }
  }).then(() => {
    draw();
    // Back to the scan box: a keyboard-wedge reader types wherever the focus is.
    wedge.control.focus();
  }));

  const clear = () => {
    scanned.clear();
    session.expected = null;
    session.saved.clear();
    csvInput.value = "";
    result.replaceChildren();
    draw();
  };
  const share = () => downloadCsv("inventory.csv", ["epc", "reads", "entity_type", "external_key", "name"],
    [...scanned.values()].map((r) => [r.value, r.count, r.match ? r.match.entity_type : "",
      r.match ? (r.match.asset || r.match.location).external_key : "", r.match ? (r.match.asset || r.match.location).name : ""]));

  append(screen,
    heading("Inventory",
      h("button", { type: "button", onclick: () => csvInput.click() }, "Reconcile"),
      h("button", { type: "button", onclick: clear }, "Clear"),
      audioBtn,
      h("button", { type: "button", onclick: share }, "Share")),
    csvInput,
    alert,
    tree.length ? null : h("p", { class: "alert info" }, "There are no locations yet. ", h("a", { href: "#locations" }, "Create a location"), " to save scans."),
    h("div", { class: "inv-controls" }, locField, wedge, h("div", { class: "paste" }, pasteBox, addPasted)),
    stats,
    h("div", { class: "actions" }, saveBtn, saveHint, canScan() ? null
      : h("span", { class: "hint" }, "Your role can view scans but not save them.")),
    result,
    list);
  session.redraw = draw;
  draw();
  wedge.control.focus();
  if (scanned.size) lookup([...scanned.values()]);
}
