// Signed-out screens: login, signup, forgot / reset password, accept invitation
// (SCREENS "Signed-out screens"; INTERNAL INT-30…35, INT-41).

import { api, session } from "../api.js";
import { h, append } from "../dom.js";
import { field, form, alertBox, loading, busy, showError } from "../ui.js";
import { forget, loadMe, switchOrg, state } from "../state.js";

function title(text) {
  return h("h1", { tabindex: "-1" }, text);
}

async function startSession(token) {
  session.set(token);
  state.me = null;
  await loadMe();
}

export function login(screen, params, { go }) {
  const invite = params.get("invite");
  const email = field({ label: "E-mail", name: "email", type: "email", value: params.get("email") || "", required: true, attrs: { autocomplete: "username" } });
  const password = field({ label: "Password", name: "password", type: "password", required: true, attrs: { autocomplete: "current-password" } });
  append(screen,
    title("Log in"),
    invite ? h("p", {}, "Log in to accept your invitation.") : null,
    form({
      fields: [email, password],
      submitLabel: "Log in",
      busyLabel: "Logging in…",
      onSubmit: async () => {
        const body = await api("POST", "/auth/login", {
          anonymous: true,
          body: { email: email.control.value.trim(), password: password.control.value },
        });
        await startSession(body.data.token);
        go(invite ? `#accept-invite?token=${encodeURIComponent(invite)}` : "#home");
      },
    }),
    h("p", { class: "links" },
      h("a", { href: invite ? `#signup?invitation=${encodeURIComponent(invite)}` : "#signup" }, "Create an account"),
      " · ",
      h("a", { href: "#forgot-password" }, "Forgot password?")));
}

export function signup(screen, params, { go }) {
  const invitation = params.get("invitation") || "";
  const email = field({ label: "E-mail", name: "email", type: "email", value: params.get("email") || "", required: true, attrs: { autocomplete: "username" } });
  const password = field({ label: "Password", name: "password", type: "password", required: true, hint: "At least 8 characters.", attrs: { autocomplete: "new-password", minlength: "8" } });
  const orgName = field({ label: "Organization name", name: "org_name", required: true, hint: "You become the admin of this new organization." });
  append(screen,
    title(invitation ? "Sign up to join" : "Sign up"),
    invitation ? h("p", {}, "Create your account to accept the invitation. Use the e-mail address the invitation was sent to.") : null,
    form({
      fields: invitation ? [email, password] : [email, password, orgName],
      submitLabel: "Create account",
      busyLabel: "Creating…",
      onSubmit: async () => {
        const body = { email: email.control.value.trim(), password: password.control.value };
        if (invitation) body.invitation_token = invitation;
        else body.org_name = orgName.control.value.trim();
        const res = await api("POST", "/auth/signup", { anonymous: true, body });
        await startSession(res.data.token);
        go("#home");
      },
    }),
    h("p", { class: "links" }, "Already have an account? ",
      h("a", { href: invitation ? `#login?invite=${encodeURIComponent(invitation)}` : "#login" }, "Log in")));
}

export function forgot(screen) {
  const email = field({ label: "E-mail", name: "email", type: "email", required: true, attrs: { autocomplete: "username" } });
  const done = h("p", { class: "alert ok", role: "status", hidden: true });
  const f = form({
    fields: [email],
    submitLabel: "Send reset link",
    busyLabel: "Sending…",
    onSubmit: async () => {
      const res = await api("POST", "/auth/forgot-password", {
        anonymous: true,
        body: { email: email.control.value.trim(), reset_url: `${location.origin}/#reset-password` },
      });
      // The same neutral answer whether or not the account exists (INT-32).
      done.textContent = res.message;
      done.hidden = false;
      f.hidden = true;
    },
  });
  append(screen,
    title("Forgot password"),
    h("p", {}, "Enter your e-mail address and we will send you a link to choose a new password."),
    f, done,
    h("p", { class: "links" }, h("a", { href: "#login" }, "Back to log in")));
}

export function reset(screen, params) {
  const token = params.get("token") || "";
  append(screen, title("Choose a new password"));
  if (!token) {
    append(screen, h("p", { class: "alert error", role: "alert" }, "This reset link is incomplete. Request a new one."),
      h("p", { class: "links" }, h("a", { href: "#forgot-password" }, "Request a new link")));
    return;
  }
  const password = field({ label: "New password", name: "password", type: "password", required: true, hint: "At least 8 characters.", attrs: { autocomplete: "new-password", minlength: "8" } });
  const again = field({ label: "Confirm password", name: "password_again", type: "password", required: true, attrs: { autocomplete: "new-password" } });
  const done = h("div", { hidden: true });
  const f = form({
    fields: [password, again],
    submitLabel: "Set password",
    busyLabel: "Saving…",
    onSubmit: async () => {
      if (password.control.value.length < 8) {
        throw { detail: "Password must be at least 8 characters", fields: [{ field: "password", message: "Use at least 8 characters." }] };
      }
      if (password.control.value !== again.control.value) {
        throw { detail: "The passwords do not match", fields: [{ field: "password_again", message: "The passwords do not match." }] };
      }
      const res = await api("POST", "/auth/reset-password", { anonymous: true, body: { token, password: password.control.value } });
      append(done, h("p", { class: "alert ok", role: "status" }, res.message), h("a", { class: "button primary", href: "#login" }, "Log in"));
      done.hidden = false;
      f.hidden = true;
    },
  });
  append(screen, f, done);
}

export async function acceptInvite(screen, params, { go }) {
  const token = params.get("token") || "";
  append(screen, title("Invitation"));
  const alert = alertBox();
  const status = loading();
  append(screen, alert, status);
  let info;
  try {
    info = (await api("GET", "/auth/invitation-info", { anonymous: true, query: { token } })).data;
  } catch (err) {
    status.remove();
    alert.show(err.detail);
    append(screen, h("p", {}, "Ask the person who invited you to send a new invitation."),
      h("p", { class: "links" }, h("a", { href: session.token() ? "#home" : "#login" }, session.token() ? "Go home" : "Log in")));
    return;
  }
  status.remove();
  append(screen,
    h("p", { class: "invite-summary" },
      `${info.inviter_name || "An admin"} invited you (`,
      h("strong", {}, info.email),
      ") to join ", h("strong", {}, info.org_name), " as ", h("strong", {}, info.role), "."));

  const signedInAs = session.token() && state.me ? state.me.email : "";
  if (signedInAs && signedInAs.toLowerCase() !== info.email.toLowerCase()) {
    // Only the invited account can accept (INT-35 answers 403 to any
    // other): offer to leave this one rather than a Join that must fail.
    const leave = h("button", { type: "button", class: "primary" }, "Log out and continue");
    leave.addEventListener("click", () => {
      forget();
      go(location.hash);
    });
    append(screen,
      h("p", { class: "alert warn", id: "invite-other-account" },
        `You are signed in as ${signedInAs}, but this invitation is for ${info.email}. `
        + "Log out, then log in or sign up with that address to accept."),
      h("div", { class: "actions" }, leave));
    return;
  }
  if (signedInAs) {
    const accept = h("button", { type: "button", class: "primary" }, `Join ${info.org_name}`);
    accept.addEventListener("click", () => busy(accept, "Joining…", async () => {
      try {
        alert.clear();
        const res = await api("POST", "/auth/accept-invite", { body: { token } });
        await switchOrg(res.data.org_id);
        go("#home");
      } catch (err) {
        showError(null, alert, err);
      }
    }));
    append(screen, h("p", {}, `Signed in as ${signedInAs}.`), h("div", { class: "actions" }, accept));
    return;
  }
  const q = `invite=${encodeURIComponent(token)}&email=${encodeURIComponent(info.email)}`;
  if (info.user_exists) {
    append(screen, h("p", {}, "You already have an account. Log in to accept."),
      h("a", { class: "button primary", href: `#login?${q}` }, "Log in to accept"));
  } else {
    append(screen, h("p", {}, "Create an account to accept."),
      h("a", { class: "button primary", href: `#signup?invitation=${encodeURIComponent(token)}&email=${encodeURIComponent(info.email)}` }, "Sign up to accept"));
  }
}
