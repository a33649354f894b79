// Dashboard: quick-launch cards, demo tile, reader status (SCREENS #home).

import { h, append } from "../dom.js";
import { currentOrg } from "../state.js";
import { hasBluetooth } from "./device.js";

function card(hash, title, text) {
  return h("a", { class: "launch-card", href: hash }, h("span", { class: "launch-title" }, title), h("span", { class: "hint" }, text));
}

export function render(screen) {
  const org = currentOrg();
  append(screen,
    h("div", { class: "screen-head" }, h("h1", { tabindex: "-1" }, org ? org.name : "Welcome")),
    org ? null : h("p", { class: "alert info" }, "You are not in an organization yet. ", h("a", { href: "#create-org" }, "Create one"), " to get started."),
    h("div", { class: "cards" },
      card("#inventory", "Inventory", "Scan or paste tags and record where assets are."),
      card("#locate", "Locate", "Look up one tag and confirm it is nearby."),
      card("#barcode", "Barcode", "Collect barcodes and export them as CSV.")),
    h("div", { class: "cards" },
      h("a", { class: "launch-card demo", href: "#help" }, h("span", { class: "launch-title" }, "Watch Demo"), h("span", { class: "hint" }, "New here? Read the getting-started guide.")),
      deviceStatus()));
}

// A browser without Web Bluetooth has no reader to report on: the device
// widget is left out there (SCREENS global chrome, [BLE] fallback).
function deviceStatus() {
  if (!hasBluetooth()) return null;
  return h("div", { class: "launch-card status", id: "device-status" },
    h("span", { class: "launch-title" }, "Device status"),
    h("span", { class: "hint" }, "Use a keyboard-wedge or USB reader on the Inventory screen."));
}
