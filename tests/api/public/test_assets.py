"""Assets (CONTRACT §18) with EK, PATCH and TAG rules that act on them."""

import pytest

from tests.api.public.conftest import fields

ASSET_KEYS = {
    "id",
    "external_key",
    "name",
    "description",
    "location_id",
    "location_external_key",
    "metadata",
    "is_active",
    "valid_from",
    "valid_to",
    "created_at",
    "updated_at",
    "deleted_at",
    "tags",
}


@pytest.mark.gen_test
async def test_create_returns_201_location_and_full_view(caller):
    # ASSET-1, ASSET-7, CT-5, TAG-1 (tags in request order), DATE-1
    r = await caller.post(
        "/assets",
        {
            "name": "Forklift",
            "external_key": "FL-1",
            "tags": [
                {"tag_type": "barcode", "value": "B2"},
                {"value": "E280"},
                {"tag_type": "ble", "value": "A1"},
            ],
        },
    )
    assert r.status == 201, r
    data = r.json()["data"]
    assert set(data) == ASSET_KEYS
    assert r.headers["Location"] == f"/api/v1/assets/{data['id']}"
    assert data["metadata"] == {} and data["is_active"] is True
    assert data["description"] is None and data["valid_to"] is None
    assert data["location_id"] is None and data["location_external_key"] is None
    assert data["created_at"] == data["updated_at"] == data["valid_from"]
    assert data["created_at"].endswith("Z") and data["created_at"][-5] == "."
    assert [(t["tag_type"], t["value"]) for t in data["tags"]] == [
        ("barcode", "B2"),
        ("rfid", "E280"),
        ("ble", "A1"),
    ]
    got = await caller.get(f"/assets/{data['id']}")
    assert got.json()["data"] == data


@pytest.mark.gen_test
async def test_auto_mint_numbering(caller):
    # EK-4: max live ASSET-<digits> + 1, zero-padded to 4; only omission mints
    assert (await caller.asset())["external_key"] == "ASSET-0001"
    assert (await caller.asset())["external_key"] == "ASSET-0002"
    await caller.asset(external_key="ASSET-0099")
    await caller.asset(external_key="asset-500")  # not the exact form
    await caller.asset(external_key="ASSET-12x")
    assert (await caller.asset())["external_key"] == "ASSET-0100"
    big = await caller.asset(external_key="ASSET-9999")
    assert (await caller.asset())["external_key"] == "ASSET-10000"

    # deleted keys do not count
    latest = (await caller.get("/assets?external_key=ASSET-10000")).json()["data"][0]
    await caller.delete(f"/assets/{latest['id']}")
    await caller.delete(f"/assets/{big['id']}")
    assert (await caller.asset())["external_key"] == "ASSET-0101"


@pytest.mark.gen_test
async def test_auto_mint_never_exceeds_the_key_length(caller):
    # EK-1 bounds every key at 255 characters, EK-4's minted ones too
    await caller.asset(external_key="ASSET-" + "9" * 249)
    r = await caller.post("/assets", {"name": "x"})
    assert r.status == 409, r
    assert "supply external_key" in r.error["detail"]
    created = await caller.asset(external_key="CHOSEN-1")
    assert created["external_key"] == "CHOSEN-1"


@pytest.mark.gen_test
async def test_locations_mint_their_own_sequence(caller):
    # EK-4 for LOC-NNNN; assets and locations have separate namespaces (EK-3)
    await caller.asset(external_key="LOC-0005")
    assert (await caller.location())["external_key"] == "LOC-0001"
    assert (await caller.location())["external_key"] == "LOC-0002"


@pytest.mark.gen_test
async def test_key_collision_and_reuse_after_delete(caller):
    # EK-3, EK-6, ASSET-9, DEC-13: deleting frees the key and the tags at once
    first = await caller.asset(
        external_key="K-1", tags=[{"tag_type": "rfid", "value": "T1"}]
    )
    r = await caller.post("/assets", {"name": "x", "external_key": "K-1"})
    assert r.status == 409
    assert r.error["detail"] == "asset with external_key K-1 already exists"
    r = await caller.post("/assets", {"name": "x", "tags": [{"value": "T1"}]})
    assert r.status == 409 and r.error["detail"] == "one or more tags already exist"

    assert (await caller.delete(f"/assets/{first['id']}")).status == 204
    again = await caller.asset(external_key="K-1", tags=[{"value": "T1"}])
    assert again["id"] != first["id"]
    assert again["tags"][0]["value"] == "T1"


@pytest.mark.gen_test
async def test_case_sensitive_keys(caller):
    # EK-2
    await caller.asset(external_key="WH-A")
    b = await caller.asset(external_key="wh-a")
    assert b["external_key"] == "wh-a"


@pytest.mark.gen_test
async def test_tags_conflict_creates_nothing(caller):
    # ASSET-6: duplicate inside the request → 409, no asset row
    r = await caller.post(
        "/assets",
        {"name": "x", "external_key": "DUP", "tags": [{"value": "A"}, {"value": "A"}]},
    )
    assert r.status == 409 and r.error["detail"] == "one or more tags already exist"
    listed = await caller.get("/assets?external_key=DUP")
    assert listed.json()["total_count"] == 0


@pytest.mark.gen_test
async def test_get_and_delete_404(caller):
    # ASSET-8, ASSET-9, ERR-8
    a = await caller.asset()
    assert (await caller.delete(f"/assets/{a['id']}")).status == 204
    for r in (
        await caller.get(f"/assets/{a['id']}"),
        await caller.delete(f"/assets/{a['id']}"),
        await caller.patch(f"/assets/{a['id']}", {"name": "y"}),
    ):
        assert r.status == 404 and r.error["detail"] == "Asset not found"


@pytest.mark.gen_test
async def test_get_ignores_validity_window(caller):
    # ASSET-8: a live asset whose window has closed is still readable by id
    a = await caller.asset(valid_to="2001-01-01T00:00:00Z")
    assert (await caller.get(f"/assets/{a['id']}")).status == 200
    assert (await caller.get("/assets")).json()["total_count"] == 0


@pytest.mark.gen_test
async def test_other_org_rows_do_not_exist(caller, other):
    # SURF-4: 404 on paths, fk_not_found on body refs, no match on filters
    mine = await caller.asset(external_key="SAME")
    place = await caller.location(external_key="PL")
    assert (await other.get(f"/assets/{mine['id']}")).status == 404
    assert (await other.delete(f"/assets/{mine['id']}")).status == 404
    r = await other.post("/assets", {"name": "x", "location_id": place["id"]})
    assert fields(r) == [("location_id", "fk_not_found")]
    assert r.error["fields"][0]["message"] == f"location_id {place['id']} not found"
    r = await other.post("/assets", {"name": "x", "location_external_key": "PL"})
    assert r.error["fields"][0]["message"] == 'location_external_key "PL" not found'
    assert (await other.get("/assets?external_key=SAME")).json()["data"] == []
    # the same key in another org is no conflict
    assert (await other.asset(external_key="SAME"))["external_key"] == "SAME"


@pytest.mark.gen_test
async def test_create_placement_by_id_or_key_sets_current_location(caller):
    # ASSET-3, ASSET-5: placement given at creation is the current location
    place = await caller.location(external_key="DOCK")
    a = await caller.asset(location_external_key="DOCK")
    assert (a["location_id"], a["location_external_key"]) == (place["id"], "DOCK")
    b = await caller.asset(location_id=place["id"])
    assert b["location_external_key"] == "DOCK"
    c = await caller.asset(location_id=None)
    assert c["location_id"] is None


@pytest.mark.gen_test
async def test_create_location_pair_is_ambiguous_even_with_nulls(caller):
    # ASSET-5
    r = await caller.post(
        "/assets", {"name": "x", "location_id": None, "location_external_key": None}
    )
    assert r.status == 400
    assert fields(r) == [
        ("location_id", "ambiguous_fields"),
        ("location_external_key", "ambiguous_fields"),
    ]
    assert r.error["fields"][0]["message"] == (
        "location_id and location_external_key are mutually exclusive; "
        "supply exactly one"
    )


@pytest.mark.gen_test
async def test_patch_echo_of_get_is_accepted_unchanged(caller):
    # PATCH-10, PATCH-5, PATCH-7: the verbatim GET body is a no-op
    place = await caller.location(external_key="P1")
    a = await caller.asset(
        location_id=place["id"],
        metadata={"a": [1, {"b": None}]},
        description="d",
        valid_to="2099-01-01T00:00:00.123456Z",
        tags=[{"value": "X1"}, {"tag_type": "ble", "value": "X2"}],
    )
    got = (await caller.get(f"/assets/{a['id']}")).json()["data"]
    r = await caller.patch(f"/assets/{a['id']}", got)
    assert r.status == 200, r
    assert r.json()["data"] == got

    # with an edit to a writable field it applies the edit only
    edited = dict(got, name="Renamed")
    r = await caller.patch(f"/assets/{a['id']}", edited)
    assert r.status == 200, r
    assert r.json()["data"]["name"] == "Renamed"
    assert r.json()["data"]["updated_at"] >= got["updated_at"]


@pytest.mark.gen_test
async def test_patch_timestamps_match_any_spelling(caller):
    # PATCH-5: same instant at ms precision in another offset matches
    a = await caller.asset(valid_from="2026-04-24T20:30:00.5+05:00")
    assert a["valid_from"] == "2026-04-24T15:30:00.500Z"
    body = {
        "created_at": a["created_at"].replace("Z", "+00:00"),
        "valid_from": "2026-04-24T15:30:00.500999Z",
    }
    r = await caller.patch(f"/assets/{a['id']}", body)
    assert r.status == 200 and r.json()["data"]["updated_at"] == a["updated_at"]


@pytest.mark.gen_test
async def test_patch_read_only_violations_together_in_order(caller):
    # PATCH-4, PATCH-6: exact messages, fixed order; EK-8: external_key is refused
    a = await caller.asset()
    body = {
        "location_external_key": "X",
        "location_id": 7,
        "external_key": "OTHER",
        "tags": [],
        "deleted_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "created_at": "2020-01-01T00:00:00Z",
        "id": a["id"] + 1,
    }
    # an empty tags list matches only while the asset has no tags
    await caller.post(f"/assets/{a['id']}/tags", {"value": "T"})
    r = await caller.patch(f"/assets/{a['id']}", body)
    assert r.status == 400
    assert [f["field"] for f in r.error["fields"]] == [
        "id",
        "created_at",
        "updated_at",
        "deleted_at",
        "tags",
        "external_key",
        "location_id",
        "location_external_key",
    ]
    assert {f["code"] for f in r.error["fields"]} == {"read_only"}
    messages = {f["field"]: f["message"] for f in r.error["fields"]}
    assert messages["id"] == (
        "id is server-assigned and immutable; submit the resource's current id "
        "or omit the field"
    )
    assert messages["deleted_at"] == (
        "deleted_at is server-managed; use DELETE /api/v1/assets/{asset_id} to "
        "soft-delete. Submit the resource's current deleted_at or omit the field"
    )
    assert messages["tags"] == (
        "tags are managed via POST /api/v1/assets/{asset_id}/tags and "
        "DELETE /api/v1/assets/{asset_id}/tags/{tag_id}"
    )
    assert messages["external_key"] == (
        "external_key is immutable via PATCH; use POST "
        "/api/v1/assets/{asset_id}/rename to change it"
    )
    assert messages["location_id"] == (
        "asset location is derived from scan events and not directly settable; "
        "record a scan event to update asset location"
    )
    assert r.error["detail"].endswith("(and 7 more validation errors)")


@pytest.mark.gen_test
async def test_patch_read_only_type_mismatch_and_null_key(caller):
    # PATCH-5: any other JSON type is a mismatch; null never matches a key
    a = await caller.asset()
    r = await caller.patch(f"/assets/{a['id']}", {"id": str(a["id"])})
    assert fields(r) == [("id", "read_only")]
    r = await caller.patch(f"/assets/{a['id']}", {"external_key": None})
    assert fields(r) == [("external_key", "read_only")]
    r = await caller.patch(f"/assets/{a['id']}", {"id": True})
    assert fields(r) == [("id", "read_only")]
    # ASSET-11: null location matches the null current location
    r = await caller.patch(
        f"/assets/{a['id']}", {"location_id": None, "location_external_key": None}
    )
    assert r.status == 200


@pytest.mark.gen_test
async def test_patch_metadata_replaced_whole_and_description_cleared(caller):
    # PATCH-1, PATCH-3, DATE-8
    a = await caller.asset(metadata={"a": 1, "b": {"c": 2}}, description="old")
    r = await caller.patch(
        f"/assets/{a['id']}", {"metadata": {"b": {"d": 3}}, "description": None}
    )
    data = r.json()["data"]
    assert data["metadata"] == {"b": {"d": 3}}
    assert data["description"] is None
    assert data["updated_at"] >= a["updated_at"]
    r = await caller.patch(f"/assets/{a['id']}", {"metadata": {}})
    assert r.json()["data"]["metadata"] == {}
    r = await caller.patch(f"/assets/{a['id']}", {"metadata": [1]})
    assert r.error["fields"][0] == {
        "field": "metadata",
        "code": "invalid_value",
        "message": "metadata must be a JSON object",
    }


@pytest.mark.gen_test
async def test_patch_no_op_keeps_updated_at(caller, io_loop):
    # PATCH-7, DATE-8: equal values do not advance updated_at
    import asyncio

    a = await caller.asset(name="Same", metadata={"x": 1})
    await asyncio.sleep(0.01)
    r = await caller.patch(
        f"/assets/{a['id']}", {"name": "Same", "metadata": {"x": 1}, "is_active": True}
    )
    assert r.json()["data"]["updated_at"] == a["updated_at"]
    r = await caller.patch(f"/assets/{a['id']}", {"metadata": {"x": True}})
    assert r.json()["data"]["updated_at"] > a["updated_at"]


@pytest.mark.gen_test
async def test_patch_null_violations_together(caller):
    # VAL-7 (PATCH wording), PATCH-9: nulls before read-only and field rules
    a = await caller.asset()
    r = await caller.patch(
        f"/assets/{a['id']}",
        {
            "name": None,
            "valid_from": None,
            "is_active": None,
            "metadata": None,
            "id": 0,
        },
    )
    assert fields(r) == [
        ("name", "invalid_value"),
        ("valid_from", "invalid_value"),
        ("is_active", "invalid_value"),
        ("metadata", "invalid_value"),
    ]
    assert r.error["fields"][0]["message"] == (
        "name cannot be null; omit the field to leave unchanged, or provide a value"
    )


@pytest.mark.gen_test
async def test_patch_unknown_keys_first(caller):
    # PATCH-8, VAL-8; OPENAPI-5: unknown keys are refused though
    # UpdateAssetRequest does not forbid them
    a = await caller.asset()
    r = await caller.patch(
        f"/assets/{a['id']}", {"tree_path": "x", "depth": 1, "name": None}
    )
    assert fields(r) == [("depth", "unknown_field"), ("tree_path", "unknown_field")]
    assert r.error["fields"][0]["message"] == 'unknown field "depth" in request body'


@pytest.mark.gen_test
async def test_rename(caller):
    # EK-7
    a = await caller.asset(external_key="OLD")
    await caller.asset(external_key="TAKEN")
    r = await caller.post(f"/assets/{a['id']}/rename", {"external_key": "OLD"})
    assert r.status == 200
    assert r.json() == {"data": a, "descendant_count_affected": 0}

    r = await caller.post(f"/assets/{a['id']}/rename", {"external_key": "TAKEN"})
    assert r.status == 409
    assert r.error["detail"] == "asset with external_key TAKEN already exists"

    r = await caller.post(f"/assets/{a['id']}/rename", {"external_key": "NEW"})
    assert r.status == 200
    body = r.json()
    assert set(body) == {"data", "descendant_count_affected"}
    assert body["data"]["external_key"] == "NEW"
    assert body["descendant_count_affected"] == 0

    for sent in ({}, {"external_key": None}):
        r = await caller.post(f"/assets/{a['id']}/rename", sent)
        assert r.error["fields"] == [
            {
                "field": "external_key",
                "code": "required",
                "message": "external_key is required",
            }
        ]
    r = await caller.post(f"/assets/{a['id']}/rename", {"external_key": "a b"})
    assert fields(r) == [("external_key", "invalid_value")]
    r = await caller.post(f"/assets/{a['id']}/rename", {"external_key": "N", "x": 1})
    assert fields(r) == [("x", "unknown_field")]
    r = await caller.post("/assets/999999/rename", {"external_key": "a b"})
    assert r.status == 404  # checked before the body


@pytest.mark.gen_test
async def test_asset_list_location_filters_use_current_location(caller):
    # ASSET-10, DEC-15: filters follow Asset.location
    p1 = await caller.location(external_key="P1")
    p2 = await caller.location(external_key="P2")
    a1 = await caller.asset(location_id=p1["id"])
    a2 = await caller.asset(location_id=p2["id"])
    await caller.asset()
    r = await caller.get(f"/assets?location_id={p1['id']}&location_id={p2['id']}")
    assert [a["id"] for a in r.json()["data"]] == [a1["id"], a2["id"]]
    r = await caller.get("/assets?location_external_key=P2")
    assert [a["id"] for a in r.json()["data"]] == [a2["id"]]
    r = await caller.get("/assets?location_external_key=P1,P2")
    assert fields(r) == [("location_external_key", "invalid_value")]


@pytest.mark.gen_test
async def test_patch_read_only_integer_sent_as_float_is_a_mismatch(caller):
    # VAL-3: 3.0 is not a JSON integer, so it is "another type" under PATCH-5
    loc = await caller.location()
    a = await caller.asset(location_id=loc["id"], tags=[{"value": "E1"}])
    r = await caller.patch(f"/assets/{a['id']}", {"id": float(a["id"])})
    assert fields(r) == [("id", "read_only")]
    r = await caller.patch(f"/assets/{a['id']}", {"location_id": float(loc["id"])})
    assert fields(r) == [("location_id", "read_only")]
    tags = [dict(t, id=float(t["id"])) for t in a["tags"]]
    r = await caller.patch(f"/assets/{a['id']}", {"tags": tags})
    assert fields(r) == [("tags", "read_only")]
    # the same values as JSON integers still match
    echo = {"id": a["id"], "location_id": loc["id"], "tags": a["tags"]}
    r = await caller.patch(f"/assets/{a['id']}", echo)
    assert r.status == 200, r
    # a writable integer sent as a float is wrong-type (VAL-2)
    r = await caller.post("/assets", {"name": "X", "location_id": float(loc["id"])})
    assert r.status == 400
    assert r.error["detail"] == (
        'Body field "location_id" could not be decoded as the expected type'
    )
