"""GET /api/v1/reports/asset-locations (CONTRACT REPORT-1…6, PAGE, ASSET-3)."""

from datetime import timedelta

import pytest

from tests.factories import Factory
from trakrf_server import timeutil
from trakrf_server.models import Asset, Location

URL = "/api/v1/reports/asset-locations"


@pytest.fixture
def world(seed):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    a = f.location(org, "WH-A")
    b = f.location(org, "WH-B")
    one = f.asset(org, "ASSET-1", name="Forklift")
    two = f.asset(org, "ASSET-2", name="Pallet jack")
    three = f.asset(org, "ASSET-3", name="Ladder")
    never = f.asset(org, "NEVER", location=a)
    f.tag(org, "E2801160600002", asset=three)
    f.scan(org, one, a, "2026-04-01T10:00:00Z")
    f.scan(org, one, b, "2026-04-01T11:00:00Z")
    f.scan(org, two, a, "2026-04-01T12:00:00Z")
    f.scan(org, three, b, "2026-04-01T09:00:00Z")
    return {
        "f": f,
        "org": org,
        "a": a,
        "b": b,
        "one": one,
        "two": two,
        "three": three,
        "never": never,
        "key": seed.key(org, ["tracking:read"]),
    }


async def rows(api, world, query=""):
    r = await api.get(URL + query, token=world["key"])
    assert r.status == 200, r
    return r.json()


@pytest.mark.gen_test
async def test_rows_default_order(api, world):
    # REPORT-1 (never-scanned assets absent), REPORT-2 keys, REPORT-5 default sort
    body = await rows(api, world)
    assert body["total_count"] == 3
    assert body["data"][0] == {
        "asset_id": world["two"],
        "asset_external_key": "ASSET-2",
        "location_id": world["a"],
        "location_external_key": "WH-A",
        "asset_last_seen": "2026-04-01T12:00:00.000Z",
        "asset_deleted_at": None,
    }
    assert [r["asset_id"] for r in body["data"]] == [
        world["two"],
        world["one"],
        world["three"],
    ]
    # REPORT-3: the row shows the latest event's location
    assert body["data"][1]["location_external_key"] == "WH-B"


@pytest.mark.gen_test
async def test_older_backfilled_read_does_not_move_asset(api, world, seed):
    # ASSET-3 / REPORT-3: latest by observed time, not by recording time
    world["f"].scan(world["org"], world["one"], world["a"], "2026-03-01T00:00:00Z")
    body = await rows(api, world, "?sort=asset_external_key")
    first = body["data"][0]
    assert first["asset_id"] == world["one"]
    assert first["location_id"] == world["b"]
    assert first["asset_last_seen"] == "2026-04-01T11:00:00.000Z"
    asset = world["f"].get(Asset, world["one"])
    assert asset.location_id == world["b"]


@pytest.mark.gen_test
async def test_same_instant_most_recently_recorded_wins(api, world):
    # REPORT-3 ties → most recently recorded
    f = world["f"]
    f.scan(world["org"], world["two"], world["b"], "2026-04-01T12:00:00Z")
    body = await rows(api, world, "?limit=1")
    assert body["data"][0]["location_id"] == world["b"]


@pytest.mark.gen_test
async def test_sorts_and_tiebreak(api, world):
    # PAGE-12 allowlist, REPORT-5 tiebreak asset id
    body = await rows(api, world, "?sort=asset_external_key")
    assert [r["asset_external_key"] for r in body["data"]] == [
        "ASSET-1",
        "ASSET-2",
        "ASSET-3",
    ]
    body = await rows(api, world, "?sort=-asset_external_key")
    assert body["data"][0]["asset_external_key"] == "ASSET-3"
    body = await rows(api, world, "?sort=location_external_key,asset_last_seen")
    assert [r["asset_id"] for r in body["data"]] == [
        world["two"],
        world["three"],
        world["one"],
    ]
    body = await rows(api, world, "?sort=asset_last_seen")
    assert body["data"][0]["asset_id"] == world["three"]
    r = await api.get(URL + "?sort=name", token=world["key"])
    assert r.error["fields"][0]["message"] == "unknown sort field: name"
    r = await api.get(URL + "?sort=asset_last_seen,", token=world["key"])
    assert r.status == 400 and r.error["fields"][0]["code"] == "invalid_value"


@pytest.mark.gen_test
async def test_equal_values_fall_back_to_asset_id(api, world):
    # PAGE-12: every order ends with id ascending (DEC-18)
    f = world["f"]
    four = f.asset(world["org"], "ASSET-4")
    f.scan(world["org"], four, world["a"], "2026-04-01T12:00:00Z")
    body = await rows(api, world, "?limit=2")
    assert [r["asset_id"] for r in body["data"]] == sorted([world["two"], four])


@pytest.mark.gen_test
async def test_deleted_location_nulls_both_keys_and_sorts_last(api, world):
    # REPORT-3 nulling, PAGE-14 NULL after values ascending, REPORT-4 never matches
    world["f"].soft_delete(Location, world["b"])
    body = await rows(api, world, "?sort=location_external_key")
    data = body["data"]
    assert body["total_count"] == 3
    assert data[0]["asset_id"] == world["two"]
    nulled = [r for r in data if r["asset_id"] in (world["one"], world["three"])]
    assert all(r["location_id"] is None for r in nulled)
    assert all(r["location_external_key"] is None for r in nulled)
    assert [r["asset_id"] for r in data[1:]] == sorted([world["one"], world["three"]])
    body = await rows(api, world, "?sort=-location_external_key")
    assert body["data"][-1]["asset_id"] == world["two"]
    body = await rows(api, world, f"?location_id={world['b']}")
    assert body["total_count"] == 0


@pytest.mark.gen_test
async def test_expired_location_nulls_row_location(api, world):
    # REPORT-3: "not currently effective" also nulls
    f = world["f"]
    old = f.location(world["org"], "OLD", valid_to=timeutil.now() - timedelta(days=1))
    f.scan(world["org"], world["two"], old, "2026-04-02T00:00:00Z")
    body = await rows(api, world, "?limit=1")
    assert body["data"][0]["location_id"] is None
    assert body["data"][0]["location_external_key"] is None


@pytest.mark.gen_test
async def test_location_filters(api, world):
    # REPORT-4, PAGE-6 any-of, DEC-22 both forms AND
    body = await rows(api, world, f"?location_id={world['a']}")
    assert [r["asset_id"] for r in body["data"]] == [world["two"]]
    body = await rows(api, world, f"?location_id={world['a']}&location_id={world['b']}")
    assert body["total_count"] == 3
    body = await rows(api, world, "?location_external_key=WH-B")
    assert {r["asset_id"] for r in body["data"]} == {world["one"], world["three"]}
    body = await rows(
        api, world, f"?location_id={world['a']}&location_external_key=WH-B"
    )
    assert body["total_count"] == 0
    body = await rows(
        api, world, f"?location_id={world['b']}&location_external_key=WH-B"
    )
    assert body["total_count"] == 2
    body = await rows(api, world, "?location_external_key=NOPE")
    assert body["data"] == []


@pytest.mark.gen_test
async def test_filter_validation(api, world):
    # PAGE-8, PAGE-9, PAGE-7, PAGE-5, VAL-9
    r = await api.get(URL + "?location_external_key=A,B", token=world["key"])
    assert r.error["fields"][0] == {
        "field": "location_external_key",
        "code": "invalid_value",
        "message": 'location_external_key "A,B" must match ^[A-Za-z0-9-]+$',
    }
    r = await api.get(URL + "?location_id=x", token=world["key"])
    assert (
        r.error["fields"][0]["message"]
        == 'location_id "x" must be a positive integer ≤ 2147483647'
    )
    r = await api.get(URL + "?location_id=0", token=world["key"])
    assert r.error["fields"][0]["code"] == "too_small"
    assert r.error["fields"][0]["params"] == {"min": 1}
    r = await api.get(URL + "?location_id=2147483648", token=world["key"])
    assert r.error["fields"][0]["code"] == "too_large"
    assert r.error["fields"][0]["params"] == {"max": 2147483647}
    r = await api.get(URL + "?include_deleted=yes", token=world["key"])
    assert (
        r.error["fields"][0]["message"] == "include_deleted must be 'true' or 'false'"
    )
    r = await api.get(URL + "?is_active=true", token=world["key"])
    assert r.error["fields"][0]["message"] == "unknown parameter: is_active"
    r = await api.get(URL + "?q=%01", token=world["key"])
    assert r.error["fields"][0]["field"] == "q"
    r = await api.get(URL + "?q=%FF", token=world["key"])
    assert r.status == 400 and r.error["fields"][0]["field"] == "q"
    # problems of several parameters are reported together
    r = await api.get(URL + "?limit=0&sort=nope", token=world["key"])
    assert [f["field"] for f in r.error["fields"]] == ["limit", "sort"]
    assert r.error["detail"] == "limit must be ≥ 1 (and 1 more validation error)"


@pytest.mark.gen_test
async def test_q_matches_name_key_and_tags_literally(api, world):
    # PAGE-10, DEC-14
    assert (await rows(api, world, "?q=forK"))["data"][0]["asset_id"] == world["one"]
    assert (await rows(api, world, "?q=set-2"))["data"][0]["asset_id"] == world["two"]
    body = await rows(api, world, "?q=11606")
    assert [r["asset_id"] for r in body["data"]] == [world["three"]]
    assert (await rows(api, world, "?q=%25"))["total_count"] == 0
    assert (await rows(api, world, "?q=_"))["total_count"] == 0
    assert (await rows(api, world, "?q="))["total_count"] == 3


@pytest.mark.gen_test
async def test_include_deleted_shows_asset_deleted_at(api, world):
    # REPORT-1, REPORT-6, ASSET-9 events kept
    world["f"].soft_delete(Asset, world["two"])
    body = await rows(api, world)
    assert world["two"] not in [r["asset_id"] for r in body["data"]]
    body = await rows(api, world, "?include_deleted=TRUE")
    row = next(r for r in body["data"] if r["asset_id"] == world["two"])
    assert row["asset_deleted_at"] is not None
    assert row["asset_deleted_at"].endswith("Z") and len(row["asset_deleted_at"]) == 24
    assert row["location_id"] == world["a"]
    assert "deleted_at" not in row


@pytest.mark.gen_test
async def test_not_currently_effective_assets_excluded(api, world):
    # REPORT-1
    f = world["f"]
    later = f.asset(
        world["org"], "FUTURE", valid_from=timeutil.now() + timedelta(days=1)
    )
    f.scan(world["org"], later, world["a"], "2026-04-09T00:00:00Z")
    body = await rows(api, world)
    assert later not in [r["asset_id"] for r in body["data"]]


@pytest.mark.gen_test
async def test_tenancy_and_scope(api, world, seed):
    # SURF-4, SCOPE-4
    other = seed.tenant()
    f = Factory(seed)
    loc = f.location(other.org_id, "X")
    theirs = f.asset(other.org_id, "T1")
    f.scan(other.org_id, theirs, loc, "2026-04-01T00:00:00Z")
    body = await rows(api, world)
    assert theirs not in [r["asset_id"] for r in body["data"]]
    r = await api.get(URL, token=seed.key(world["org"], ["assets:read"]))
    assert r.status == 403
    assert r.error["detail"] == "Missing required scope: tracking:read"


@pytest.mark.gen_test
async def test_pagination_envelope(api, world):
    # PAGE-3
    body = await rows(api, world, "?limit=2&offset=2")
    assert body["limit"] == 2 and body["offset"] == 2 and body["total_count"] == 3
    assert len(body["data"]) == 1
