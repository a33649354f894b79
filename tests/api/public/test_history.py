"""GET /api/v1/assets/{asset_id}/history (CONTRACT HIST-1…7, PAGE, ORDER-1)."""

from datetime import timedelta

import pytest

from tests.factories import Factory
from trakrf_server import timeutil
from trakrf_server.models import Asset, Location, ScanEvent

URL = "/api/v1/assets/{}/history"


@pytest.fixture
def world(seed):
    """An asset scanned at A, then B, then A again (ten and twenty seconds apart)."""
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    a = f.location(org, "WH-A")
    b = f.location(org, "WH-B")
    asset = f.asset(org, "ASSET-1", location=a)
    f.scan(org, asset, a, "2026-04-01T10:00:00.000Z")
    f.scan(org, asset, b, "2026-04-01T10:00:10.400Z")
    f.scan(org, asset, a, "2026-04-01T10:00:30.900Z")
    return {
        "f": f,
        "org": org,
        "a": a,
        "b": b,
        "asset": asset,
        "key": seed.key(org, ["tracking:read"]),
        "session": tenant.session,
    }


@pytest.mark.gen_test
async def test_rows_newest_first_with_durations(api, world):
    # HIST-2, HIST-4 default order, HIST-5 rounding to the nearest second, HIST-7
    r = await api.get(URL.format(world["asset"]), token=world["key"])
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"data", "limit", "offset", "total_count"}
    assert body["total_count"] == 3
    assert body["limit"] == 50 and body["offset"] == 0
    assert body["data"] == [
        {
            "event_observed_at": "2026-04-01T10:00:30.900Z",
            "location_id": world["a"],
            "location_external_key": "WH-A",
            "duration_seconds": None,
        },
        {
            "event_observed_at": "2026-04-01T10:00:10.400Z",
            "location_id": world["b"],
            "location_external_key": "WH-B",
            "duration_seconds": 21,  # 20.5 s rounds half up
        },
        {
            "event_observed_at": "2026-04-01T10:00:00.000Z",
            "location_id": world["a"],
            "location_external_key": "WH-A",
            "duration_seconds": 10,  # 10.4 s
        },
    ]


@pytest.mark.gen_test
async def test_sort_ascending_keeps_durations(api, world):
    # HIST-4 (DEC-6 honour sort), HIST-5 independent of direction
    r = await api.get(
        URL.format(world["asset"]) + "?sort=event_observed_at", token=world["key"]
    )
    data = r.json()["data"]
    assert [d["event_observed_at"][-10:] for d in data] == [
        "00:00.000Z",
        "00:10.400Z",
        "00:30.900Z",
    ]
    assert [d["duration_seconds"] for d in data] == [10, 21, None]
    r = await api.get(
        URL.format(world["asset"]) + "?sort=-event_observed_at", token=world["key"]
    )
    assert [d["duration_seconds"] for d in r.json()["data"]] == [None, 21, 10]


@pytest.mark.gen_test
async def test_window_bounds_inclusive_and_duration_within_window(api, world):
    # HIST-3 inclusive bounds, HIST-5 window: latest row in the window is null
    url = URL.format(world["asset"])
    r = await api.get(
        url + "?from=2026-04-01T10:00:00Z&to=2026-04-01T10:00:10.400Z",
        token=world["key"],
    )
    body = r.json()
    assert body["total_count"] == 2
    assert [d["duration_seconds"] for d in body["data"]] == [None, 10]

    # Any offset is accepted and converted (DATE-3).
    r = await api.get(url + "?to=2026-04-01T12:00:05%2B02:00", token=world["key"])
    assert r.json()["total_count"] == 1

    # from later than to: an empty page, not an error (HIST-3).
    r = await api.get(
        url + "?from=2026-05-01T00:00:00Z&to=2026-04-01T00:00:00Z", token=world["key"]
    )
    assert r.status == 200 and r.json()["data"] == [] and r.json()["total_count"] == 0


@pytest.mark.gen_test
async def test_pagination_durations_computed_before_paging(api, world):
    # HIST-5 computed over the whole window before pagination; PAGE-3
    r = await api.get(
        URL.format(world["asset"]) + "?limit=1&offset=1", token=world["key"]
    )
    body = r.json()
    assert body["limit"] == 1 and body["offset"] == 1 and body["total_count"] == 3
    assert body["data"][0]["duration_seconds"] == 21
    r = await api.get(URL.format(world["asset"]) + "?offset=10", token=world["key"])
    assert r.json()["data"] == []


@pytest.mark.gen_test
async def test_bad_from_to_messages(api, world):
    # HIST-3 exact messages (DEC-9), both reported
    r = await api.get(
        URL.format(world["asset"]) + "?from=2026-04-01&to=yesterday", token=world["key"]
    )
    assert r.status == 400
    fields = r.error["fields"]
    assert fields == [
        {
            "field": "from",
            "code": "invalid_value",
            "message": "Invalid 'from' timestamp; expected RFC 3339, "
            "e.g. 2026-04-21T00:00:00.000Z",
        },
        {
            "field": "to",
            "code": "invalid_value",
            "message": "Invalid 'to' timestamp; expected RFC 3339, "
            "e.g. 2026-04-21T00:00:00.000Z",
        },
    ]


@pytest.mark.gen_test
async def test_sentinel_instants_allowed_in_filters(api, world):
    # HIST-3: sentinel instants are fine here (unlike DATE-5 body fields)
    r = await api.get(
        URL.format(world["asset"]) + "?from=1970-01-01T00:00:00Z", token=world["key"]
    )
    assert r.status == 200 and r.json()["total_count"] == 3


@pytest.mark.gen_test
async def test_offsets_past_the_calendar_ends_are_valid_bounds(api, world):
    # HIST-3: DATE-2's grammar with any offset; these are valid RFC 3339
    # texts whose instants fall just outside years 1-9999 in UTC
    url = URL.format(world["asset"])
    cases = [
        ("from=0001-01-01T00:00:00%2B01:00", 3),
        ("to=9999-12-31T23:59:59-01:00", 3),
        ("from=9999-12-31T23:59:59-01:00", 0),
        ("to=0001-01-01T00:00:00%2B01:00", 0),
    ]
    for query, total in cases:
        r = await api.get(f"{url}?{query}", token=world["key"])
        assert r.status == 200, (query, r)
        assert r.json()["total_count"] == total, query


@pytest.mark.gen_test
async def test_missing_asset_404_before_query(api, world):
    # HIST-1, ORDER-1 steps 10-11: the 404 wins over a bad query string
    r = await api.get(URL.format(999999) + "?bogus=1", token=world["key"])
    assert r.status == 404
    assert r.error["detail"] == "Asset not found"


@pytest.mark.gen_test
async def test_deleted_asset_404_and_other_org_404(api, world, seed):
    # HIST-1, SURF-4
    world["f"].soft_delete(Asset, world["asset"])
    r = await api.get(URL.format(world["asset"]), token=world["key"])
    assert r.status == 404
    other = seed.tenant()
    f = Factory(seed)
    theirs = f.asset(other.org_id, "THEIRS")
    r = await api.get(URL.format(theirs), token=world["key"])
    assert r.status == 404 and r.error["detail"] == "Asset not found"


@pytest.mark.gen_test
async def test_expired_asset_still_has_history(api, world):
    # HIST-1: validity window irrelevant
    expired = world["f"].asset(
        world["org"], "OLD", valid_to=timeutil.now() - timedelta(hours=1)
    )
    r = await api.get(URL.format(expired), token=world["key"])
    assert r.status == 200 and r.json()["total_count"] == 0


@pytest.mark.gen_test
async def test_deleted_or_expired_location_keeps_id_nulls_key(api, world):
    # HIST-6
    f = world["f"]
    gone = f.location(world["org"], "GONE")
    old = f.location(world["org"], "OLD", valid_to=timeutil.now() - timedelta(days=1))
    f.scan(world["org"], world["asset"], gone, "2026-04-02T00:00:00Z")
    f.scan(world["org"], world["asset"], old, "2026-04-03T00:00:00Z")
    f.soft_delete(Location, gone)
    r = await api.get(URL.format(world["asset"]) + "?limit=2", token=world["key"])
    rows = r.json()["data"]
    assert rows[0]["location_id"] == old and rows[0]["location_external_key"] is None
    assert rows[1]["location_id"] == gone and rows[1]["location_external_key"] is None


@pytest.mark.gen_test
async def test_ties_broken_by_recording_order(api, world):
    # HIST-4: same observed time → recording order in the sort direction
    f = world["f"]
    f.scan(world["org"], world["asset"], world["b"], "2026-04-05T00:00:00Z")
    f.scan(world["org"], world["asset"], world["a"], "2026-04-05T00:00:00Z")
    r = await api.get(URL.format(world["asset"]) + "?limit=2", token=world["key"])
    assert [d["location_id"] for d in r.json()["data"]] == [world["a"], world["b"]]
    assert [d["duration_seconds"] for d in r.json()["data"]] == [None, 0]


@pytest.mark.gen_test
async def test_query_validation(api, world):
    # PAGE-1, PAGE-2, PAGE-5, PAGE-12 on history
    url = URL.format(world["asset"])
    r = await api.get(url + "?location_id=1&q=x", token=world["key"])
    assert [(f["field"], f["message"]) for f in r.error["fields"]] == [
        ("location_id", "unknown parameter: location_id"),
        ("q", "unknown parameter: q"),
    ]
    r = await api.get(url + "?limit=0", token=world["key"])
    assert r.error["fields"][0] == {
        "field": "limit",
        "code": "too_small",
        "message": "limit must be ≥ 1",
        "params": {"min": 1},
    }
    r = await api.get(url + "?limit=201", token=world["key"])
    assert r.error["fields"][0]["params"] == {"max": 200}
    r = await api.get(url + "?limit=abc", token=world["key"])
    assert r.error["fields"][0]["message"] == "limit must be a positive integer"
    r = await api.get(url + "?offset=-1", token=world["key"])
    assert r.error["fields"][0]["code"] == "too_small"
    r = await api.get(url + "?offset=2147483648", token=world["key"])
    assert r.error["fields"][0]["message"] == "offset must be ≤ 2147483647"
    r = await api.get(url + "?sort=asset_last_seen", token=world["key"])
    assert r.error["fields"][0]["message"] == "unknown sort field: asset_last_seen"
    r = await api.get(url + "?sort=", token=world["key"])
    assert r.status == 200
    # PAGE-4: first occurrence wins
    r = await api.get(url + "?limit=1&limit=abc", token=world["key"])
    assert r.status == 200 and r.json()["limit"] == 1


@pytest.mark.gen_test
async def test_path_id_rules(api, world):
    # ID-3
    r = await api.get(URL.format("abc"), token=world["key"])
    assert r.error["fields"][0]["message"] == "asset_id must be an integer"
    r = await api.get(URL.format("0"), token=world["key"])
    assert r.error["fields"][0]["code"] == "too_small"
    r = await api.get(URL.format("2147483648"), token=world["key"])
    assert r.error["fields"][0]["code"] == "too_large"
    r = await api.get(URL.format("99999999999999999999"), token=world["key"])
    assert r.error["fields"][0]["code"] == "invalid_value"


@pytest.mark.gen_test
async def test_scope_and_session(api, world, seed):
    # SCOPE-4: assets:read does not open history; SCOPE-5 message; SCOPE-7
    key = seed.key(world["org"], ["assets:read", "locations:read"])
    r = await api.get(URL.format(world["asset"]), token=key)
    assert r.status == 403
    assert r.error["detail"] == "Missing required scope: tracking:read"
    r = await api.get(URL.format(world["asset"]), token=world["session"])
    assert r.status == 200


@pytest.mark.gen_test
async def test_head_and_methods(api, world):
    # METHOD-1, METHOD-3
    r = await api.request("HEAD", URL.format(world["asset"]), token=world["key"])
    assert r.status == 200 and r.text == ""
    r = await api.post(URL.format(world["asset"]), {}, token=world["key"])
    assert r.status == 405 and r.headers["Allow"] == "GET, HEAD"


def test_events_survive_asset_and_location_deletion(seed):
    # SCAN-2: soft deletes leave every event in place
    f = Factory(seed)
    org = seed.tenant().org_id
    loc = f.location(org, "L1")
    asset = f.asset(org, "A1")
    f.scan(org, asset, loc, "2026-04-01T00:00:00Z")
    f.soft_delete(Asset, asset)
    f.soft_delete(Location, loc)
    count = seed.write(
        lambda: ScanEvent.select().where(ScanEvent.asset == asset).count()
    )
    assert count == 1


@pytest.mark.gen_test
async def test_problems_of_every_parameter_together(api, world):
    # VAL-1, VAL-9, HIST-3: one 400 in parameter order (limit, offset, sort, from, to)
    url = URL.format(world["asset"])
    r = await api.get(url + "?to=x&from=%00&sort=nope&limit=0", token=world["key"])
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("limit", "too_small"),
        ("sort", "invalid_value"),
        ("from", "invalid_value"),
        ("to", "invalid_value"),
    ]
    assert "control characters" in r.error["fields"][2]["message"]
