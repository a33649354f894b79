// Lookups several screens share: the location tree as picker options.

import { fetchAll } from "./api.js";

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
    out.push({ ...node, depth, path: label, childCount: (kids.get(node.id) || []).length });
    for (const child of (kids.get(node.id) || []).sort(byName)) walk(child, depth + 1, label);
  };
  for (const root of roots.sort(byName)) walk(root, 0, "");
  return out;
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
