// Asset catalogue (SCREENS #assets; CONTRACT §18, §20): search, location filter,
// sort, paging; create with tags; edit by merge patch; rename; delete; tags.

import { api, fetchAll } from "../api.js";
import { h, append, replace } from "../dom.js";
import {
  alertBox, field, form, heading, select, stat, empty, pager, openDialog, confirmDialog,
  tagChips, toast, debounce, loading, toLocalInput, fromLocalInput, busy, downloadCsv,
  focusMark, refocus,
} from "../ui.js";
import {
  loadLocationTree, locationOptions, nameTakenTags, placeLabel, subtreeIds,
} from "../data.js";
import { canEdit } from "../state.js";

const LIMIT = 25;
const SORTS = [
  { value: "external_key", label: "Asset ID (A–Z)" },
  { value: "-external_key", label: "Asset ID (Z–A)" },
  { value: "name", label: "Name (A–Z)" },
  { value: "-name", label: "Name (Z–A)" },
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "-updated_at", label: "Recently changed" },
];
const TAG_TYPES = [{ value: "rfid", label: "RFID" }, { value: "barcode", label: "Barcode" }, { value: "ble", label: "BLE" }];

export async function render(screen, params) {
  const filters = { q: "", location: "", sort: "external_key", status: "", offset: 0 };
  const tree = await loadLocationTree();
  const locById = new Map(tree.map((l) => [l.id, l]));
  const alert = alertBox();
  const body = h("div", { class: "list-body" });
  const stats = h("div", { class: "stats" });
  const notice = h("div", { id: "asset-notice" });

  const q = field({ label: "Search", name: "q", type: "search", hint: "Asset ID, name, description or tag number." });
  const loc = field({ label: "Location", name: "location", control: select(
    [{ value: "", label: "All locations" }, { value: "unassigned", label: "Unassigned" }, ...locationOptions(tree, { value: "id" })], "") });
  const sort = field({ label: "Sort", name: "sort", control: select(SORTS, filters.sort) });
  const status = field({ label: "Status", name: "status", control: select(
    [{ value: "", label: "Any" }, { value: "true", label: "Active" }, { value: "false", label: "Inactive" }], "") });

  const reload = () => load().catch((err) => alert.show(err.detail || String(err)));
  q.control.addEventListener("input", debounce(() => { filters.q = q.control.value; filters.offset = 0; reload(); }));
  for (const [f, key] of [[loc, "location"], [sort, "sort"], [status, "status"]]) {
    f.control.addEventListener("change", () => { filters[key] = f.control.value; filters.offset = 0; reload(); });
  }

  function baseQuery() {
    const query = { q: filters.q, sort: filters.sort };
    // The location and those under it, as repeated location_id (PAGE-6).
    if (filters.location && filters.location !== "unassigned") {
      query.location_id = subtreeIds(tree, Number(filters.location));
    }
    return query;
  }

  // The page, the row or the control the person was on keeps the focus
  // across the redraw (a page change, a dialog closing).
  async function load() {
    const mark = focusMark(screen);
    try {
      await drawList();
    } finally {
      refocus(screen, mark, screen.querySelector("h1"));
    }
  }

  async function drawList() {
    replace(body, loading());
    let rows;
    let total;
    let all;
    let active;
    if (filters.location === "unassigned") {
      // The API has no "no location" filter; gather and filter here.
      const everything = (await fetchAll("/assets", baseQuery())).filter((a) => a.location_id === null);
      all = everything.length;
      active = everything.filter((a) => a.is_active).length;
      const shown = filters.status ? everything.filter((a) => String(a.is_active) === filters.status) : everything;
      total = shown.length;
      rows = shown.slice(filters.offset, filters.offset + LIMIT);
    } else {
      const query = { ...baseQuery(), limit: LIMIT, offset: filters.offset, is_active: filters.status };
      const [page, allPage, activePage] = await Promise.all([
        api("GET", "/assets", { query }),
        api("GET", "/assets", { query: { ...baseQuery(), limit: 1 } }),
        api("GET", "/assets", { query: { ...baseQuery(), limit: 1, is_active: "true" } }),
      ]);
      rows = page.data;
      total = page.total_count;
      all = allPage.total_count;
      active = activePage.total_count;
    }
    replace(stats, stat("Total", all, "total"), stat("Active", active, "active"), stat("Inactive", all - active, "inactive"));
    if (!rows.length) {
      const filtered = filters.q || filters.location || filters.status;
      replace(body, filtered
        ? empty("No assets match these filters. Clear the search or pick another location.")
        : empty("No assets yet. Create your first asset and attach its RFID tag.", canEdit() ? h("button", { type: "button", class: "primary", onclick: () => createAsset() }, "Create Asset") : null));
      return;
    }
    replace(body,
      h("table", { class: "table", id: "assets-table" },
        h("thead", {}, h("tr", {}, ["Asset ID", "Name", "Location", "Tags", "Status", "Actions"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map(row))),
      pager({ total, limit: LIMIT, offset: filters.offset, label: "Asset pages", onChange: (o) => { filters.offset = o; reload(); } }));
  }

  function locationLabel(a) {
    if (a.location_id === null) return "—";
    return placeLabel(locById.get(a.location_id), a.location_external_key);
  }

  function row(a) {
    const rfid = a.tags.find((t) => t.tag_type === "rfid");
    return h("tr", { dataset: { key: a.external_key } },
      h("td", { "data-label": "Asset ID" }, h("code", {}, a.external_key)),
      h("td", { "data-label": "Name" }, a.name),
      h("td", { "data-label": "Location" }, locationLabel(a)),
      h("td", { "data-label": "Tags" }, tagChips(a.tags)),
      h("td", { "data-label": "Status" }, h("span", { class: a.is_active ? "badge ok" : "badge" }, a.is_active ? "Active" : "Inactive")),
      h("td", { "data-label": "Actions" }, h("div", { class: "row-actions" },
        canEdit() ? h("button", { type: "button", onclick: () => editAsset(a), "aria-label": `Edit ${a.name}` }, "Edit") : null,
        h("a", { class: "button", href: `#reports-history?asset=${a.id}`, "aria-label": `History of ${a.name}` }, "History"),
        rfid ? h("a", { class: "button", href: `#locate?epc=${encodeURIComponent(rfid.value)}`, "aria-label": `Locate ${a.name}` }, "Locate") : null,
        canEdit() ? h("button", { type: "button", class: "danger", onclick: () => deleteAsset(a), "aria-label": `Delete ${a.name}` }, "Delete") : null)));
  }

  async function deleteAsset(a) {
    if (!(await confirmDialog("Delete asset", `Delete ${a.name} (${a.external_key})? Its tags are released and its scan history is kept.`, "Delete"))) return;
    try {
      await api("DELETE", `/assets/${a.id}`);
      toast(`Deleted ${a.external_key}`);
    } catch (err) {
      alert.show(err.detail);
    }
    reload();
  }

  async function createAsset(prefillTag = "") {
    const created = await openDialog("Create asset", (close) => assetCreateForm(tree, prefillTag, close), { wide: true });
    if (!created) return;
    const key = created.external_key;
    const hidden = outOfEffect(created.valid_from, created.valid_to);
    if (hidden) {
      // Lists show only currently effective assets (CONTRACT PAGE-15); the
      // asset itself opens by its id.
      const back = h("a", { href: "#inventory" }, "Back to Inventory");
      replace(notice, h("p", { class: "alert warn", role: "status" },
        `Created ${key}. ${hidden}, so the asset list and search do not show it. `,
        h("a", { href: `#assets?id=${created.id}` }, `Open ${key}`),
        prefillTag ? [" · ", back] : null));
    } else if (prefillTag) {
      // Registered from an inventory scan: the scan is waiting there.
      replace(notice, h("p", { class: "alert ok", role: "status" },
        `Created ${key} with tag ${prefillTag}. `,
        h("a", { href: "#inventory" }, "Back to Inventory")));
    } else {
      replace(notice);
      toast(`Created ${key}`);
    }
    if (prefillTag) history.replaceState(null, "", "#assets");
    reload();
  }

  async function editAsset(a) {
    await openDialog(`Edit ${a.external_key}`, () => assetEditPanel(a), { wide: true });
    reload();
  }

  append(screen,
    heading("Assets",
      canEdit() ? h("button", { type: "button", class: "primary", id: "create-asset", onclick: () => createAsset() }, "Create Asset") : null,
      h("button", { type: "button", onclick: () => shareAssets(baseQuery(), locById) }, "Share")),
    alert,
    notice,
    h("div", { class: "filters" }, q, loc, sort, status),
    stats,
    body,
    canEdit() ? h("button", { type: "button", class: "fab", "aria-label": "Create asset", onclick: () => createAsset() }, "+") : null);
  await load();
  if (params.get("new_tag") && canEdit()) createAsset(params.get("new_tag"));
  else if (params.get("id") && canEdit()) openById(params.get("id"));

  // A link to one asset, also one the list does not show (path lookups ignore
  // the validity window: CONTRACT ASSET-8).
  async function openById(id) {
    let asset;
    try {
      asset = (await api("GET", `/assets/${encodeURIComponent(id)}`)).data;
    } catch (err) {
      const missing = err.status === 404 || err.status === 400;
      alert.show(missing ? `No asset with id ${id}.` : err.detail);
      return;
    }
    await editAsset(asset);
    history.replaceState(null, "", "#assets");
  }
}

/**
 * Why an asset with these validity dates is left out of the list and search
 * (CONTRACT PAGE-15), or "" when it is in effect now.
 */
export function outOfEffect(validFrom, validTo, now = Date.now()) {
  const at = (ts) => new Date(ts).getTime();
  if (validTo && at(validTo) <= now) return "Valid to is in the past";
  // The server accepts such a pair (DATE-7), but no moment falls inside it.
  if (validFrom && validTo && at(validTo) <= at(validFrom)) {
    return "Valid to is not after Valid from";
  }
  if (validFrom && at(validFrom) > now) return "Valid from is in the future";
  return "";
}

/** A warning under the validity fields, kept up to date while they are edited. */
function validityWarning(from, to, after = "") {
  const note = h("p", { class: "alert warn", role: "status", hidden: true });
  const update = () => {
    const why = outOfEffect(fromLocalInput(from.control.value),
      fromLocalInput(to.control.value));
    note.textContent = why
      ? `${why}: this asset will not show in the asset list or search.${after}`
      : "";
    note.hidden = !why;
  };
  for (const f of [from, to]) {
    f.control.addEventListener("input", update);
    f.control.addEventListener("change", update);
  }
  update();
  return note;
}

async function shareAssets(query, locById) {
  const rows = await fetchAll("/assets", query);
  downloadCsv("assets.csv", ["external_key", "name", "description", "location", "tags", "is_active"],
    rows.map((a) => [a.external_key, a.name, a.description, a.location_id ? (locById.get(a.location_id)?.name || a.location_external_key) : "",
      a.tags.map((t) => `${t.tag_type}:${t.value}`).join(" "), a.is_active]));
}

/** Editable list of tag rows for the create dialog. */
export function tagRows(initial, legend = "RFID tags") {
  const box = h("div", { class: "tag-rows" });
  const add = (value = "") => {
    const typeSel = select(TAG_TYPES, "rfid", { "aria-label": "Tag type" });
    const input = h("input", { type: "text", value, "aria-label": "Tag number", spellcheck: "false", class: "tag-value" });
    const rowEl = h("div", { class: "tag-row" }, typeSel, input,
      h("button", { type: "button", "aria-label": "Remove this tag", onclick: () => rowEl.remove() }, "Remove"));
    rowEl.read = () => ({ tag_type: typeSel.value, value: input.value.trim() });
    box.append(rowEl);
    return input;
  };
  add(initial);
  const wrap = h("fieldset", { class: "field tags-field" },
    h("legend", {}, legend),
    box,
    h("button", { type: "button", onclick: () => add().focus() }, "Add tag"),
    h("p", { class: "field-error", dataset: { field: "value" } }),
    h("p", { class: "field-error", dataset: { field: "tag_type" } }));
  wrap.read = () => [...box.children].map((r) => r.read()).filter((t) => t.value);
  return wrap;
}

function assetCreateForm(tree, prefillTag, close) {
  const key = field({ label: "Asset ID", name: "external_key", hint: "Leave blank to get the next ASSET-0001 style ID. Letters, digits and hyphens.", attrs: { autocomplete: "off" } });
  const name = field({ label: "Name", name: "name", required: true });
  const desc = field({ label: "Description", name: "description", control: h("textarea", { rows: "2" }) });
  const loc = field({ label: "Location", name: "location_id", control: select(locationOptions(tree, { none: "No location", value: "id" }), "") });
  const active = field({ label: "Active", name: "is_active", type: "checkbox", attrs: { checked: true } });
  const from = field({ label: "Valid from", name: "valid_from", type: "datetime-local", hint: "Blank = now." });
  const to = field({ label: "Valid to", name: "valid_to", type: "datetime-local", hint: "Blank = no end." });
  const tags = tagRows(prefillTag);
  return form({
    fields: [key, name, desc, loc, h("div", { class: "two" }, from, to),
      validityWarning(from, to, " A link to open it appears after it is created."),
      active, tags],
    submitLabel: "Create asset",
    busyLabel: "Creating…",
    onSubmit: async () => {
      const body = { name: name.control.value.trim(), is_active: active.control.checked };
      if (key.control.value.trim()) body.external_key = key.control.value.trim();
      if (desc.control.value.trim()) body.description = desc.control.value.trim();
      if (loc.control.value) body.location_id = Number(loc.control.value);
      if (from.control.value) body.valid_from = fromLocalInput(from.control.value);
      if (to.control.value) body.valid_to = fromLocalInput(to.control.value);
      const list = tags.read();
      if (list.length) body.tags = list;
      const res = await api("POST", "/assets", { body })
        .catch(async (err) => { throw await nameTakenTags(err, list); });
      close(res.data);
    },
  });
}

/** Edit dialog: details (merge patch), Asset ID (rename), tags (add/remove). */
function assetEditPanel(asset) {
  let current = asset;
  const name = field({ label: "Name", name: "name", value: asset.name, required: true });
  const desc = field({ label: "Description", name: "description", control: h("textarea", { rows: "2" }) });
  desc.control.value = asset.description || "";
  const active = field({ label: "Active", name: "is_active", type: "checkbox", attrs: { checked: asset.is_active } });
  const from = field({ label: "Valid from", name: "valid_from", type: "datetime-local", value: toLocalInput(asset.valid_from) });
  const to = field({ label: "Valid to", name: "valid_to", type: "datetime-local", value: toLocalInput(asset.valid_to), hint: "Blank = no end." });
  const details = form({
    fields: [name, desc, h("div", { class: "two" }, from, to),
      validityWarning(from, to), active,
      h("p", { class: "hint" }, `Location: ${asset.location_external_key || "none"} — it changes when the asset is scanned somewhere.`)],
    submitLabel: "Save changes",
    busyLabel: "Saving…",
    onSubmit: async () => {
      // Merge patch (CONTRACT PATCH-1): send only what changed; null clears.
      const patch = {};
      const n = name.control.value.trim();
      if (n !== current.name) patch.name = n;
      const d = desc.control.value.trim() || null;
      if (d !== current.description) patch.description = d;
      if (active.control.checked !== current.is_active) patch.is_active = active.control.checked;
      if (from.control.value !== toLocalInput(current.valid_from)) patch.valid_from = fromLocalInput(from.control.value);
      if (to.control.value !== toLocalInput(current.valid_to)) patch.valid_to = fromLocalInput(to.control.value);
      const res = await api("PATCH", `/assets/${current.id}`, { body: patch });
      current = res.data;
      details.alert.show("Saved.", "ok");
    },
  });

  const newKey = field({ label: "Asset ID", name: "external_key", value: asset.external_key, required: true, attrs: { autocomplete: "off" } });
  const rename = form({
    fields: [newKey],
    // The name is under Details; this changes the Asset ID only.
    submitLabel: "Change ID",
    busyLabel: "Changing…",
    cls: "inline",
    onSubmit: async () => {
      const res = await api("POST", `/assets/${current.id}/rename`, { body: { external_key: newKey.control.value.trim() } });
      current = res.data;
      rename.alert.show(`Asset ID is now ${current.external_key}.`, "ok");
      // The dialog is titled by the ID; keep it naming the asset as it is now.
      const title = rename.closest("dialog")?.querySelector(".dialog-head h2");
      if (title) title.textContent = `Edit ${current.external_key}`;
    },
  });

  return h("div", { class: "edit-panel" },
    h("h3", {}, "Details"), details,
    h("h3", {}, "Asset ID"), rename,
    h("h3", {}, "Tags"), tagManager(`/assets/${asset.id}/tags`, asset.tags));
}

/** Tags of one asset or location: remove each, attach a new one (CONTRACT TAG-5/6). */
export function tagManager(base, initial) {
  const tags = initial; // kept in step with the caller's copy of the record
  const alert = alertBox();
  const list = h("ul", { class: "tag-list" });
  const draw = () => replace(list, tags.length
    ? tags.map((t) => {
      const btn = h("button", { type: "button", class: "danger small", "aria-label": `Remove tag ${t.value}` }, "Remove");
      btn.addEventListener("click", () => busy(btn, "Removing…", async () => {
        try {
          await api("DELETE", `${base}/${t.id}`);
          tags.splice(tags.indexOf(t), 1);
          draw();
        } catch (err) {
          alert.show(err.detail);
        }
      }));
      return h("li", {}, h("code", {}, `${t.tag_type}:${t.value}`), " ", btn);
    })
    : h("li", { class: "hint" }, "No tags yet. Add the tag number printed on the label or read by your reader."));
  draw();
  const type = field({ label: "Type", name: "tag_type", control: select(TAG_TYPES, "rfid") });
  const value = field({ label: "Tag number", name: "value", attrs: { spellcheck: "false", autocomplete: "off" } });
  const add = form({
    fields: [h("div", { class: "two" }, type, value)],
    submitLabel: "Add tag",
    busyLabel: "Adding…",
    cls: "inline",
    onSubmit: async () => {
      const tag = { tag_type: type.control.value, value: value.control.value.trim() };
      const res = await api("POST", base, { body: tag })
        .catch(async (err) => { throw await nameTakenTags(err, [tag]); });
      tags.push(res.data);
      value.control.value = "";
      draw();
    },
  });
  return h("div", { class: "tag-manager" }, alert, list, add);
}

