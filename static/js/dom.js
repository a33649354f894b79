// Element construction without innerHTML: every value reaches the page as text,
// so names and descriptions typed by users can never become markup.

/**
 * h("button", {class: "primary", onclick: fn, disabled: true}, "Save")
 * Attributes: `class`, `text`, `on<event>` handlers, `dataset` object, booleans
 * (true sets an empty attribute, false/null/undefined leaves it out), others as strings.
 * Children: nodes, strings, numbers, arrays (flattened), null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let uid = 0;
/** A fresh id for label/input pairs. */
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** <option> list from [{value, label}]; `selected` marks the current value. */
export function options(items, selected) {
  return items.map((it) =>
    h("option", { value: it.value, selected: String(it.value) === String(selected) }, it.label),
  );
}
