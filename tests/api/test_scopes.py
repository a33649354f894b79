"""Scopes on every public operation (CONTRACT SCOPE-1…8, SURF-1, AUTH-7)."""

from pathlib import Path

import pytest
import yaml

from trakrf_server.services.keys import PUBLIC_SCOPES

SPEC = (
    Path(__file__).resolve().parents[3] / "shared" / "contract" / "openapi.public.yaml"
)

# SURF-1: method, path, required scope. Ids are placeholders that need not exist:
# the scope check (ORDER-1 step 5) runs before any lookup.
OPERATIONS = [
    ("GET", "/api/v1/assets", "assets:read"),
    ("POST", "/api/v1/assets", "assets:write"),
    ("GET", "/api/v1/assets/1", "assets:read"),
    ("PATCH", "/api/v1/assets/1", "assets:write"),
    ("DELETE", "/api/v1/assets/1", "assets:write"),
    ("POST", "/api/v1/assets/1/rename", "assets:write"),
    ("POST", "/api/v1/assets/1/tags", "assets:write"),
    ("DELETE", "/api/v1/assets/1/tags/1", "assets:write"),
    ("GET", "/api/v1/assets/1/history", "tracking:read"),
    ("GET", "/api/v1/locations", "locations:read"),
    ("POST", "/api/v1/locations", "locations:write"),
    ("GET", "/api/v1/locations/1", "locations:read"),
    ("PATCH", "/api/v1/locations/1", "locations:write"),
    ("DELETE", "/api/v1/locations/1", "locations:write"),
    ("POST", "/api/v1/locations/1/rename", "locations:write"),
    ("POST", "/api/v1/locations/1/tags", "locations:write"),
    ("DELETE", "/api/v1/locations/1/tags/1", "locations:write"),
    ("GET", "/api/v1/locations/1/ancestors", "locations:read"),
    ("GET", "/api/v1/locations/1/children", "locations:read"),
    ("GET", "/api/v1/locations/1/descendants", "locations:read"),
    ("GET", "/api/v1/reports/asset-locations", "tracking:read"),
]


async def call(api, method, path, token):
    body = b"{}" if method in ("POST", "PATCH") else None
    return await api.request(
        method,
        path,
        token=token,
        body=body,
        json_body=None,
        content_type="application/merge-patch+json"
        if method == "PATCH"
        else "application/json"
        if method == "POST"
        else None,
    )


@pytest.mark.gen_test(timeout=60)
async def test_every_operation_needs_exactly_its_scope(api, seed):
    # SCOPE-2, SCOPE-3, SCOPE-4, SCOPE-5, TAG-7: tag writes need the parent's
    # write scope, and no other public scope opens them
    tenant = seed.tenant()
    keys = {scope: seed.key(tenant.org_id, [scope]) for scope in PUBLIC_SCOPES}
    for method, path, needed in OPERATIONS:
        for scope, key in keys.items():
            r = await call(api, method, path, key)
            if scope == needed:
                assert r.status != 403, (method, path, r)
            else:
                assert r.status == 403, (method, path, scope, r)
                assert r.error["type"] == "forbidden"
                assert r.error["title"] == "Forbidden"
                assert r.error["detail"] == f"Missing required scope: {needed}"


@pytest.mark.gen_test
async def test_orgs_me_needs_no_scope(api, seed):
    # SCOPE-2: /orgs/me needs none
    tenant = seed.tenant()
    assert (
        await api.get("/api/v1/orgs/me", token=seed.key(tenant.org_id, []))
    ).status == 200


@pytest.mark.gen_test
async def test_scope_check_costs_a_token(api, seed):
    # SCOPE-6: the 403 comes after the rate limit and spends a token
    tenant = seed.tenant()
    key = seed.key(tenant.org_id, ["assets:read"])
    for _ in range(61):
        r = await api.get("/api/v1/locations", token=key)
        assert r.status == 403
    assert r.headers["X-RateLimit-Remaining"] == "59"


@pytest.mark.gen_test
async def test_keys_admin_opens_no_public_operation(api, seed):
    # SCOPE-1: keys:admin is internal; no public operation requires it
    tenant = seed.tenant()
    key = seed.key(tenant.org_id, ["keys:admin"])
    for method, path, _ in OPERATIONS:
        assert (await call(api, method, path, key)).status == 403


@pytest.mark.gen_test
async def test_session_skips_scopes_and_acts_in_current_org(api, seed):
    # SCOPE-7, AUTH-7: a session acts in current_org_id without scope checks
    a = seed.tenant()
    b = seed.tenant()
    created = await api.post("/api/v1/locations", {"name": "Dock"}, token=a.session)
    assert created.status == 201, created
    in_a = await api.get("/api/v1/locations", token=a.session)
    in_b = await api.get("/api/v1/locations", token=b.session)
    assert [row["name"] for row in in_a.json()["data"]] == ["Dock"]
    assert in_b.json()["data"] == []
    history = await api.get("/api/v1/reports/asset-locations", token=a.session)
    assert history.status == 200


@pytest.mark.gen_test
async def test_session_without_org_gets_missing_org_context(api, seed):
    # ORG-5 (b)
    tenant = seed.tenant()
    no_org = seed.session(tenant.user_id, tenant.email, None)
    r = await api.get("/api/v1/assets", token=no_org)
    assert r.status == 422
    assert r.error["type"] == "missing_org_context"


@pytest.mark.gen_test
async def test_expired_session_is_rejected_on_public_operations(api, seed, ctx):
    # AUTH-2 row 4 for session tokens
    from trakrf_server.auth.tokens import mint_session

    tenant = seed.tenant()
    stale = mint_session(ctx.secret, tenant.user_id, tenant.email, tenant.org_id, -10)
    r = await api.get("/api/v1/assets", token=stale)
    assert r.status == 401
    assert r.error["detail"] == "Invalid or expired token"


def test_table_matches_the_reference_spec():
    # SCOPE-2: the scope of each operation equals its x-required-scopes
    spec = yaml.safe_load(SPEC.read_text())
    declared = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                declared[(method.upper(), path)] = op.get("x-required-scopes", [])
    ours = {}
    for method, path, scope in OPERATIONS:
        template = (
            path.replace("/assets/1/tags/1", "/assets/{asset_id}/tags/{tag_id}")
            .replace("/locations/1/tags/1", "/locations/{location_id}/tags/{tag_id}")
            .replace("/assets/1", "/assets/{asset_id}")
            .replace("/locations/1", "/locations/{location_id}")
        )
        ours[(method, template)] = [scope]
    ours[("GET", "/api/v1/orgs/me")] = []
    assert declared == ours
