// Location tree (SCREENS #locations; CONTRACT §19, §20): tree with search,
// details of the selected node, create root/child, edit, move, change the
// Location ID (rename), delete (showing the server's 409 reason), tags.

import { api } from "../api.js";
import { h, append, replace } from "../dom.js";
import {
  alertBox, field, form, heading, select, stat, empty, openDialog, confirmDialog, tagChips,
  toast, toLocalInput, fromLocalInput, fmtTime, loading, focusMark, refocus,
} from "../ui.js";
import { loadLocationTree, locationOptions, nameTakenTags } from "../data.js";
import { canEdit } from "../state.js";
import { tagManager, tagRows } from "./assets.js";

export async function render(screen, params) {
  let tree = [];
  let selectedId = Number(params.get("id")) || null;
  const alert = alertBox();
  const stats = h("div", { class: "stats" });
  const treeBox = h("div", { class: "tree", id: "location-tree" });
  const detail = h("div", { class: "detail", id: "location-detail", "aria-live": "polite" });
  const search = field({ label: "Search locations", name: "q", type: "search" });
  search.control.addEventListener("input", drawTree);

  // `focusNode`: after an action (create, edit, move, rename, delete) the
  // focus goes to the selected location in the tree, which says where the
  // location now is; the control that opened the dialog was redrawn away.
  async function load({ focusNode = false } = {}) {
    replace(treeBox, loading());
    tree = await loadLocationTree();
    if (selectedId && !tree.some((l) => l.id === selectedId)) selectedId = null;
    const active = tree.filter((l) => l.is_active).length;
    replace(stats,
      stat("Total", tree.length, "total"), stat("Active", active, "active"),
      stat("Inactive", tree.length - active, "inactive"), stat("Root Locations", tree.filter((l) => l.depth === 0).length, "roots"));
    drawTree();
    drawDetail();
    if (focusNode) focusSelected();
  }

  const reload = () => load({ focusNode: true })
    .catch((err) => alert.show(err.detail || String(err)));

  function focusSelected() {
    const node = treeBox.querySelector(".tree-node.selected");
    (node || screen.querySelector("h1")).focus();
  }

  function select_(id) {
    selectedId = id;
    history.replaceState(null, "", id ? `#locations?id=${id}` : "#locations");
    drawTree();
    drawDetail();
    // On a narrow screen the details sit below the whole tree: a choice that
    // changed nothing on screen would look ignored, so take the person there.
    const title = detail.querySelector("h2");
    const box = title ? title.getBoundingClientRect() : null;
    if (box && (box.top < 0 || box.bottom > window.innerHeight)) title.focus();
  }

  function drawTree() {
    const mark = focusMark(treeBox);
    drawNodes();
    refocus(treeBox, mark, search.control);
  }

  function drawNodes() {
    if (!tree.length) {
      replace(treeBox, empty("No locations found. Create a root location to get started.",
        canEdit() ? h("button", { type: "button", class: "primary", onclick: () => create(null) }, "Create root location") : null));
      return;
    }
    const term = search.control.value.trim().toLowerCase();
    let shown = tree;
    if (term) {
      // Keep matches and the chain above them so the tree still reads as a tree.
      const byId = new Map(tree.map((l) => [l.id, l]));
      const keep = new Set();
      for (const l of tree) {
        if (`${l.name} ${l.external_key} ${l.description || ""}`.toLowerCase().includes(term)) {
          for (let p = l; p && !keep.has(p.id); p = byId.get(p.parent_id)) keep.add(p.id);
        }
      }
      shown = tree.filter((l) => keep.has(l.id));
    }
    replace(treeBox, shown.length
      ? h("ul", { class: "tree-list" }, shown.map((l) => h("li", { class: `depth-${Math.min(l.depth, 8)}` },
        h("button", {
          type: "button",
          class: l.id === selectedId ? "tree-node selected" : "tree-node",
          "aria-current": l.id === selectedId ? "true" : false,
          onclick: () => select_(l.id),
        }, l.name, " ", h("span", { class: "hint" }, l.external_key), l.is_active ? null : h("span", { class: "badge" }, "inactive")))))
      : empty("No location matches this search."));
  }

  function drawDetail() {
    const loc = tree.find((l) => l.id === selectedId);
    detail.hidden = !loc && !tree.length;
    if (!loc) {
      replace(detail, tree.length ? h("p", { class: "hint" }, "Select a location to see its details.") : null);
      return;
    }
    const panelAlert = alertBox();
    const parent = tree.find((l) => l.id === loc.parent_id);
    const edit = canEdit();
    replace(detail,
      h("h2", { tabindex: "-1" }, loc.name),
      panelAlert,
      h("dl", { class: "facts" },
        h("dt", {}, "Location ID"), h("dd", {}, h("code", {}, loc.external_key)),
        h("dt", {}, "Path"), h("dd", {}, loc.path),
        h("dt", {}, "Parent"), h("dd", {}, parent ? parent.name : "None (root)"),
        h("dt", {}, "Description"), h("dd", {}, loc.description || "—"),
        h("dt", {}, "Status"), h("dd", {}, loc.is_active ? "Active" : "Inactive"),
        h("dt", {}, "Valid"), h("dd", {}, `${fmtTime(loc.valid_from)} → ${loc.valid_to ? fmtTime(loc.valid_to) : "no end"}`),
        h("dt", {}, "Children"), h("dd", {}, String(loc.childCount))),
      edit ? h("div", { class: "actions wrap" },
        h("button", { type: "button", class: "primary", onclick: () => create(loc) }, "Add child"),
        h("button", { type: "button", onclick: () => editLoc(loc) }, "Edit"),
        h("button", { type: "button", onclick: () => move(loc) }, "Move"),
        // Rename would read as the name, which Edit changes.
        h("button", { type: "button", onclick: () => rename(loc) }, "Change ID"),
        h("button", { type: "button", class: "danger", onclick: () => remove(loc, panelAlert) }, "Delete")) : null,
      h("h3", {}, "Tags"),
      edit ? tagManager(`/locations/${loc.id}/tags`, loc.tags) : tagChips(loc.tags),
      h("p", {}, h("a", { href: `#reports?location_id=${loc.id}` },
        "See which assets are here")));
  }

  async function create(parent) {
    const created = await openDialog(parent ? `New location under ${parent.name}` : "New location", (close) => {
      const name = field({ label: "Name", name: "name", required: true });
      const key = field({ label: "Location ID", name: "external_key", hint: "Leave blank to get the next LOC-0001 style ID. Letters, digits and hyphens.", attrs: { autocomplete: "off" } });
      const desc = field({ label: "Description", name: "description", control: h("textarea", { rows: "2" }) });
      const par = field({ label: "Parent", name: "parent_id", control: select(locationOptions(tree, { none: "None — a root location", value: "id" }), parent ? parent.id : "") });
      const active = field({ label: "Active", name: "is_active", type: "checkbox", attrs: { checked: true } });
      const tags = tagRows("", "Tags");
      return form({
        fields: [name, key, desc, par, active, tags],
        submitLabel: "Create location",
        busyLabel: "Creating…",
        onSubmit: async () => {
          const body = { name: name.control.value.trim(), is_active: active.control.checked };
          if (key.control.value.trim()) body.external_key = key.control.value.trim();
          if (desc.control.value.trim()) body.description = desc.control.value.trim();
          if (par.control.value) body.parent_id = Number(par.control.value);
          const list = tags.read();
          if (list.length) body.tags = list;
          const res = await api("POST", "/locations", { body })
            .catch(async (err) => { throw await nameTakenTags(err, list); });
          close(res.data);
        },
      });
    }, { wide: true });
    if (created) {
      toast(`Created ${created.name}`);
      selectedId = created.id;
      history.replaceState(null, "", `#locations?id=${created.id}`);
      reload();
    }
  }

  async function editLoc(loc) {
    const saved = await openDialog(`Edit ${loc.name}`, (close) => {
      const name = field({ label: "Name", name: "name", value: loc.name, required: true });
      const desc = field({ label: "Description", name: "description", control: h("textarea", { rows: "2" }) });
      desc.control.value = loc.description || "";
      const active = field({ label: "Active", name: "is_active", type: "checkbox", attrs: { checked: loc.is_active } });
      const from = field({ label: "Valid from", name: "valid_from", type: "datetime-local", value: toLocalInput(loc.valid_from) });
      const to = field({ label: "Valid to", name: "valid_to", type: "datetime-local", value: toLocalInput(loc.valid_to), hint: "Blank = no end." });
      return form({
        fields: [name, desc, h("div", { class: "two" }, from, to), active],
        submitLabel: "Save changes",
        busyLabel: "Saving…",
        onSubmit: async () => {
          const patch = {};
          if (name.control.value.trim() !== loc.name) patch.name = name.control.value.trim();
          const d = desc.control.value.trim() || null;
          if (d !== loc.description) patch.description = d;
          if (active.control.checked !== loc.is_active) patch.is_active = active.control.checked;
          if (from.control.value !== toLocalInput(loc.valid_from)) patch.valid_from = fromLocalInput(from.control.value);
          if (to.control.value !== toLocalInput(loc.valid_to)) patch.valid_to = fromLocalInput(to.control.value);
          close((await api("PATCH", `/locations/${loc.id}`, { body: patch })).data);
        },
      });
    }, { wide: true });
    if (saved) reload();
  }

  async function move(loc) {
    // A location cannot move under itself or its own descendants (LOC-7).
    const below = new Set([loc.id]);
    for (const l of tree) if (below.has(l.parent_id)) below.add(l.id);
    const targets = tree.filter((l) => !below.has(l.id));
    const moved = await openDialog(`Move ${loc.name}`, (close) => {
      const par = field({ label: "New parent", name: "parent_id", control: select(locationOptions(targets, { none: "None — make it a root", value: "id" }), loc.parent_id || "") });
      return form({
        fields: [par],
        submitLabel: "Move",
        busyLabel: "Moving…",
        onSubmit: async () => {
          const parentId = par.control.value ? Number(par.control.value) : null;
          close((await api("PATCH", `/locations/${loc.id}`, { body: { parent_id: parentId } })).data);
        },
      });
    });
    if (moved) {
      toast(`Moved ${moved.name}`);
      reload();
    }
  }

  async function rename(loc) {
    const res = await openDialog(`Change the Location ID of ${loc.name}`, (close) => {
      const key = field({ label: "Location ID", name: "external_key", value: loc.external_key, required: true, hint: "Child locations keep their place; they simply show the new parent ID." });
      return form({
        fields: [key],
        submitLabel: "Change ID",
        busyLabel: "Changing…",
        onSubmit: async () => close(await api("POST", `/locations/${loc.id}/rename`, { body: { external_key: key.control.value.trim() } })),
      });
    });
    if (res) {
      const n = res.descendant_count_affected;
      toast(`Location ID is now ${res.data.external_key}${n ? ` (${n} location${n === 1 ? "" : "s"} below it now show it)` : ""}`);
      reload();
    }
  }

  async function remove(loc, panelAlert) {
    if (!(await confirmDialog("Delete location", `Delete ${loc.name} (${loc.external_key})?`, "Delete"))) return;
    try {
      await api("DELETE", `/locations/${loc.id}`);
      toast(`Deleted ${loc.name}`);
      selectedId = loc.parent_id || null;
      reload();
    } catch (err) {
      // 409 says why: child locations or assets still there (LOC-8), in the
      // app's words (api.js).
      panelAlert.show(err.detail);
    }
  }

  append(screen,
    heading("Locations", canEdit() ? h("button", { type: "button", class: "primary", id: "create-location", onclick: () => create(null) }, "New root location") : null),
    alert,
    h("div", { class: "split" }, h("div", { class: "split-left" }, search, treeBox), detail),
    stats,
    canEdit() ? h("button", { type: "button", class: "fab", "aria-label": "Create location", onclick: () => create(tree.find((l) => l.id === selectedId) || null) }, "+") : null);
  await load();
}
