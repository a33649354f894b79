"""Tag lookup (INT-100): single GET, batch POST, zero padding, embedded views."""

import pytest

from tests.factories import Factory
from trakrf_server.models import Asset, Tag

ONE = "/api/v1/lookup/tag"
MANY = "/api/v1/lookup/tags"


@pytest.fixture
def world(seed):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    dock = f.location(org, "DOCK")
    asset = f.asset(org, "PUMP-7", location=dock)
    f.tag(org, "00E2801160", asset=asset)
    f.tag(org, "DOCKTAG", location=dock, tag_type="barcode")
    return {"f": f, "org": org, "dock": dock, "asset": asset, "s": tenant.session}


@pytest.mark.gen_test
async def test_single_lookup_ignores_leading_zeros(api, world):
    # INT-100 matching: padding removed on both sides; embedded AssetView
    for value in ("E2801160", "0000E2801160", "00E2801160"):
        r = await api.get(f"{ONE}?type=rfid&value={value}", token=world["s"])
        assert r.status == 200, r
        data = r.json()["data"]
        assert data["entity_type"] == "asset"
        assert data["entity_id"] == world["asset"]
        view = data["asset"]
        assert view["external_key"] == "PUMP-7"
        assert view["location_id"] == world["dock"]
        assert view["location_external_key"] == "DOCK"
        assert view["tags"] == [
            {"id": view["tags"][0]["id"], "tag_type": "rfid", "value": "00E2801160"}
        ]
        assert set(view) >= {"metadata", "valid_from", "deleted_at", "description"}


@pytest.mark.gen_test
async def test_single_lookup_location_and_misses(api, world):
    # INT-100: location entity, type must match, 404 text, 400 texts
    r = await api.get(f"{ONE}?type=barcode&value=DOCKTAG", token=world["s"])
    data = r.json()["data"]
    assert (
        data["entity_type"] == "location" and data["location"]["external_key"] == "DOCK"
    )
    assert "asset" not in data
    r = await api.get(f"{ONE}?type=ble&value=E2801160", token=world["s"])
    assert r.status == 404 and r.error["detail"] == "No entity found with this tag"
    r = await api.get(f"{ONE}?value=E2801160", token=world["s"])
    assert r.status == 400 and r.error["detail"] == "type parameter is required"
    r = await api.get(f"{ONE}?type=rfid", token=world["s"])
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "value parameter is required"


@pytest.mark.gen_test
async def test_deleted_parent_or_tag_does_not_match(api, world):
    # INT-100: only live tags with live parents count
    world["f"].soft_delete(Asset, world["asset"])
    r = await api.get(f"{ONE}?type=rfid&value=E2801160", token=world["s"])
    assert r.status == 404


@pytest.mark.gen_test
async def test_batch_lookup(api, world):
    # INT-100 batch: keys as sent, misses left out
    r = await api.post(
        MANY,
        {"type": "rfid", "values": ["000E2801160", "E2801160", "NOPE"]},
        token=world["s"],
    )
    assert r.status == 200, r
    data = r.json()["data"]
    assert set(data) == {"000E2801160", "E2801160"}
    assert data["E2801160"]["entity_id"] == world["asset"]
    r = await api.post(MANY, {"type": "rfid", "values": []}, token=world["s"])
    assert r.json() == {"data": {}}


@pytest.mark.gen_test
async def test_batch_lookup_errors(api, world):
    # INT-100 batch errors
    r = await api.post(MANY, {"values": ["A"]}, token=world["s"])
    assert r.error["detail"] == "type field is required"
    r = await api.post(MANY, {"type": "rfid", "values": ["A"] * 501}, token=world["s"])
    assert r.error["detail"] == "batch size exceeds maximum of 500"
    r = await api.post(MANY, {"type": "rfid", "values": "A"}, token=world["s"])
    assert r.error["detail"] == "invalid request body"
    r = await api.post(
        MANY, body="[", content_type="application/json", token=world["s"]
    )
    assert r.status == 400 and r.error["detail"] == "invalid request body"
    r = await api.post(MANY, {"type": "rfid", "values": ["A"] * 500}, token=world["s"])
    assert r.status == 200


@pytest.mark.gen_test
async def test_session_only_and_org_scoped(api, world, seed):
    # INT-100 auth: session; SURF-4 other orgs invisible
    key = seed.key(world["org"])
    r = await api.get(f"{ONE}?type=rfid&value=E2801160", token=key)
    assert r.status == 401
    other = seed.tenant()
    r = await api.get(f"{ONE}?type=rfid&value=E2801160", token=other.session)
    assert r.status == 404


def test_lookup_value_stored_without_padding(seed, world):
    # Tag.lookup_value is what matching uses
    tag = seed.write(lambda: Tag.get(Tag.value == "00E2801160"))
    assert tag.lookup_value == "E2801160"
