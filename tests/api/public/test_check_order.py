"""The first failing step decides the response (CONTRACT ORDER-1 steps 4–13)."""

import pytest

from tests.api.public.conftest import fields


@pytest.fixture
def readonly(api, seed, caller):
    """A key of the caller's org holding only the read scopes."""
    from tests.api.public.conftest import Caller

    token = seed.key(caller.org_id, ["assets:read", "locations:read"])
    return Caller(api, token, caller.org_id)


@pytest.mark.gen_test
async def test_post_content_type_before_scope(readonly):
    # steps 4 → 5: wrong content type and missing scope → 415
    r = await readonly.post("/assets", body=b"{}", content_type="text/plain")
    assert r.status == 415


@pytest.mark.gen_test
async def test_patch_json_type_after_scope(readonly, caller):
    # step 4 lets application/json through on PATCH; step 5 → 403; step 6 → 415
    a = await caller.asset()
    r = await readonly.patch(
        f"/assets/{a['id']}", body=b"{}", content_type="application/json"
    )
    assert r.status == 403
    assert r.error["detail"] == "Missing required scope: assets:write"
    r = await readonly.patch(
        f"/assets/{a['id']}", body=b"{}", content_type="text/plain"
    )
    assert r.status == 415  # neither JSON type: fails at step 4
    r = await caller.patch(
        f"/assets/{a['id']}", body=b"{}", content_type="application/json"
    )
    assert r.status == 415


@pytest.mark.gen_test
async def test_scope_before_query_and_path(readonly):
    # step 5 before steps 7 and 10
    r = await readonly.delete("/locations/abc?x=1")
    assert r.status == 403
    assert r.error["detail"] == "Missing required scope: locations:write"


@pytest.mark.gen_test
async def test_write_scope_does_not_grant_read(api, seed, caller):
    # SCOPE-3
    from tests.api.public.conftest import Caller

    writer = Caller(api, seed.key(caller.org_id, ["assets:write"]), caller.org_id)
    r = await writer.get("/assets")
    assert (
        r.status == 403 and r.error["detail"] == "Missing required scope: assets:read"
    )
    assert (await writer.post("/assets", {"name": "ok"})).status == 201


@pytest.mark.gen_test
async def test_unknown_query_on_single_resource_before_path(caller):
    # step 7 before step 10 (and before the 404)
    r = await caller.get("/assets/abc?zz=1")
    assert fields(r) == [("zz", "invalid_value")]
    r = await caller.post("/assets?dry_run=1", {"name": "x"})
    assert r.error["fields"][0]["message"] == "unknown parameter: dry_run"


@pytest.mark.gen_test
async def test_org_context_before_list_query(api, seed):
    # step 8 before step 9: a session without an organization → 422
    tenant = seed.tenant()
    lonely = seed.session(tenant.user_id, tenant.email, None)
    r = await api.get("/api/v1/assets?limit=0", token=lonely)
    assert r.status == 422 and r.error["type"] == "missing_org_context"


@pytest.mark.gen_test
async def test_list_query_validation(caller):
    # step 9
    r = await caller.get("/locations?limit=0")
    assert fields(r) == [("limit", "too_small")]


@pytest.mark.gen_test
async def test_path_before_existence_before_body(caller):
    # step 10 (path id, then 404) before step 12 (body)
    r = await caller.patch(
        "/assets/0", body=b"nope", content_type="application/merge-patch+json"
    )
    assert fields(r) == [("asset_id", "too_small")]
    r = await caller.patch(
        "/assets/77", body=b"nope", content_type="application/merge-patch+json"
    )
    assert r.status == 404
    r = await caller.post(
        "/locations/77/tags", body=b"nope", content_type="application/json"
    )
    assert r.status == 404 and r.error["detail"] == "Location not found"
    a = await caller.asset()
    r = await caller.patch(
        f"/assets/{a['id']}", body=b"nope", content_type="application/merge-patch+json"
    )
    assert r.error["type"] == "bad_request"


@pytest.mark.gen_test
async def test_body_stages_before_state_checks(caller):
    # step 12 before step 13: a colliding key with a bad field is a 400
    await caller.asset(external_key="TAKEN")
    r = await caller.post("/assets", {"external_key": "TAKEN", "name": ""})
    assert r.status == 400
    r = await caller.post("/assets", {"external_key": "TAKEN", "name": "ok"})
    assert r.status == 409
    # fk resolution (step 12) before the key conflict (step 13)
    r = await caller.post(
        "/assets", {"external_key": "TAKEN", "name": "ok", "location_id": 99}
    )
    assert fields(r) == [("location_id", "fk_not_found")]


@pytest.mark.gen_test
async def test_create_stage_order(caller):
    # ASSET-4: unknown → null → external_key → pair → field rules → resolution
    r = await caller.post("/assets", {"name": None, "x": 1})
    assert fields(r) == [("x", "unknown_field")]
    r = await caller.post("/assets", {"name": None, "external_key": "a b"})
    assert fields(r) == [("name", "invalid_value")]
    r = await caller.post(
        "/assets",
        {"external_key": "a b", "location_id": 1, "location_external_key": "A"},
    )
    assert fields(r) == [("external_key", "invalid_value")]
    r = await caller.post("/assets", {"location_id": 1, "location_external_key": "A"})
    assert fields(r) == [
        ("location_id", "ambiguous_fields"),
        ("location_external_key", "ambiguous_fields"),
    ]
    r = await caller.post("/assets", {"name": "", "location_id": 99})
    assert fields(r) == [("name", "too_short")]


@pytest.mark.gen_test
async def test_patch_stage_order(caller):
    # PATCH-9: unknown → null → read-only → field rules → references → write
    a = await caller.asset()
    path = f"/assets/{a['id']}"
    r = await caller.patch(path, {"name": None, "id": 0, "bogus": 1})
    assert fields(r) == [("bogus", "unknown_field")]
    r = await caller.patch(path, {"name": None, "id": 0})
    assert fields(r) == [("name", "invalid_value")]
    r = await caller.patch(path, {"name": "", "id": 0})
    assert fields(r) == [("id", "read_only")]
    loc = await caller.location()
    r = await caller.patch(
        f"/locations/{loc['id']}",
        {"name": "", "parent_id": None, "parent_external_key": "X"},
    )
    assert [f["code"] for f in r.error["fields"]] == ["ambiguous_fields"] * 2
    r = await caller.patch(f"/locations/{loc['id']}", {"name": "", "parent_id": 99})
    assert fields(r) == [("name", "too_short")]
    r = await caller.patch(f"/locations/{loc['id']}", {"parent_id": loc["id"]})
    assert r.status == 409


@pytest.mark.gen_test
async def test_sessions_work_on_every_operation(api, seed):
    # SCOPE-7, AUTH-7; INT-11 roles for sessions: writes need manager
    tenant = seed.tenant()
    session = tenant.session
    r = await api.post("/api/v1/locations", {"name": "s"}, token=session)
    assert r.status == 201
    lid = r.json()["data"]["id"]
    r = await api.get(f"/api/v1/locations/{lid}/descendants", token=session)
    assert r.status == 200
    r = await api.post(
        "/api/v1/assets", {"name": "a", "location_id": lid}, token=session
    )
    assert r.status == 201

    viewer = seed.tenant(role="viewer")
    assert (await api.get("/api/v1/assets", token=viewer.session)).status == 200
    r = await api.post("/api/v1/assets", {"name": "a"}, token=viewer.session)
    assert r.status == 403
