// Who is signed in and what their role in the current organization lets them do
// (INTERNAL INT-10, INT-40). The server enforces the same; this only hides controls.

import { api, session } from "./api.js";

const RANKS = { viewer: 1, operator: 2, manager: 3, admin: 4 };

export const state = { me: null };

export async function loadMe() {
  const body = await api("GET", "/users/me");
  state.me = body.data;
  return state.me;
}

export function forget() {
  state.me = null;
  session.clear();
}

export function currentOrg() {
  return state.me && state.me.current_org ? state.me.current_org : null;
}

function rank() {
  if (!state.me) return 0;
  if (state.me.is_superadmin) return RANKS.admin;
  const org = currentOrg();
  return org ? RANKS[org.role] || 0 : 0;
}

/** operator and up may save inventory scans. */
export const canScan = () => rank() >= RANKS.operator;
/** manager and up may create, edit and delete assets, locations and tags. */
export const canEdit = () => rank() >= RANKS.manager;
/** manager and up may export reports (INT-10). */
export const canExport = () => rank() >= RANKS.manager;
/** admins manage the org, its members, invitations and API keys. */
export const isAdmin = () => rank() >= RANKS.admin;

export const ROLES = ["viewer", "operator", "manager", "admin"];

/** Swap the session to another org: the server answers with a new token (INT-41). */
export async function switchOrg(orgId) {
  const body = await api("POST", "/users/me/current-org", { body: { org_id: Number(orgId) } });
  session.set(body.token);
  return loadMe();
}
