"""/api/v1/orgs/{id}/members (INT §6, INT-13, INT-61, INT-62)."""

from __future__ import annotations

import pytest


def members(org_id):
    return f"/api/v1/orgs/{org_id}/members"


@pytest.mark.gen_test
async def test_list_members_oldest_first(api, seed, people):
    tenant = seed.tenant("Acme")
    viewer = people.add(tenant.org_id, "viewer")
    r = await api.get(members(tenant.org_id), token=viewer.session)
    assert r.status == 200
    rows = r.json()["data"]
    assert [m["user_id"] for m in rows] == [tenant.user_id, viewer.user_id]
    assert set(rows[0]) == {"user_id", "name", "email", "role", "joined_at"}
    assert rows[1]["email"] == viewer.email
    assert rows[1]["role"] == "viewer"
    assert rows[1]["joined_at"].endswith("Z")


@pytest.mark.gen_test
async def test_change_role(api, seed, people):
    # INT-4: a bare {message}
    tenant = seed.tenant()
    person = people.add(tenant.org_id, "viewer")
    path = f"{members(tenant.org_id)}/{person.user_id}"
    r = await api.put(path, {"role": "manager"}, token=tenant.session)
    assert r.status == 200, r
    assert r.json() == {"message": "Role updated"}
    r = await api.get(members(tenant.org_id), token=tenant.session)
    assert r.json()["data"][1]["role"] == "manager"


@pytest.mark.gen_test
async def test_change_role_errors(api, seed, people):
    tenant = seed.tenant()
    outsider = seed.tenant()
    base = members(tenant.org_id)
    r = await api.put(
        f"{base}/{tenant.user_id}", {"role": "owner"}, token=tenant.session
    )
    assert r.status == 400
    assert r.error["fields"] == [
        {
            "field": "role",
            "code": "invalid_value",
            "message": "role must be one of: viewer, operator, manager, admin",
            "params": {"allowed_values": ["viewer", "operator", "manager", "admin"]},
        }
    ]
    r = await api.put(
        f"{base}/{outsider.user_id}", {"role": "viewer"}, token=tenant.session
    )
    assert r.status == 404
    assert r.error["detail"] == "Member not found"
    r = await api.put(f"{base}/abc", {"role": "viewer"}, token=tenant.session)
    assert r.error["fields"][0] == {
        "field": "userId",
        "code": "invalid_value",
        "message": "userId must be an integer",
    }
    r = await api.put(f"{base}/0", {"role": "viewer"}, token=tenant.session)
    assert r.error["fields"][0]["code"] == "too_small"


@pytest.mark.gen_test
async def test_last_admin_cannot_be_demoted(api, seed, people):
    # INT-61 / INT-13
    tenant = seed.tenant()
    path = f"{members(tenant.org_id)}/{tenant.user_id}"
    r = await api.put(path, {"role": "manager"}, token=tenant.session)
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Cannot remove or demote the last admin"

    # with a second admin the demotion is fine
    second = people.add(tenant.org_id, "admin")
    r = await api.put(path, {"role": "manager"}, token=tenant.session)
    assert r.status == 200
    # now `second` is the only admin
    r = await api.put(
        f"{members(tenant.org_id)}/{second.user_id}",
        {"role": "viewer"},
        token=second.session,
    )
    assert r.error["detail"] == "Cannot remove or demote the last admin"


@pytest.mark.gen_test
async def test_remove_member(api, seed, people):
    # INT-62, INT-4 (bare {message})
    tenant = seed.tenant()
    person = people.add(tenant.org_id, "operator")
    base = members(tenant.org_id)
    r = await api.delete(f"{base}/{tenant.user_id}", token=tenant.session)
    assert r.status == 400
    assert r.error["detail"] == "Cannot remove yourself"

    r = await api.delete(f"{base}/{person.user_id}", token=tenant.session)
    assert r.status == 200
    assert r.json() == {"message": "Member removed"}
    r = await api.delete(f"{base}/{person.user_id}", token=tenant.session)
    assert r.status == 404
    assert r.error["detail"] == "Member not found"
    # the removed member's session lost the org
    r = await api.get(base, token=person.session)
    assert r.status == 403


@pytest.mark.gen_test
async def test_last_admin_cannot_be_removed(api, seed, people):
    # INT-62: a superadmin (not a member) tries to remove the only admin
    tenant = seed.tenant()
    boss = people.add(None, superadmin=True)
    r = await api.delete(
        f"{members(tenant.org_id)}/{tenant.user_id}", token=boss.session
    )
    assert r.status == 400
    assert r.error["detail"] == "Cannot remove or demote the last admin"


@pytest.mark.gen_test
@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
async def test_member_changes_need_admin(api, seed, people, role):
    # INT-51 admin gate for PUT/DELETE; GET needs membership only
    tenant = seed.tenant()
    person = people.add(tenant.org_id, role)
    base = members(tenant.org_id)
    r = await api.get(base, token=person.session)
    assert r.status == 200
    r = await api.put(
        f"{base}/{tenant.user_id}", {"role": "viewer"}, token=person.session
    )
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: admin"
    r = await api.delete(f"{base}/{tenant.user_id}", token=person.session)
    assert r.status == 403


@pytest.mark.gen_test
async def test_superadmin_manages_members(api, seed, people):
    # INT-12
    tenant = seed.tenant()
    person = people.add(tenant.org_id, "viewer")
    boss = people.add(None, superadmin=True)
    base = members(tenant.org_id)
    r = await api.put(
        f"{base}/{person.user_id}", {"role": "operator"}, token=boss.session
    )
    assert r.status == 200
    r = await api.get(base, token=boss.session)
    assert [m["user_id"] for m in r.json()["data"]] == [tenant.user_id, person.user_id]
