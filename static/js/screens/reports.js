// Reports (SCREENS #reports, #reports-history; CONTRACT §21, §22): where every
// scanned asset was last seen, with the time windows applied here to
// asset_last_seen, and the timeline of one asset.

import { api, fetchAll } from "../api.js";
import { h, append, replace } from "../dom.js";
import {
  alertBox, field, form, heading, select, stat, empty, pager, loading, fmtTime, fmtDuration,
  downloadCsv, debounce, fromLocalInput, focusMark, refocus,
} from "../ui.js";
import { loadLocationTree, locationOptions, placeLabel, subtreeIds } from "../data.js";
import { canExport } from "../state.js";

const LIMIT = 25;
const MIN = 60 * 1000;
const DAY = 24 * 60 * MIN;
const WINDOWS = [
  { value: "all", label: "All Time" },
  { value: "live", label: "Live (< 15 min)" },
  { value: "today", label: "Today" },
  { value: "week", label: "Last 7 days" },
  { value: "stale", label: "Stale (> 7 days)" },
];

function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Does a last-seen time fall in the chosen window? */
export function inWindow(ts, win, now = Date.now()) {
  const t = new Date(ts).getTime();
  switch (win) {
    case "live": return now - t < 15 * MIN;
    case "today": return t >= startOfToday();
    case "week": return now - t <= 7 * DAY;
    case "stale": return now - t > 7 * DAY;
    default: return true;
  }
}

function tabs(names, active, onPick) {
  const list = h("div", { class: "tabs", role: "tablist" });
  names.forEach(([id, label]) => {
    const tab = h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-selected": String(id === active), tabindex: id === active ? "0" : "-1" }, label);
    tab.addEventListener("click", () => onPick(id));
    tab.addEventListener("keydown", (ev) => {
      if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
      const i = names.findIndex(([n]) => n === id);
      const next = names[(i + (ev.key === "ArrowRight" ? 1 : names.length - 1)) % names.length][0];
      onPick(next);
      document.getElementById(`tab-${next}`)?.focus();
    });
    list.append(tab);
  });
  return list;
}

export async function render(screen, params) {
  append(screen, heading("Reports"), loading());
  const [rows, assets, tree] = await Promise.all([
    fetchAll("/reports/asset-locations"),
    fetchAll("/assets"),
    loadLocationTree(),
  ]);
  screen.querySelector(".loading").remove();
  const assetById = new Map(assets.map((a) => [a.id, a]));
  const locById = new Map(tree.map((l) => [l.id, l]));
  // #reports?location_id=N opens the report filtered to that location and
  // the locations under it, as the location picker does.
  const wanted = Number(params.get("location_id"));
  const atLocation = locById.has(wanted) ? String(wanted) : "";
  const now = Date.now();

  append(screen, h("div", { class: "stats" },
    stat("Total Assets Tracked", rows.length, "tracked"),
    stat("Assets Seen Today", rows.filter((r) => inWindow(r.asset_last_seen, "today", now)).length, "today"),
    stat("Stale Assets (> 7 days)", rows.filter((r) => inWindow(r.asset_last_seen, "stale", now)).length, "stale")));

  if (!rows.length) {
    append(screen, empty("Nothing has been scanned yet. Run an inventory to record where your assets are.",
      h("a", { class: "button primary", href: "#inventory" }, "Go to Inventory")));
    return;
  }

  const panel = h("div", { role: "tabpanel" });
  const tabBar = h("div");
  let active = "locations";
  const pick = (id) => {
    active = id;
    replace(tabBar, tabs([["locations", "Locations History"], ["history", "Asset History"]], active, pick));
    panel.setAttribute("aria-labelledby", `tab-${id}`);
    replace(panel);
    if (id === "locations") locationsTab(panel, rows, assetById, locById, atLocation);
    else historyPanel(panel, assets, locById, null);
  };
  append(screen, tabBar, panel);
  pick(active);
}

function locationsTab(panel, rows, assetById, locById, atLocation = "") {
  const f = { text: "", location: atLocation, window: "all", offset: 0 };
  const places = [...locById.values()]; // the tree, in orderTree's order
  const name = field({ label: "Asset name", name: "asset", type: "search" });
  const locItems = [{ value: "", label: "All locations" },
    ...locationOptions(places, { value: "id" })];
  const loc = field({ label: "Location", name: "location",
    control: select(locItems, f.location) });
  const win = field({ label: "Time window", name: "window", control: select(WINDOWS, "all") });
  const body = h("div");
  const assetName = (r) => assetById.get(r.asset_id)?.name || r.asset_external_key;
  const locName = (r) => (r.location_id ? locById.get(r.location_id)?.name || r.location_external_key : "Unknown or removed location");
  const locCell = (r) => (r.location_id ? placeLabel(locById.get(r.location_id), r.location_external_key) : locName(r));

  const filtered = () => {
    const text = f.text.trim().toLowerCase();
    const inPlace = new Set(f.location ? subtreeIds(places, Number(f.location)) : []);
    return rows.filter((r) =>
      (!text || `${assetName(r)} ${r.asset_external_key}`.toLowerCase().includes(text)) &&
      (!f.location || inPlace.has(r.location_id)) &&
      inWindow(r.asset_last_seen, f.window));
  };
  const draw = () => {
    const mark = focusMark(body);
    drawRows();
    refocus(body, mark, panel.querySelector("[role=tab][aria-selected=true]"));
  };
  const drawRows = () => {
    const list = filtered();
    if (!list.length) {
      replace(body, empty("No assets match these filters. Widen the time window or clear the search."));
      return;
    }
    replace(body,
      h("table", { class: "table", id: "report-table" },
        h("thead", {}, h("tr", {}, ["Asset", "Location", "Last seen", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, list.slice(f.offset, f.offset + LIMIT).map((r) => h("tr", { dataset: { asset: r.asset_external_key } },
          h("td", { "data-label": "Asset" }, assetName(r), " ", h("code", {}, r.asset_external_key)),
          h("td", { "data-label": "Location" }, locCell(r)),
          h("td", { "data-label": "Last seen" }, fmtTime(r.asset_last_seen)),
          h("td", { "data-label": "History" }, h("a", { href: `#reports-history?asset=${r.asset_id}`, "aria-label": `History of ${assetName(r)}` }, "History")))))),
      pager({ total: list.length, limit: LIMIT, offset: f.offset, label: "Report pages", onChange: (o) => { f.offset = o; draw(); } }));
  };
  name.control.addEventListener("input", debounce(() => { f.text = name.control.value; f.offset = 0; draw(); }, 150));
  loc.control.addEventListener("change", () => { f.location = loc.control.value; f.offset = 0; draw(); });
  win.control.addEventListener("change", () => { f.window = win.control.value; f.offset = 0; draw(); });
  // Exporting reports is for managers and admins (INT-10).
  const share = canExport() ? h("div", { class: "actions toolbar" }, h("button", { type: "button", onclick: () => downloadCsv("asset-locations.csv",
    ["asset_external_key", "asset_name", "location_external_key", "location_name", "last_seen"],
    filtered().map((r) => [r.asset_external_key, assetName(r), r.location_external_key, locName(r), r.asset_last_seen])) }, "Share")) : null;
  append(panel, h("div", { class: "filters" }, name, loc, win), share, body);
  draw();
}

/** Pick an asset and a period; list its sightings newest first with dwell times. */
function historyPanel(panel, assets, locById, assetId) {
  const sorted = [...assets].sort((a, b) => a.name.localeCompare(b.name));
  const pickAsset = field({ label: "Asset", name: "asset", control: select(
    [{ value: "", label: "Choose an asset…" }, ...sorted.map((a) => ({ value: a.id, label: `${a.name} (${a.external_key})` }))], assetId || "") });
  const from = field({ label: "From", name: "from", type: "datetime-local" });
  const to = field({ label: "To", name: "to", type: "datetime-local" });
  const out = h("div", { class: "timeline-box" });
  let offset = 0;

  async function load() {
    const mark = focusMark(out);
    try {
      await drawHistory();
    } finally {
      refocus(out, mark, pickAsset.control);
    }
  }

  async function drawHistory() {
    const id = pickAsset.control.value;
    if (!id) {
      replace(out, empty("Choose an asset to see where and when it was seen."));
      return;
    }
    replace(out, loading());
    const res = await api("GET", `/assets/${id}/history`, {
      query: { from: fromLocalInput(from.control.value), to: fromLocalInput(to.control.value), limit: LIMIT, offset },
    });
    if (!res.data.length) {
      replace(out, empty("No sightings in this period. Scan the asset on the Inventory screen, or widen the period."));
      return;
    }
    replace(out,
      h("ol", { class: "timeline", id: "history-timeline" }, res.data.map((e) => h("li", {},
        h("strong", {}, e.location_id
          ? placeLabel(locById.get(e.location_id), e.location_external_key || `Location #${e.location_id}`)
          : "Unknown location"),
        h("span", { class: "when" }, fmtTime(e.event_observed_at)),
        h("span", { class: "dwell" }, e.duration_seconds === null ? "latest sighting" : `stayed ${fmtDuration(e.duration_seconds)}`)))),
      pager({ total: res.total_count, limit: LIMIT, offset, label: "History pages", onChange: (o) => { offset = o; load().catch(fail); } }));
  }
  const alert = alertBox();
  const fail = (err) => { replace(out); alert.show(err.detail || String(err)); };
  const f = form({
    fields: [h("div", { class: "filters" }, pickAsset, from, to)],
    submitLabel: "Show history",
    busyLabel: "Loading…",
    onSubmit: async () => {
      offset = 0;
      await load();
    },
  });
  append(panel, f, out);
  load().catch(fail);
}

export async function history(screen, params) {
  append(screen, heading("Asset history", h("a", { class: "button", href: "#reports" }, "Back to reports")));
  const [assets, tree] = await Promise.all([fetchAll("/assets"), loadLocationTree()]);
  const wanted = Number(params.get("asset"));
  if (wanted && !assets.some((a) => a.id === wanted)) {
    // Lists hold only currently effective assets; history works for any live one.
    try {
      assets.push((await api("GET", `/assets/${wanted}`)).data);
    } catch (err) {
      if (err.status !== 404 && err.status !== 400) throw err;
    }
  }
  const locById = new Map(tree.map((l) => [l.id, l]));
  const panel = h("div");
  append(screen, panel);
  historyPanel(panel, assets, locById, params.get("asset"));
}
