"""/api/v1/orgs and /api/v1/orgs/{id} (INT-50…52)."""

from __future__ import annotations

import re

import pytest

from trakrf_server.models import Organization

ORG_KEYS = {
    "id",
    "name",
    "identifier",
    "metadata",
    "valid_from",
    "is_active",
    "created_at",
    "updated_at",
}


@pytest.mark.gen_test
async def test_list_orgs_by_name(api, seed, people):
    beta = seed.tenant("beta")
    acme = seed.tenant("Acme")
    person = people.add(beta.org_id)
    people.join(person.user_id, acme.org_id, "admin")
    r = await api.get("/api/v1/orgs", token=person.session)
    assert r.status == 200
    assert r.json() == {
        "data": [
            {"id": acme.org_id, "name": "Acme"},
            {"id": beta.org_id, "name": "beta"},
        ]
    }


@pytest.mark.gen_test
async def test_create_org(api, seed, ctx):
    # INT-51 POST: 201 + Location; caller is admin; current org unchanged
    tenant = seed.tenant("Home")
    r = await api.post("/api/v1/orgs", {"name": "New Place"}, token=tenant.session)
    assert r.status == 201, r
    org = r.json()["data"]
    assert set(org) == ORG_KEYS  # valid_to omitted when null (INT-50)
    assert org["name"] == "New Place"
    assert org["identifier"] == "new-place"
    assert org["is_active"] is True
    assert org["metadata"] == {}
    assert r.headers["Location"] == f"/api/v1/orgs/{org['id']}"

    r = await api.get(f"/api/v1/orgs/{org['id']}/members", token=tenant.session)
    assert r.json()["data"][0]["role"] == "admin"
    r = await api.get("/api/v1/users/me", token=tenant.session)
    assert r.json()["data"]["current_org"]["id"] == tenant.org_id

    r = await api.post("/api/v1/orgs", {"name": "new place"}, token=tenant.session)
    assert r.status == 409
    assert r.error["detail"] == "Organization identifier already taken"
    r = await api.post("/api/v1/orgs", {"name": ""}, token=tenant.session)
    assert r.error["fields"][0]["code"] == "too_short"
    r = await api.post("/api/v1/orgs", {"name": "x" * 256}, token=tenant.session)
    assert r.error["fields"][0]["params"] == {"max_length": 255}


@pytest.mark.gen_test
async def test_get_org_member_gate(api, seed, people):
    # INT-51: member gate; any role may read
    tenant = seed.tenant("Acme")
    viewer = people.add(tenant.org_id, "viewer")
    stranger = seed.tenant("Other")
    r = await api.get(f"/api/v1/orgs/{tenant.org_id}", token=viewer.session)
    assert r.status == 200
    assert r.json()["data"]["name"] == "Acme"
    r = await api.get(f"/api/v1/orgs/{tenant.org_id}", token=stranger.session)
    assert r.status == 403
    assert r.error["detail"] == "You are not a member of this organization"
    r = await api.get("/api/v1/orgs/abc", token=tenant.session)
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Invalid organization ID"
    r = await api.get("/api/v1/orgs/99999999999999999999999", token=tenant.session)
    assert r.status == 403


@pytest.mark.gen_test
async def test_superadmin_404_for_unknown_org(api, people):
    # INT-12 + INT-51: superadmin passes the gate, then 404
    boss = people.add(None, superadmin=True)
    r = await api.get("/api/v1/orgs/424242", token=boss.session)
    assert r.status == 404
    assert r.error["detail"] == "Organization not found"


@pytest.mark.gen_test
@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
async def test_rename_and_delete_need_admin(api, seed, people, role):
    # INT-51 admin gate; INT-11 detail
    tenant = seed.tenant("Acme")
    person = people.add(tenant.org_id, role)
    path = f"/api/v1/orgs/{tenant.org_id}"
    r = await api.put(path, {"name": "Mine now"}, token=person.session)
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: admin"
    r = await api.request(
        "DELETE", path, json_body={"confirm_name": "Acme"}, token=person.session
    )
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: admin"


@pytest.mark.gen_test
async def test_rename_org(api, seed):
    # INT-51 PUT: absent name = unchanged
    tenant = seed.tenant("Acme")
    path = f"/api/v1/orgs/{tenant.org_id}"
    r = await api.put(path, {"name": "Acme Two"}, token=tenant.session)
    assert r.status == 200, r
    assert r.json()["data"]["name"] == "Acme Two"
    assert r.json()["data"]["identifier"] == "acme"
    r = await api.put(path, {"ignored": True}, token=tenant.session)
    assert r.json()["data"]["name"] == "Acme Two"
    r = await api.put(path, {"name": ""}, token=tenant.session)
    assert r.status == 400


@pytest.mark.gen_test
async def test_delete_org(api, seed, people):
    # INT-51 DELETE, INT-52: soft delete with the name prefix; keys → 422;
    # INT-4: a bare {message}
    tenant = seed.tenant("Acme")
    member = people.add(tenant.org_id, "viewer")
    key = seed.key(tenant.org_id)
    path = f"/api/v1/orgs/{tenant.org_id}"

    r = await api.request(
        "DELETE", path, json_body={"confirm_name": "Acme Inc"}, token=tenant.session
    )
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Organization name does not match"
    r = await api.request("DELETE", path, json_body={}, token=tenant.session)
    assert r.error["fields"][0]["field"] == "confirm_name"

    r = await api.request(
        "DELETE", path, json_body={"confirm_name": "aCME"}, token=tenant.session
    )
    assert r.status == 200, r
    assert r.json() == {"message": "Organization deleted"}

    org = seed.write(lambda: Organization.get_by_id(tenant.org_id))
    assert org.deleted_at is not None
    prefix = r"^\*\*\* DELETED \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \*\*\* "
    assert re.match(prefix + "Acme$", org.name)
    assert re.match(prefix + "acme$", org.identifier)

    r = await api.get("/api/v1/orgs", token=member.session)
    assert r.json()["data"] == []
    r = await api.get(path, token=member.session)
    assert r.status == 403
    r = await api.get("/api/v1/orgs/me", token=key)
    assert r.status == 422
    assert r.error["type"] == "missing_org_context"

    # name and identifier are free again
    r = await api.post("/api/v1/orgs", {"name": "Acme"}, token=tenant.session)
    assert r.status == 201


@pytest.mark.gen_test
async def test_orgs_routes_are_session_only(api, seed):
    # INT-7: an API key on a session-only route
    tenant = seed.tenant()
    r = await api.get(f"/api/v1/orgs/{tenant.org_id}", token=seed.key(tenant.org_id))
    assert r.status == 401
    assert r.error["detail"] == "Invalid or expired token"
