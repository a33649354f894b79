"""Tags attached to assets and locations (CONTRACT §20 TAG, DEC-13)."""

import pytest

from tests.api.public.conftest import fields
from trakrf_server.models import Tag


@pytest.mark.gen_test
async def test_attach_201_location_and_order(caller):
    # TAG-1, TAG-5, CT-5
    a = await caller.asset(tags=[{"value": "FIRST"}])
    r = await caller.post(f"/assets/{a['id']}/tags", {"tag_type": "ble", "value": "B"})
    assert r.status == 201, r
    tag = r.json()["data"]
    assert set(tag) == {"id", "tag_type", "value"}
    assert tag["tag_type"] == "ble"
    assert r.headers["Location"] == f"/api/v1/assets/{a['id']}/tags/{tag['id']}"
    r = await caller.post(f"/assets/{a['id']}/tags", {"value": "C"})
    assert r.json()["data"]["tag_type"] == "rfid"  # TAG-2 default
    got = (await caller.get(f"/assets/{a['id']}")).json()["data"]
    assert [t["value"] for t in got["tags"]] == ["FIRST", "B", "C"]
    assert got["updated_at"] == a["updated_at"]  # DATE-8

    loc = await caller.location()
    r = await caller.post(
        f"/locations/{loc['id']}/tags", {"tag_type": "barcode", "value": "Z"}
    )
    assert r.status == 201
    assert r.headers["Location"] == (
        f"/api/v1/locations/{loc['id']}/tags/{r.json()['data']['id']}"
    )


@pytest.mark.gen_test
async def test_natural_key_unique_across_owners(caller):
    # TAG-4, TAG-5
    a = await caller.asset(tags=[{"value": "E1"}])
    loc = await caller.location()
    r = await caller.post(f"/locations/{loc['id']}/tags", {"value": "E1"})
    assert r.status == 409 and r.error["detail"] == "tag rfid:E1 already exists"
    r = await caller.post(
        f"/locations/{loc['id']}/tags", {"tag_type": "ble", "value": "E1"}
    )
    assert r.status == 201
    r = await caller.post(f"/assets/{a['id']}/tags", {"tag_type": "ble", "value": "E1"})
    assert r.error["detail"] == "tag ble:E1 already exists"


@pytest.mark.gen_test
async def test_attach_body_rules(caller):
    # TAG-2, TAG-3, TAG-5, VAL-7 (value null → required), VAL-9
    a = await caller.asset()
    path = f"/assets/{a['id']}/tags"
    r = await caller.post(path, {"value": None, "tag_type": None})
    assert r.error["fields"] == [
        {"field": "value", "code": "required", "message": "value is required"}
    ]
    r = await caller.post(path, {"tag_type": "", "value": "x\x7f"})
    assert fields(r) == [("tag_type", "invalid_value"), ("value", "invalid_value")]
    r = await caller.post(path, {"value": "v", "extra": 1})
    assert fields(r) == [("extra", "unknown_field")]
    r = await caller.post(path, {"value": 12})
    assert (
        r.error["detail"]
        == 'Body field "value" could not be decoded as the expected type'
    )
    r = await caller.post(path, {"value": " 00Ab "})
    assert r.json()["data"]["value"] == " 00Ab "  # no normalisation
    r = await caller.post("/assets/424242/tags", {"value": None})
    assert r.status == 404 and r.error["detail"] == "Asset not found"


@pytest.mark.gen_test
async def test_lookup_value_strips_leading_zeros(caller, seed):
    # stored for reader lookups: padded EPCs match their unpadded form
    a = await caller.asset(tags=[{"value": "000E2801"}])
    tag_id = a["tags"][0]["id"]
    stored = seed.write(lambda: Tag.get_by_id(tag_id).lookup_value)
    assert stored == "E2801"


@pytest.mark.gen_test
async def test_detach_then_404_and_order(caller, other):
    # TAG-6, ERR-8
    a = await caller.asset(tags=[{"value": "D1"}])
    b = await caller.asset()
    tag_id = a["tags"][0]["id"]
    r = await caller.delete(f"/assets/{b['id']}/tags/{tag_id}")
    assert r.status == 404 and r.error["detail"] == "Tag not found on this asset"
    r = await other.delete(f"/assets/{a['id']}/tags/{tag_id}")
    assert r.error["detail"] == "Asset not found"
    r = await caller.delete("/assets/424242/tags/x")
    assert r.error["detail"] == "Asset not found"  # parent before tag_id
    r = await caller.delete(f"/assets/x/tags/{tag_id}")
    assert fields(r) == [("asset_id", "invalid_value")]

    r = await caller.delete(f"/assets/{a['id']}/tags/{tag_id}")
    assert r.status == 204 and r.text == ""
    r = await caller.delete(f"/assets/{a['id']}/tags/{tag_id}")
    assert r.status == 404
    assert (await caller.get(f"/assets/{a['id']}")).json()["data"]["tags"] == []
    # the value is free again
    r = await caller.post(f"/assets/{b['id']}/tags", {"value": "D1"})
    assert r.status == 201

    loc = await caller.location()
    r = await caller.delete(f"/locations/{loc['id']}/tags/{tag_id}")
    assert r.error["detail"] == "Tag not found on this location"


@pytest.mark.gen_test
async def test_tags_released_when_owner_deleted(caller):
    # DEC-13, ASSET-9, LOC-8
    a = await caller.asset(tags=[{"value": "R1"}])
    loc = await caller.location(tags=[{"tag_type": "barcode", "value": "R2"}])
    await caller.delete(f"/assets/{a['id']}")
    await caller.delete(f"/locations/{loc['id']}")
    b = await caller.asset(
        tags=[{"value": "R1"}, {"tag_type": "barcode", "value": "R2"}]
    )
    assert len(b["tags"]) == 2
    listed = (await caller.get("/assets?include_deleted=true")).json()["data"]
    deleted = next(x for x in listed if x["id"] == a["id"])
    assert deleted["tags"] == []


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/assets", "/locations"])
async def test_create_with_many_tags(caller, path):
    # ASSET-6, LOC-3, ERR-5: a few hundred tags in one create were a 500 (the
    # duplicate check nested one OR per tag and overflowed the recursion limit)
    n = 1200
    tags = [{"tag_type": ("rfid", "ble")[i % 2], "value": f"V{i}"} for i in range(n)]
    r = await caller.post(path, {"name": "Many", "tags": tags})
    assert r.status == 201, r
    assert [(t["tag_type"], t["value"]) for t in r.json()["data"]["tags"]] == [
        (t["tag_type"], t["value"]) for t in tags
    ]
    # one value already live, after more values of its type than one lookup
    # takes: nothing is created
    again = [{"value": f"NEW{i}"} for i in range(n)] + [{"value": "V1198"}]
    r = await caller.post(path, {"name": "Again", "tags": again})
    assert r.status == 409, r
    assert r.error["detail"] == "one or more tags already exist"
    assert (await caller.post(path, {"name": "New", "tags": again[:-1]})).status == 201
