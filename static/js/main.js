// App shell and hash router: #login, #inventory, #reset-password?token=… (SCREENS).

import { on, session } from "./api.js";
import { h, replace } from "./dom.js";
import { state, loadMe, forget, currentOrg, isAdmin, switchOrg } from "./state.js";
import { alertBox, select, toast } from "./ui.js";
import * as auth from "./screens/auth.js";
import * as home from "./screens/home.js";
import * as inventory from "./screens/inventory.js";
import * as assets from "./screens/assets.js";
import * as locations from "./screens/locations.js";
import * as reports from "./screens/reports.js";
import * as device from "./screens/device.js";
import * as help from "./screens/help.js";
import * as org from "./screens/org.js";
import * as keys from "./screens/keys.js";

// kind: "guest" = signed-out only, "open" = either, otherwise signed in.
// org: the screen works inside the current organization. admin: admins only.
const ROUTES = {
  login: { title: "Log in", kind: "guest", render: auth.login },
  signup: { title: "Sign up", kind: "guest", render: auth.signup },
  "forgot-password": { title: "Forgot password", kind: "guest", render: auth.forgot },
  "reset-password": { title: "Reset password", kind: "open", render: auth.reset },
  "accept-invite": { title: "Invitation", kind: "open", render: auth.acceptInvite },
  home: { title: "Home", nav: true, render: home.render },
  inventory: { title: "Inventory", nav: true, org: true, render: inventory.render },
  locate: { title: "Locate", nav: true, org: true, render: device.locate },
  barcode: { title: "Barcode", nav: true, render: device.barcode },
  assets: { title: "Assets", nav: true, org: true, render: assets.render },
  locations: { title: "Locations", nav: true, org: true, render: locations.render },
  reports: { title: "Reports", nav: true, org: true, render: reports.render },
  "reports-history": { title: "Asset history", org: true, navAs: "reports", render: reports.history },
  settings: { title: "Settings", nav: true, render: device.settings },
  help: { title: "Help", nav: true, render: help.render },
  "create-org": { title: "Create organization", render: org.create },
  "org-settings": { title: "Organization settings", org: true, admin: true, render: org.settings },
  "org-members": { title: "Members", org: true, admin: true, render: org.members },
  "api-keys": { title: "API keys", org: true, admin: true, render: keys.render },
};

let notice = "";

function parseHash() {
  const raw = decodeURIComponent(location.hash.replace(/^#\/?/, ""));
  const [name, query = ""] = raw.split("?", 2);
  return { name, params: new URLSearchParams(query) };
}

export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

// A dialog belongs to the screen that opened it: it must not stay over the
// next one (a session that ended, a link or the Back button).
function closeDialogs() {
  for (const dlg of document.querySelectorAll("dialog[open]")) dlg.close();
}

on("unauthorized", () => {
  closeDialogs();
  state.me = null;
  notice = "Your session has ended. Please log in again.";
  const { name } = parseHash();
  if (!ROUTES[name] || ROUTES[name].kind !== "guest") location.hash = "#login";
  else render();
});

on("busy", (isBusy) => {
  document.getElementById("progress").hidden = !isBusy;
  document.getElementById("app").setAttribute("aria-busy", String(isBusy));
});

function logout() {
  forget();
  notice = "You are logged out.";
  go("#login");
}

function accountMenu() {
  const me = state.me;
  const org = currentOrg();
  const switcher = select(
    (me.orgs || []).map((o) => ({ value: o.id, label: o.name })),
    org ? org.id : "",
    { id: "org-switcher", "aria-label": "Organization" },
  );
  switcher.disabled = !me.orgs || me.orgs.length < 2;
  switcher.addEventListener("change", async () => {
    try {
      await switchOrg(switcher.value);
      toast(`Switched to ${currentOrg().name}`);
      render();
    } catch (err) {
      toast(err.detail || String(err), "error");
    }
  });
  const link = (hash, text) => h("li", {}, h("a", { href: hash }, text));
  const menu = h("details", { class: "account-menu" },
    h("summary", { "aria-label": "Account menu" }, h("span", { class: "who" }, me.email)),
    h("div", { class: "menu" },
      h("div", { class: "field" }, h("label", { for: "org-switcher" }, "Organization"), switcher),
      org ? h("p", { class: "hint" }, `Your role: ${org.role}`) : null,
      h("ul", {},
        link("#create-org", "Create organization"),
        isAdmin() ? link("#org-settings", "Organization settings") : null,
        isAdmin() ? link("#org-members", "Members") : null,
        isAdmin() ? link("#api-keys", "API keys") : null),
      h("button", { type: "button", class: "link", id: "logout", onclick: logout }, "Log out")));
  // Close the menu after picking an entry.
  menu.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) menu.open = false;
  });
  return menu;
}

function shell(active) {
  const nav = h("nav", { class: "sidenav", id: "sidenav", "aria-label": "Main" },
    h("ul", {}, Object.entries(ROUTES)
      .filter(([, r]) => r.nav)
      .map(([name, r]) => h("li", {}, h("a", {
        href: `#${name}`,
        class: name === active ? "active" : "",
        "aria-current": name === active ? "page" : false,
      }, r.title)))));
  const toggle = h("button", { type: "button", class: "menu-toggle", "aria-controls": "sidenav", "aria-expanded": "false" }, "Menu");
  toggle.addEventListener("click", () => {
    const open = document.body.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", String(open));
  });
  nav.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) {
      document.body.classList.remove("nav-open");
      toggle.setAttribute("aria-expanded", "false");
    }
  });
  const org = currentOrg();
  const skip = h("button", { type: "button", class: "skip-link", onclick: () => document.querySelector("#main h1")?.focus() }, "Skip to content");
  const main = h("main", { id: "main" });
  const header = h("header", { class: "topbar" },
    toggle,
    h("a", { class: "brand", href: "#home" }, "TrakRF"),
    h("span", { class: "org-name", id: "current-org" }, org ? org.name : "No organization"),
    accountMenu());
  return { root: h("div", { class: "layout" }, skip, header, nav, main), main };
}

function noOrg(main) {
  replace(main, h("section", { class: "screen" },
    h("h1", { tabindex: "-1" }, "No organization yet"),
    h("p", {}, "You are not a member of any organization. Create one, or ask an admin to invite you."),
    h("a", { class: "button primary", href: "#create-org" }, "Create organization")));
}

function adminOnly(main) {
  replace(main, h("section", { class: "screen" },
    h("h1", { tabindex: "-1" }, "Admins only"),
    h("p", {}, "Only admins of this organization can open this page. Ask an admin for access.")));
}

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  const app = document.getElementById("app");
  let { name, params } = parseHash();
  const signedIn = Boolean(session.token());
  if (!ROUTES[name]) {
    location.replace(signedIn ? "#home" : "#login");
    return;
  }
  const route = ROUTES[name];
  if (!signedIn && !route.kind) {
    location.replace("#login");
    return;
  }
  if (signedIn && route.kind === "guest") {
    location.replace("#home");
    return;
  }
  if (signedIn && !state.me) {
    try {
      await loadMe();
    } catch (err) {
      if (err.status !== 401) {
        replace(app, h("p", { class: "alert error", role: "alert" }, err.detail));
      }
      return;
    }
    if (seq !== renderSeq) return;
  }
  document.title = `${route.title} · TrakRF`;

  const screen = h("section", { class: "screen", dataset: { screen: name } });
  if (!signedIn || route.kind) {
    const box = alertBox();
    if (notice) box.show(notice, "info");
    notice = "";
    replace(app, h("main", { id: "main", class: "guest" },
      h("div", { class: "guest-card" }, h("p", { class: "brand" }, "TrakRF"), box, screen)));
  } else {
    const { root, main } = shell(route.navAs || name);
    replace(app, root);
    if (route.org && !currentOrg()) return noOrg(main);
    if (route.admin && !isAdmin()) return adminOnly(main);
    main.append(screen);
  }
  try {
    await route.render(screen, params, { go, rerender: render });
  } catch (err) {
    if (err.status === 401) return;
    if (!screen.querySelector("h1")) screen.prepend(h("h1", { tabindex: "-1" }, route.title));
    screen.append(h("p", { class: "alert error", role: "alert" }, err.detail || String(err)));
  }
  const title = screen.querySelector("h1");
  if (title && seq === renderSeq && !document.querySelector("dialog[open]")) {
    if (!screen.contains(document.activeElement) || document.activeElement === document.body) title.focus();
  }
}

// The account menu is a <details>: close it on a click elsewhere or on Escape,
// as people expect of a menu, so it does not stay over the screen's buttons.
document.addEventListener("click", (ev) => {
  for (const menu of document.querySelectorAll("details.account-menu[open]")) {
    if (!menu.contains(ev.target)) menu.open = false;
  }
});
document.addEventListener("keydown", (ev) => {
  const menu = document.querySelector("details.account-menu[open]");
  if (ev.key !== "Escape" || !menu) return;
  menu.open = false;
  menu.querySelector("summary").focus();
});

window.addEventListener("hashchange", () => {
  closeDialogs();
  render();
});
render();
