// Help: questions and answers grouped by topic (SCREENS #help).

import { h, append } from "../dom.js";
import { heading } from "../ui.js";

const TOPICS = [
  ["Getting Started – Read This First!", [
    ["Which browser do I need?", "Any current browser runs this app. Bluetooth readers need Chrome, Edge or Opera over HTTPS or on localhost; everywhere else, use a USB or keyboard-wedge reader, or type and paste tag numbers."],
    ["How do I connect a reader?", "Plug a USB or keyboard-wedge reader in and click into the scan box on the Inventory screen: each tag it reads arrives as its number followed by Enter."],
    ["How do I scan?", "Open Inventory, pick the location you are standing in, then scan tags or paste their numbers one per line. Save records that the listed assets were seen at that location."],
    ["What is this app for?", "It keeps a catalogue of your assets and locations, each with RFID tags, and records where and when each asset was last seen."],
  ]],
  ["My Items (Inventory)", [
    ["What do Found, Not listed and Saveable mean?", "Found counts scanned tags that belong to a registered asset; Not listed counts tags nobody registered yet; Saveable is the number of distinct assets Save will record; Total is every unique tag scanned."],
    ["A tag shows as Not listed.", "Register it: open Assets, create or edit an asset and add the tag number under RFID tags. Then scan again."],
    ["Can I check against a list?", "Yes: Reconcile loads a CSV whose first column holds the expected tag numbers. Missing then counts the expected tags not scanned yet."],
  ]],
  ["Find Item (Locate)", [
    ["Why can't I see a signal gauge?", "Signal strength needs a Bluetooth reader. With a keyboard-wedge reader the Locate screen can only confirm whether the tag was seen."],
  ]],
  ["Assets and Locations", [
    ["How do I build my location tree?", "Open Locations, create a root location (a site or building), then select it and add child locations (rooms, aisles, shelves)."],
    ["Why can't I delete a location?", "A location with child locations or with assets placed at it cannot be deleted. Move or remove those first; the message says which."],
    ["Why can't I edit anything?", "Your role decides: viewers see data, operators can also save scans, managers can also edit assets and locations, admins also manage the organization."],
  ]],
  ["Reports", [
    ["Where is an asset now?", "Reports lists every scanned asset with its last location and time. Open an asset's history to see each stop and how long it stayed."],
  ]],
  ["Account", [
    ["How do I give an integration access?", "Admins open API keys from the account menu, pick what the key may read or write, and copy the key once. A key only works for the organization selected when it was made."],
    ["How do I invite a colleague?", "Admins open Members, enter the e-mail address and a role, and send the invitation. The link in the e-mail is valid for 7 days."],
  ]],
];

export function render(screen) {
  append(screen, heading("Help"));
  for (const [topic, items] of TOPICS) {
    append(screen, h("section", { class: "help-topic" },
      h("h2", {}, topic),
      items.map(([q, a]) => h("details", { class: "faq" }, h("summary", {}, q), h("p", {}, a)))));
  }
}
