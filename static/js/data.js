// Lookups several screens share: the location tree as picker options, and
// which tag a refused create was about.

import { api, fetchAll } from "./api.js";
import { h } from "./dom.js";

/**
 * All live, currently effective locations of the org, ordered as a tree
 * (parents before children, siblings by name), each with `depth` and `path`
 * ("Warehouse / Aisle 1"). Locations whose parent is not in the list are roots here.
 */
export async function loadLocationTree() {
  const rows = await fetchAll("/locations");
  return orderTree(rows);
}

export function orderTree(rows) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const kids = new Map();
  const roots = [];
  for (const r of rows) {
    if (r.parent_id && byId.has(r.parent_id)) {
      if (!kids.has(r.parent_id)) kids.set(r.parent_id, []);
      kids.get(r.parent_id).push(r);
    } else roots.push(r);
  }
  const byName = (a, b) => a.name.localeCompare(b.name) || a.id - b.id;
  const out = [];
  const walk = (node, depth, path) => {
    const label = path ? `${path} / ${node.name}` : node.name;
    out.push({ ...node, depth, path: label, parentPath: path,
      childCount: (kids.get(node.id) || []).length });
    for (const child of (kids.get(node.id) || []).sort(byName)) walk(child, depth + 1, label);
  };
  for (const root of roots.sort(byName)) walk(root, 0, "");
  return out;
}

/**
 * The ids of a location and of every location under it, from a tree in
 * orderTree's order, where a node's subtree is the run after it that lies
 * deeper. Filters by a building mean what is in the building, its shelves too.
 */
export function subtreeIds(tree, id) {
  const at = tree.findIndex((l) => l.id === id);
  if (at < 0) return [id];
  const ids = [id];
  for (let i = at + 1; i < tree.length && tree[i].depth > tree[at].depth; i++) {
    ids.push(tree[i].id);
  }
  return ids;
}

/**
 * A location as lists name it: its name, and under it the locations it sits
 * in. Sites repeat names ("Shelf 2" in every aisle), so the name alone does
 * not say where something is. `loc` is a tree entry (orderTree); without one
 * (a location deleted or not in effect) `fallback` is shown.
 */
export function placeLabel(loc, fallback = "—") {
  if (!loc) return h("span", { class: "place" }, fallback);
  if (!loc.parentPath) return h("span", { class: "place" }, loc.name);
  return h("span", { class: "place" }, loc.name, " ",
    h("span", { class: "place-parent" }, `in ${loc.parentPath}`));
}

/** Picker options for a location <select>; `none` adds a first "no location" entry. */
export function locationOptions(tree, { none = null, value = "external_key" } = {}) {
  const items = none ? [{ value: "", label: none }] : [];
  for (const loc of tree) {
    items.push({ value: loc[value], label: `${"\u00a0\u00a0".repeat(loc.depth)}${loc.name} (${loc.external_key})` });
  }
  return items;
}

/**
 * The key two EPC readings share when they name the same tag: readers pad with
 * leading zeros and the server matches ignoring them (INT-100); case is kept
 * because tag values are compared exactly (TAG-3).
 */
export function epcKey(value) {
  return value.trim().replace(/^0+/, "");
}

/**
 * A 409 "tags taken" (ASSET-6) says none of the tags the form sent: name them.
 * A tag listed twice, or one attached elsewhere (found with INT-100); `err`
 * keeps its general wording when the lookup names none. Returns `err`.
 */
export async function nameTakenTags(err, tags) {
  if (!err || (err.reason !== "tags_taken" && err.reason !== "tag_taken")) return err;
  const seen = new Set();
  for (const t of tags) {
    const k = `${t.tag_type}:${epcKey(t.value)}`;
    if (seen.has(k)) {
      err.message = err.detail = `Tag ${t.value} is listed twice. Remove one of them.`;
      return err;
    }
    seen.add(k);
  }
  const found = [];
  try {
    for (const type of new Set(tags.map((t) => t.tag_type))) {
      const values = tags.filter((t) => t.tag_type === type).map((t) => t.value);
      const res = await api("POST", "/lookup/tags", { body: { type, values } });
      for (const value of values) {
        if (res.data[value]) found.push([value, res.data[value]]);
      }
    }
  } catch {
    return err;
  }
  if (!found.length) return err;
  err.message = err.detail = found.map(([value, hit]) => {
    const owner = hit.asset || hit.location;
    const what = owner ? `${owner.name} (${owner.external_key})` : `#${hit.entity_id}`;
    return `Tag ${value} is already attached to the ${hit.entity_type} ${what}.`;
  }).join(" ");
  return err;
}
