"""POST /api/v1/inventory/save (INT-90, INT-91, SCAN-1, ASSET-3)."""

from sqlite3 import SQLITE_LIMIT_VARIABLE_NUMBER as VARIABLE_LIMIT

import pytest

from tests.conftest import TEST_DATABASE
from tests.factories import Factory, member_session
from trakrf_server.db import database
from trakrf_server.models import Asset, ScanEvent

URL = "/api/v1/inventory/save"


@pytest.fixture
def world(seed):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    shelf = f.location(org, "SHELF-1")
    assets = [f.asset(org, f"A-{n}") for n in range(3)]
    return {
        "f": f,
        "org": org,
        "shelf": shelf,
        "assets": assets,
        "admin": tenant.session,
        "operator": member_session(seed, org, "operator"),
        "viewer": member_session(seed, org, "viewer"),
    }


@pytest.mark.gen_test
async def test_save_records_one_event_per_distinct_asset(api, world, seed):
    # INT-90 effect and response, INT-91 duplicates collapse, SCAN-1 same time
    r = await api.post(
        URL,
        {
            "location_identifier": "SHELF-1",
            "asset_identifiers": ["A-0", "A-1", "A-0"],
            "ignored": True,
        },
        token=world["operator"],
    )
    assert r.status == 201, r
    data = r.json()["data"]
    assert data["count"] == 2
    assert data["location_id"] == world["shelf"]
    assert data["location_name"] == "Location SHELF-1"
    assert data["timestamp"].endswith("Z") and len(data["timestamp"]) == 24

    events = seed.write(lambda: list(ScanEvent.select().order_by(ScanEvent.id)))
    assert [e.asset_id for e in events] == world["assets"][:2]
    assert {e.location_id for e in events} == {world["shelf"]}
    assert len({e.observed_at for e in events}) == 1
    # ASSET-3: the save moved the assets
    moved = world["f"].get(Asset, world["assets"][0])
    assert moved.location_id == world["shelf"]
    assert moved.last_event_id == events[0].id


@pytest.mark.gen_test
async def test_unknown_location_then_unknown_assets(api, world):
    # INT-90 check order and exact messages
    r = await api.post(
        URL,
        {"location_identifier": "NOPE", "asset_identifiers": ["X"]},
        token=world["admin"],
    )
    assert r.status == 400
    assert r.error["fields"] == [
        {
            "field": "location_identifier",
            "code": "invalid_value",
            "message": 'location_identifier "NOPE" not found',
        }
    ]
    r = await api.post(
        URL,
        {"location_identifier": "SHELF-1", "asset_identifiers": ["A-0", "X", "Y", "X"]},
        token=world["admin"],
    )
    assert [f["message"] for f in r.error["fields"]] == [
        'asset_identifier "X" not found',
        'asset_identifier "Y" not found',
    ]
    assert {f["field"] for f in r.error["fields"]} == {"asset_identifiers"}


@pytest.mark.gen_test
async def test_deleted_asset_or_location_not_found(api, world):
    # INT-90: live rows only
    world["f"].soft_delete(Asset, world["assets"][2])
    r = await api.post(
        URL,
        {"location_identifier": "SHELF-1", "asset_identifiers": ["A-2"]},
        token=world["admin"],
    )
    assert r.error["fields"][0]["message"] == 'asset_identifier "A-2" not found'


@pytest.mark.gen_test
async def test_shape_errors(api, world):
    # INT-90 shape → 400 validation; VAL-2 wrong types → bad_request
    r = await api.post(URL, {}, token=world["admin"])
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("location_identifier", "required"),
        ("asset_identifiers", "required"),
    ]
    r = await api.post(
        URL,
        {"location_identifier": "", "asset_identifiers": []},
        token=world["admin"],
    )
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("location_identifier", "too_short"),
        ("asset_identifiers", "too_short"),
    ]
    r = await api.post(
        URL,
        {"location_identifier": "SHELF-1", "asset_identifiers": ["x" * 256]},
        token=world["admin"],
    )
    assert r.error["fields"][0]["code"] == "too_long"
    r = await api.post(
        URL,
        {"location_identifier": 5, "asset_identifiers": ["A-0"]},
        token=world["admin"],
    )
    assert r.status == 400 and r.error["type"] == "bad_request"
    r = await api.post(
        URL, body="{", content_type="application/json", token=world["admin"]
    )
    assert r.error["detail"] == "Request body is not valid JSON"


@pytest.mark.gen_test
async def test_roles_and_auth(api, world, seed):
    # INT-91 operator or higher, INT-11 message, INT-7 session only
    body = {"location_identifier": "SHELF-1", "asset_identifiers": ["A-0"]}
    r = await api.post(URL, body, token=world["viewer"])
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: operator"
    key = seed.key(world["org"], ["assets:write", "scans:write"])
    r = await api.post(URL, body, token=key)
    assert r.status == 401 and r.error["detail"] == "Invalid or expired token"
    r = await api.post(URL, body, token=world["admin"])
    assert r.status == 201


@pytest.mark.gen_test
async def test_no_org_context(api, world, seed):
    # INT-90 first check: ORG-5
    from trakrf_server.services import accounts

    user = seed.write(lambda: accounts.create_user("lonely@example.com", "x"))
    token = seed.session(user.id, "lonely@example.com", None)
    r = await api.post(URL, {}, token=token)
    assert r.status == 422 and r.error["type"] == "missing_org_context"


@pytest.mark.gen_test
async def test_other_org_assets_not_found(api, world, seed):
    # SURF-4
    other = seed.tenant()
    Factory(seed).asset(other.org_id, "THEIRS")
    r = await api.post(
        URL,
        {"location_identifier": "SHELF-1", "asset_identifiers": ["THEIRS"]},
        token=world["admin"],
    )
    assert r.error["fields"][0]["message"] == 'asset_identifier "THEIRS" not found'


@pytest.mark.skipif(TEST_DATABASE == "postgres", reason="SQLite's parameter limit")
@pytest.mark.gen_test
async def test_more_identifiers_than_sqlite_binds_in_one_statement(api, world, seed):
    # INT-90 sets no upper bound on asset_identifiers: a list longer than
    # SQLite's limit on bound parameters is still looked up (ERR-5: never a
    # 500). The writer's limit is lowered so a short list crosses it.
    seed.write(lambda: database.connection().setlimit(VARIABLE_LIMIT, 999))
    unknown = [f"GONE-{n}" for n in range(1200)]
    r = await api.post(
        URL,
        {"location_identifier": "SHELF-1", "asset_identifiers": [*unknown, "A-1"]},
        token=world["admin"],
    )
    assert r.status == 400, r
    missing = [f["message"] for f in r.error["fields"]]
    assert missing == [f'asset_identifier "{key}" not found' for key in unknown]
