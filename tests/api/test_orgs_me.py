"""GET /api/v1/orgs/me (CONTRACT ORG-1…6)."""

import pytest


@pytest.mark.gen_test
async def test_orgs_me_returns_key_org_and_scopes(api, seed):
    # ORG-1, ORG-2
    tenant = seed.tenant("Acme")
    key = seed.key(tenant.org_id, ["assets:read", "tracking:read"])
    r = await api.get("/api/v1/orgs/me", token=key)
    assert r.status == 200, r
    data = r.json()["data"]
    assert set(data) == {"id", "name", "scopes", "api_key_id"}
    assert data["id"] == tenant.org_id
    assert data["name"] == "Acme"
    assert data["scopes"] == ["assets:read", "tracking:read"]
    assert len(data["api_key_id"]) == 36


@pytest.mark.gen_test
async def test_orgs_me_empty_scopes_is_list(api, seed):
    # ORG-2: never null
    tenant = seed.tenant()
    r = await api.get("/api/v1/orgs/me", token=seed.key(tenant.org_id, []))
    assert r.json()["data"]["scopes"] == []


@pytest.mark.gen_test
async def test_orgs_me_rejects_session(api, seed):
    # ORG-3 / AUTH-2 last row
    tenant = seed.tenant()
    r = await api.get("/api/v1/orgs/me", token=tenant.session)
    assert r.status == 401
    assert r.error["detail"] == "Invalid or expired token"


@pytest.mark.gen_test
async def test_orgs_me_query_parameters_rejected_sorted(api, seed):
    # ORG-4
    tenant = seed.tenant()
    r = await api.get("/api/v1/orgs/me?zeta=1&alpha=2", token=seed.key(tenant.org_id))
    assert r.status == 400
    err = r.error
    assert err["type"] == "validation_error"
    assert [f["field"] for f in err["fields"]] == ["alpha", "zeta"]
    assert err["fields"][0] == {
        "field": "alpha",
        "code": "invalid_value",
        "message": "unknown parameter: alpha",
    }
    assert err["detail"] == "unknown parameter: alpha (and 1 more validation error)"
