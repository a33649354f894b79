"""Tenant isolation: org A's credentials never read or change org B (INT-51, INT-80)."""

from __future__ import annotations

import pytest

from trakrf_server.models import ApiKey, Invitation, Membership, Organization
from trakrf_server.services import invitations


@pytest.mark.gen_test
async def test_session_of_a_cannot_touch_b(api, seed, people):
    a = seed.tenant("Alpha")
    b = seed.tenant("Beta")
    b_member = people.add(b.org_id, "viewer")
    b_key = seed.key(b.org_id)
    b_letter = seed.write(
        invitations.create_invitation, b.org_id, b.user_id, "x@example.com", "viewer"
    )
    b_invite = b_letter.invitation.id
    b_key_id = seed.write(lambda: ApiKey.get(ApiKey.org == b.org_id).id)
    b_jti = seed.write(lambda: ApiKey.get(ApiKey.org == b.org_id).jti)
    org_b = f"/api/v1/orgs/{b.org_id}"
    s = a.session

    # addressing org B directly: the member gate refuses everything
    calls = [
        await api.get(org_b, token=s),
        await api.put(org_b, {"name": "Hijacked"}, token=s),
        await api.request("DELETE", org_b, json_body={"confirm_name": "Beta"}, token=s),
        await api.get(f"{org_b}/members", token=s),
        await api.put(
            f"{org_b}/members/{b_member.user_id}", {"role": "admin"}, token=s
        ),
        await api.delete(f"{org_b}/members/{b_member.user_id}", token=s),
        await api.get(f"{org_b}/invitations", token=s),
        await api.post(
            f"{org_b}/invitations", {"email": "y@example.com", "role": "admin"}, token=s
        ),
        await api.delete(f"{org_b}/invitations/{b_invite}", token=s),
        await api.post(f"{org_b}/invitations/{b_invite}/resend", {}, token=s),
        await api.get(f"{org_b}/api-keys", token=s),
        await api.post(
            f"{org_b}/api-keys", {"name": "n", "scopes": ["keys:admin"]}, token=s
        ),
        await api.delete(f"{org_b}/api-keys/{b_key_id}", token=s),
        await api.delete(f"{org_b}/api-keys/by-jti/{b_jti}", token=s),
    ]
    for r in calls:
        assert r.status == 403, r
        assert r.error["detail"] == "You are not a member of this organization"

    # addressing B's rows through A's own path: not found
    org_a = f"/api/v1/orgs/{a.org_id}"
    r = await api.put(f"{org_a}/members/{b_member.user_id}", {"role": "admin"}, token=s)
    assert r.error["detail"] == "Member not found"
    r = await api.delete(f"{org_a}/members/{b.user_id}", token=s)
    assert r.error["detail"] == "Member not found"
    r = await api.delete(f"{org_a}/invitations/{b_invite}", token=s)
    assert r.error["detail"] == "Invitation not found"
    r = await api.post(f"{org_a}/invitations/{b_invite}/resend", {}, token=s)
    assert r.error["detail"] == "Invitation not found"
    r = await api.delete(f"{org_a}/api-keys/{b_key_id}", token=s)
    assert r.error["detail"] == "API key not found"
    r = await api.delete(f"{org_a}/api-keys/by-jti/{b_jti}", token=s)
    assert r.error["detail"] == "API key not found"
    r = await api.get(f"{org_a}/api-keys", token=s)
    assert r.json()["data"] == []

    # nothing of B changed
    def state():
        org = Organization.get_by_id(b.org_id)
        return (
            org.name,
            org.deleted_at,
            sorted(
                (m.user_id, m.role)
                for m in Membership.select().where(Membership.org == b.org_id)
            ),
            [
                (i.id, i.cancelled_at)
                for i in Invitation.select().where(Invitation.org == b.org_id)
            ],
            [
                (k.id, k.revoked_at)
                for k in ApiKey.select().where(ApiKey.org == b.org_id)
            ],
        )

    name, deleted, members, invites, keys = seed.write(state)
    assert name == "Beta" and deleted is None
    assert members == sorted([(b.user_id, "admin"), (b_member.user_id, "viewer")])
    assert invites == [(b_invite, None)]
    assert keys == [(b_key_id, None)]
    assert (await api.get("/api/v1/orgs/me", token=b_key)).status == 200


@pytest.mark.gen_test
async def test_key_of_a_cannot_touch_b(api, seed):
    a = seed.tenant("Alpha")
    b = seed.tenant("Beta")
    a_key = seed.key(a.org_id, ["keys:admin"] + ["assets:read"])
    seed.key(b.org_id)
    b_key_id = seed.write(lambda: ApiKey.get(ApiKey.org == b.org_id).id)
    org_b = f"/api/v1/orgs/{b.org_id}/api-keys"
    for r in (
        await api.get(org_b, token=a_key),
        await api.post(org_b, {"name": "n", "scopes": ["assets:read"]}, token=a_key),
        await api.delete(f"{org_b}/{b_key_id}", token=a_key),
    ):
        assert r.status == 403
        assert r.error["detail"] == "API key is not authorized for this organization"
    # the session-only org routes refuse keys outright
    for path in (f"/api/v1/orgs/{b.org_id}", f"/api/v1/orgs/{b.org_id}/members"):
        r = await api.get(path, token=a_key)
        assert r.status == 401
    revoked = seed.write(lambda: ApiKey.get_by_id(b_key_id).revoked_at)
    assert revoked is None
