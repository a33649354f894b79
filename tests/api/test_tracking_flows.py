"""Scan events seen through the resource endpoints, end to end over HTTP.

Assets and locations are made with the public API, moved by the web app's
inventory save (INT-90) or a fixed reader's batch (SCAN-3), and read back
through the asset, location, report and history endpoints.
"""

from datetime import timedelta

import pytest

from trakrf_server import timeutil

V1 = "/api/v1"
HAS_ASSETS = (
    "location has assets placed at it; move or remove them before deleting "
    "(cascade is not supported)"
)


@pytest.fixture
def org(api, seed):
    tenant = seed.tenant()
    return {
        "api": api,
        "session": tenant.session,
        "key": seed.key(tenant.org_id),
        "reader_key": seed.key(tenant.org_id, ["scans:write"]),
    }


async def call(org, method, path, body=None, token=None, status=None):
    token = token or org["key"]
    send = getattr(org["api"], method)
    if method in ("get", "delete"):
        r = await send(V1 + path, token=token)
    else:
        r = await send(V1 + path, body, token=token)
    if status is not None:
        assert r.status == status, r
    return r


async def create(org, kind, **body):
    body.setdefault("name", "Thing")
    r = await call(org, "post", f"/{kind}", body, status=201)
    return r.json()["data"]


async def save_inventory(org, location_key, *asset_keys):
    body = {"location_identifier": location_key, "asset_identifiers": list(asset_keys)}
    await call(org, "post", "/inventory/save", body, org["session"], status=201)


async def reader_at(org, location_id):
    r = await call(org, "post", "/readers", {"name": "Gate"}, org["session"], 201)
    reader = r.json()["data"]["id"]
    await call(
        org,
        "put",
        f"/readers/{reader}/antennas/1",
        {"location_id": location_id},
        org["session"],
        status=200,
    )
    return reader


async def push(org, reader, batch_id, epc, seen_at):
    body = {
        "batch_id": batch_id,
        "reads": [{"epc": epc, "antenna": 1, "seen_at": timeutil.format_ts(seen_at)}],
    }
    r = await call(org, "post", f"/readers/{reader}/reads", body, org["reader_key"])
    assert r.status == 200 and r.json()["data"]["recorded"] == 1, r


@pytest.mark.gen_test
async def test_inventory_save_blocks_location_delete_until_moved(org):
    # LOC-8 step 2 / DEC-15: the current location from scans (ASSET-3, SCAN-1)
    dock = await create(org, "locations", external_key="DOCK")
    await create(org, "locations", external_key="BAY")
    await create(org, "assets", external_key="PUMP")

    await save_inventory(org, "DOCK", "PUMP")
    r = await call(org, "delete", f"/locations/{dock['id']}", status=409)
    assert r.error["type"] == "conflict" and r.error["detail"] == HAS_ASSETS

    await save_inventory(org, "BAY", "PUMP")
    await call(org, "delete", f"/locations/{dock['id']}", status=204)


@pytest.mark.gen_test
async def test_reader_batch_blocks_location_delete_until_moved(org):
    # LOC-8 step 2 / DEC-15 with events from a fixed reader (SCAN-3)
    dock = await create(org, "locations", external_key="DOCK")
    bay = await create(org, "locations", external_key="BAY")
    yard = await create(org, "locations", external_key="YARD")
    # the asset was created at YARD: only the scan puts it at DOCK
    await create(
        org,
        "assets",
        external_key="PUMP",
        location_external_key="YARD",
        tags=[{"value": "E200AA01"}],
    )
    at_dock, at_bay = await reader_at(org, dock["id"]), await reader_at(org, bay["id"])
    earlier = timeutil.now() - timedelta(hours=2)

    # readers pad EPCs with zeros; the tag still matches
    await push(org, at_dock, "1", "0000E200AA01", earlier)
    r = await call(org, "delete", f"/locations/{dock['id']}", status=409)
    assert r.error["detail"] == HAS_ASSETS
    # DEC-15: where the asset was created no longer blocks
    await call(org, "delete", f"/locations/{yard['id']}", status=204)

    await push(org, at_bay, "1", "E200AA01", earlier + timedelta(minutes=5))
    await call(org, "delete", f"/locations/{dock['id']}", status=204)


@pytest.mark.gen_test
async def test_asset_view_and_location_filter_follow_scans(org):
    # ASSET-3: the view shows the latest scan's location, else the creation
    # placement; ASSET-10: location_id / location_external_key filters follow it
    dock = await create(org, "locations", external_key="DOCK")
    bay = await create(org, "locations", external_key="BAY")
    pump = await create(org, "assets", external_key="PUMP", location_id=dock["id"])
    await create(org, "assets", external_key="CART")

    async def located(query):
        r = await call(org, "get", f"/assets?{query}", status=200)
        return [a["external_key"] for a in r.json()["data"]]

    assert await located(f"location_id={dock['id']}") == ["PUMP"]

    await save_inventory(org, "BAY", "PUMP")
    r = await call(org, "get", f"/assets/{pump['id']}", status=200)
    view = r.json()["data"]
    assert view["location_id"] == bay["id"]
    assert view["location_external_key"] == "BAY"
    assert await located(f"location_id={dock['id']}") == []
    assert await located(f"location_id={bay['id']}") == ["PUMP"]
    assert await located("location_external_key=BAY") == ["PUMP"]
    assert await located("location_external_key=DOCK") == []

    # the list's view agrees with the single read
    r = await call(org, "get", "/assets?external_key=PUMP", status=200)
    assert r.json()["data"][0]["location_id"] == bay["id"]


@pytest.mark.gen_test
async def test_deleted_asset_events_stay_in_report(org):
    # ASSET-9: a deleted asset's scan events are kept, visible in the report
    # with include_deleted=true (REPORT-1, REPORT-6); its key is reusable
    await create(org, "locations", external_key="DOCK")
    pump = await create(org, "assets", external_key="PUMP")
    await save_inventory(org, "DOCK", "PUMP")
    await call(org, "delete", f"/assets/{pump['id']}", status=204)

    r = await call(org, "get", "/reports/asset-locations", status=200)
    assert r.json()["data"] == []
    r = await call(
        org, "get", "/reports/asset-locations?include_deleted=true", status=200
    )
    (row,) = r.json()["data"]
    assert row["asset_id"] == pump["id"]
    assert row["asset_external_key"] == "PUMP"
    assert row["location_external_key"] == "DOCK"
    assert row["asset_deleted_at"] is not None

    # a new asset under the freed key is a separate row
    again = await create(org, "assets", external_key="PUMP")
    await save_inventory(org, "DOCK", "PUMP")
    r = await call(
        org, "get", "/reports/asset-locations?include_deleted=true", status=200
    )
    rows = {row["asset_id"]: row["asset_deleted_at"] for row in r.json()["data"]}
    assert set(rows) == {pump["id"], again["id"]}
    assert rows[again["id"]] is None
    # HIST-1: the deleted asset's history is gone from the API, not the events
    await call(org, "get", f"/assets/{pump['id']}/history", status=404)
