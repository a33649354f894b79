// Account screens: create an organization, its settings, its members and
// invitations (SCREENS "Account screens"; INTERNAL INT-50…70).

import { api } from "../api.js";
import { h, append, replace } from "../dom.js";
import {
  alertBox, field, form, heading, select, empty, confirmDialog, loading, fmtDate, fmtTime, toast, busy,
} from "../ui.js";
import { currentOrg, loadMe, switchOrg, state, ROLES } from "../state.js";

// INT-61/62's refusal, said as what to do about it.
function memberRefusal(err) {
  if (/last admin/.test(err.serverDetail || "")) {
    return "An organization needs at least one admin. Make another member an admin "
      + "first, then change or remove this one.";
  }
  return err.detail;
}

const roleOptions = ROLES.map((r) => ({ value: r, label: r[0].toUpperCase() + r.slice(1) }));

export function create(screen, params, { go }) {
  const name = field({ label: "Organization name", name: "name", required: true });
  append(screen,
    heading("Create organization"),
    h("p", {}, "You become the admin of the new organization, and the app switches to it."),
    form({
      fields: [name],
      submitLabel: "Create organization",
      busyLabel: "Creating…",
      onSubmit: async () => {
        const res = await api("POST", "/orgs", { body: { name: name.control.value.trim() } });
        await switchOrg(res.data.id);
        toast(`Created ${res.data.name}`);
        go("#home");
      },
    }));
}

export async function settings(screen, params, { go, rerender }) {
  const org = currentOrg();
  append(screen, heading("Organization settings"));
  const detail = (await api("GET", `/orgs/${org.id}`)).data;
  const name = field({ label: "Name", name: "name", value: detail.name, required: true });
  const renameForm = form({
    fields: [name, h("p", { class: "hint" }, `Identifier: ${detail.identifier} · created ${fmtDate(detail.created_at)}`)],
    submitLabel: "Rename",
    busyLabel: "Saving…",
    onSubmit: async () => {
      const res = await api("PUT", `/orgs/${org.id}`, { body: { name: name.control.value.trim() } });
      await loadMe();
      toast(`Renamed to ${res.data.name}`);
      rerender();
    },
  });

  const confirm = field({ label: `Type "${detail.name}" to confirm`, name: "confirm_name", attrs: { autocomplete: "off" } });
  const deleteForm = form({
    fields: [h("p", {}, "Deleting removes the organization for every member and stops its API keys. This cannot be undone."), confirm],
    submitLabel: "Delete organization",
    busyLabel: "Deleting…",
    cls: "danger-zone",
    onSubmit: async () => {
      await api("DELETE", `/orgs/${org.id}`, { body: { confirm_name: confirm.control.value } });
      const me = await loadMe();
      toast(`Deleted ${detail.name}`);
      if (me.orgs.length) await switchOrg((me.current_org || me.orgs[0]).id);
      go(me.orgs.length ? "#home" : "#create-org");
    },
  });
  const del = deleteForm.submitButton;
  del.classList.replace("primary", "danger");
  const sync = () => { del.disabled = confirm.control.value.trim().toLowerCase() !== detail.name.toLowerCase(); };
  confirm.control.addEventListener("input", sync);
  sync();
  append(screen, h("section", { class: "card" }, h("h2", {}, "Name"), renameForm),
    h("section", { class: "card" }, h("h2", {}, "Delete organization"), deleteForm));
}

export async function members(screen) {
  const org = currentOrg();
  const alert = alertBox();
  const memberBox = h("div", {}, loading());
  const inviteBox = h("div", {}, loading());
  append(screen, heading("Members"), alert);

  // The new role is sent with its own button, never on the picker's change:
  // arrow keys on a closed <select> fire "change" at every step, so a keyboard
  // user walking from Viewer to Admin would grant each role on the way, and
  // an admin stepping past their own role would demote themselves.
  function roleChanger(m, me) {
    const role = select(roleOptions, m.role, { "aria-label": `Role of ${m.email}` });
    const apply = h("button", { type: "button", class: "small", disabled: true,
      "aria-label": `Save the role of ${m.email}` }, "Save role");
    role.addEventListener("change", () => { apply.disabled = role.value === m.role; });
    apply.addEventListener("click", () => busy(apply, "Saving…", async () => {
      try {
        alert.clear();
        await api("PUT", `/orgs/${org.id}/members/${m.user_id}`, { body: { role: role.value } });
        toast(`${m.email} is now ${role.value}`);
        m.role = role.value;
        if (me) {
          await loadMe();
          location.reload();
        }
      } catch (err) {
        role.value = m.role;
        alert.show(memberRefusal(err));
        role.focus();
      }
    }).finally(() => { apply.disabled = role.value === m.role; }));
    return h("div", { class: "role-change" }, role, apply);
  }

  async function loadMembers() {
    const rows = (await api("GET", `/orgs/${org.id}/members`)).data;
    replace(memberBox, h("table", { class: "table", id: "members-table" },
      h("thead", {}, h("tr", {},
        ["Member", "Role", "Joined", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((m) => {
        const me = state.me && m.user_id === state.me.id;
        const role = roleChanger(m, me);
        const remove = h("button", { type: "button", class: "danger small", "aria-label": `Remove ${m.email}` }, "Remove");
        remove.addEventListener("click", async () => {
          if (!(await confirmDialog("Remove member", `Remove ${m.email} from ${org.name}?`, "Remove"))) return;
          try {
            await api("DELETE", `/orgs/${org.id}/members/${m.user_id}`);
            toast(`Removed ${m.email}`);
            await loadMembers();
          } catch (err) {
            alert.show(memberRefusal(err));
          }
        });
        // Without a name of its own a member's name is the e-mail: say it once.
        const named = m.name && m.name.trim().toLowerCase() !== m.email.toLowerCase();
        return h("tr", { dataset: { email: m.email } },
          h("td", { "data-label": "Member" },
            h("div", {}, named ? m.name : m.email, me ? " (you)" : ""),
            named ? h("div", { class: "hint member-email" }, m.email) : null),
          h("td", { "data-label": "Role" }, role),
          h("td", { "data-label": "Joined" }, fmtDate(m.joined_at)),
          h("td", { "data-label": "" }, me ? null : remove));
      }))));
  }

  async function loadInvites() {
    const rows = (await api("GET", `/orgs/${org.id}/invitations`)).data;
    if (!rows.length) {
      replace(inviteBox, empty("No pending invitations. Invite someone with the form above."));
      return;
    }
    replace(inviteBox, h("table", { class: "table", id: "invitations-table" },
      h("thead", {}, h("tr", {}, ["E-mail", "Role", "Invited by", "Expires", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((inv) => {
        const resend = h("button", { type: "button", class: "small" }, "Resend");
        resend.addEventListener("click", () => busy(resend, "Sending…", async () => {
          try {
            await api("POST", `/orgs/${org.id}/invitations/${inv.id}/resend`, { body: {} });
            toast(`Invitation re-sent to ${inv.email}`);
            await loadInvites();
          } catch (err) {
            alert.show(err.detail);
          }
        }));
        const cancel = h("button", { type: "button", class: "danger small" }, "Cancel");
        cancel.addEventListener("click", async () => {
          if (!(await confirmDialog("Cancel invitation", `Cancel the invitation to ${inv.email}? The link stops working.`, "Cancel invitation"))) return;
          try {
            await api("DELETE", `/orgs/${org.id}/invitations/${inv.id}`);
            await loadInvites();
          } catch (err) {
            alert.show(err.detail);
          }
        });
        return h("tr", { dataset: { email: inv.email } },
          h("td", { "data-label": "E-mail" }, inv.email),
          h("td", { "data-label": "Role" }, inv.role),
          h("td", { "data-label": "Invited by" }, inv.invited_by ? inv.invited_by.name : "—"),
          h("td", { "data-label": "Expires" }, fmtTime(inv.expires_at)),
          h("td", { "data-label": "" }, h("div", { class: "row-actions" }, resend, cancel)));
      }))));
  }

  const email = field({ label: "E-mail", name: "email", type: "email", required: true });
  const role = field({ label: "Role", name: "role", control: select(roleOptions, "viewer") });
  const invite = form({
    fields: [h("div", { class: "two" }, email, role)],
    submitLabel: "Send invitation",
    busyLabel: "Sending…",
    onSubmit: async () => {
      const res = await api("POST", `/orgs/${org.id}/invitations`, { body: { email: email.control.value.trim(), role: role.control.value } });
      invite.alert.show(`Invitation sent to ${res.data.email}. The link is valid for 7 days.`, "ok");
      email.control.value = "";
      await loadInvites();
    },
  });

  append(screen,
    h("section", { class: "card" }, h("h2", {}, `People in ${org.name}`), memberBox),
    h("section", { class: "card" }, h("h2", {}, "Invite someone"), invite, h("h3", {}, "Pending invitations"), inviteBox));
  await Promise.all([loadMembers(), loadInvites()]).catch((err) => alert.show(err.detail || String(err)));
}
