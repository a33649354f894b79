"""Locations and the tree (CONTRACT §19 LOC) with the EK/PATCH rules on them."""

import pytest

from tests.api.public.conftest import fields

LOCATION_KEYS = {
    "id",
    "external_key",
    "name",
    "description",
    "parent_id",
    "parent_external_key",
    "is_active",
    "valid_from",
    "valid_to",
    "created_at",
    "updated_at",
    "deleted_at",
    "tags",
}


async def build_tree(caller):
    """root → (b-2 → leaf, A-1), ids in creation order."""
    root = await caller.location(external_key="ROOT", name="Root")
    b = await caller.location(external_key="b-2", name="Aisle", parent_id=root["id"])
    a = await caller.location(
        external_key="A-1", name="Bay", parent_external_key="ROOT"
    )
    leaf = await caller.location(external_key="LEAF", name="Shelf", parent_id=b["id"])
    return root, b, a, leaf


@pytest.mark.gen_test
async def test_create_shape_and_parent_forms(caller):
    # LOC-1, LOC-3, LOC-5, CT-5
    r = await caller.post("/locations", {"name": "Root", "external_key": "R"})
    assert r.status == 201
    root = r.json()["data"]
    assert set(root) == LOCATION_KEYS
    assert r.headers["Location"] == f"/api/v1/locations/{root['id']}"
    assert root["parent_id"] is None and root["parent_external_key"] is None
    child = await caller.location(parent_external_key="R")
    assert (child["parent_id"], child["parent_external_key"]) == (root["id"], "R")


@pytest.mark.gen_test
async def test_create_parent_pair_and_fk(caller):
    # LOC-4
    r = await caller.post(
        "/locations", {"name": "x", "parent_id": 1, "parent_external_key": "X"}
    )
    assert fields(r) == [
        ("parent_id", "ambiguous_fields"),
        ("parent_external_key", "ambiguous_fields"),
    ]
    assert r.error["fields"][0]["message"] == (
        "parent_id and parent_external_key are mutually exclusive; supply exactly one"
    )
    r = await caller.post("/locations", {"name": "x", "parent_external_key": "NOPE"})
    assert r.error["fields"] == [
        {
            "field": "parent_external_key",
            "code": "fk_not_found",
            "message": 'parent_external_key "NOPE" not found',
        }
    ]
    gone = await caller.location()
    await caller.delete(f"/locations/{gone['id']}")
    r = await caller.post("/locations", {"name": "x", "parent_id": gone["id"]})
    assert r.error["fields"][0]["message"] == f"parent_id {gone['id']} not found"


@pytest.mark.gen_test
async def test_parent_may_be_outside_its_validity_window(caller):
    # LOC-4: validity window irrelevant for references
    old = await caller.location(external_key="OLD", valid_to="2001-01-01T00:00:00Z")
    child = await caller.location(parent_external_key="OLD")
    assert child["parent_id"] == old["id"]


@pytest.mark.gen_test
async def test_get_any_live_location_whatever_its_window(caller, seed):
    # LOC-2: readable by id outside its validity window; soft-deleted → 404;
    # parent_external_key names the parent even when it is expired or deleted
    past = await caller.location(external_key="PAST", valid_to="2001-01-01T00:00:00Z")
    later = await caller.location(
        external_key="LATER", valid_from="2999-01-01T00:00:00Z", parent_id=past["id"]
    )
    for made in (past, later):
        r = await caller.get(f"/locations/{made['id']}")
        assert r.status == 200, r
        assert r.json()["data"] == made
    assert later["parent_external_key"] == "PAST"

    # DELETE refuses a parent with live children (LOC-8): soft-delete it directly
    from trakrf_server.models import Location

    seed.write(
        lambda: (
            Location.update(deleted_at=Location.updated_at)
            .where(Location.id == past["id"])
            .execute()
        )
    )
    r = await caller.get(f"/locations/{past['id']}")
    assert r.status == 404 and r.error["detail"] == "Location not found"
    got = (await caller.get(f"/locations/{later['id']}")).json()["data"]
    assert (got["parent_id"], got["parent_external_key"]) == (past["id"], "PAST")

    assert (await caller.delete(f"/locations/{later['id']}")).status == 204
    r = await caller.get(f"/locations/{later['id']}")
    assert r.status == 404 and r.error["detail"] == "Location not found"


@pytest.mark.gen_test
async def test_patch_echo_with_both_parent_forms_is_accepted(caller):
    # LOC-6, PATCH-10, DEC-2
    root, b, _, leaf = await build_tree(caller)
    got = (await caller.get(f"/locations/{leaf['id']}")).json()["data"]
    r = await caller.patch(f"/locations/{leaf['id']}", got)
    assert r.status == 200 and r.json()["data"] == got
    r = await caller.patch(f"/locations/{leaf['id']}", dict(got, description="new"))
    assert r.json()["data"]["description"] == "new"


@pytest.mark.gen_test
async def test_patch_parent_reconciliation(caller):
    # LOC-6
    root, b, a, leaf = await build_tree(caller)
    path = f"/locations/{leaf['id']}"

    r = await caller.patch(
        path, {"parent_id": root["id"], "parent_external_key": "A-1"}
    )
    assert fields(r) == [
        ("parent_id", "ambiguous_fields"),
        ("parent_external_key", "ambiguous_fields"),
    ]
    assert r.error["fields"][0]["message"] == (
        "parent_id and parent_external_key both supplied and disagree; supply "
        "exactly one or supply consistent values"
    )

    r = await caller.patch(path, {"parent_id": root["id"], "parent_external_key": "NO"})
    assert fields(r) == [("parent_external_key", "fk_not_found")]

    r = await caller.patch(path, {"parent_id": None, "parent_external_key": "ROOT"})
    assert r.error["fields"][0]["message"] == (
        "parent_id and parent_external_key are mutually exclusive when one is null "
        "and the other is set; supply exactly one"
    )

    r = await caller.patch(path, {"parent_external_key": "A-1"})
    assert r.json()["data"]["parent_id"] == a["id"]
    r = await caller.patch(path, {"parent_id": b["id"]})
    assert r.json()["data"]["parent_external_key"] == "b-2"
    r = await caller.patch(path, {"parent_id": None, "parent_external_key": None})
    assert r.json()["data"]["parent_id"] is None
    await caller.patch(path, {"parent_id": b["id"]})
    r = await caller.patch(path, {"parent_external_key": None})
    assert r.json()["data"]["parent_external_key"] is None

    r = await caller.patch(path, {"parent_id": 2147483647})
    assert r.error["fields"] == [
        {
            "field": "parent_id",
            "code": "fk_not_found",
            "message": "parent_id 2147483647 not found",
        }
    ]


@pytest.mark.gen_test
async def test_every_cycle_is_rejected(caller):
    # LOC-7, DEC-16: self, child, grandchild
    root, b, _, leaf = await build_tree(caller)
    for new_parent in (root, b, leaf):
        r = await caller.patch(
            f"/locations/{root['id']}", {"parent_id": new_parent["id"]}
        )
        assert r.status == 409, r
        assert r.error["detail"] == "Request violates a domain invariant"
    r = await caller.patch(f"/locations/{b['id']}", {"parent_external_key": "LEAF"})
    assert r.status == 409
    # re-parenting elsewhere is fine
    r = await caller.patch(f"/locations/{leaf['id']}", {"parent_id": root["id"]})
    assert r.status == 200


@pytest.mark.gen_test
async def test_patch_location_read_only_and_unknown(caller):
    # PATCH-4 (location wording), PATCH-8, EK-8; OPENAPI-5: unknown keys are
    # refused though UpdateLocationRequest does not forbid them
    loc = await caller.location()
    r = await caller.patch(f"/locations/{loc['id']}", {"metadata": {}})
    assert fields(r) == [("metadata", "unknown_field")]
    r = await caller.patch(
        f"/locations/{loc['id']}", {"external_key": "X", "deleted_at": "x"}
    )
    assert [f["message"] for f in r.error["fields"]] == [
        "deleted_at is server-managed; use DELETE /api/v1/locations/{location_id} "
        "to soft-delete. Submit the resource's current deleted_at or omit the field",
        "external_key is immutable via PATCH; use POST "
        "/api/v1/locations/{location_id}/rename to change it",
    ]


@pytest.mark.gen_test
async def test_delete_guards_in_order(caller):
    # LOC-8, DEC-15: children first, then assets currently placed there
    root, b, _, leaf = await build_tree(caller)
    await caller.asset(location_id=b["id"])
    r = await caller.delete(f"/locations/{b['id']}")
    assert r.status == 409
    assert r.error["detail"] == (
        "location has descendant locations; reassign or remove them before deleting "
        "(cascade is not supported)"
    )
    assert (await caller.delete(f"/locations/{leaf['id']}")).status == 204
    r = await caller.delete(f"/locations/{b['id']}")
    assert r.error["detail"] == (
        "location has assets placed at it; move or remove them before deleting "
        "(cascade is not supported)"
    )


@pytest.mark.gen_test
async def test_deleted_children_and_assets_do_not_block(caller):
    # LOC-8
    parent = await caller.location()
    child = await caller.location(parent_id=parent["id"])
    asset = await caller.asset(
        location_id=parent["id"], valid_to="2001-01-01T00:00:00Z"
    )
    r = await caller.delete(f"/locations/{parent['id']}")
    assert r.status == 409  # window irrelevant: the expired asset still blocks
    await caller.delete(f"/locations/{child['id']}")
    await caller.delete(f"/assets/{asset['id']}")
    assert (await caller.delete(f"/locations/{parent['id']}")).status == 204
    r = await caller.delete(f"/locations/{parent['id']}")
    assert r.status == 404 and r.error["detail"] == "Location not found"


@pytest.mark.gen_test
async def test_asset_keeps_key_of_deleted_location(caller, seed):
    # ASSET-3: the key shows even when the location is soft-deleted
    place = await caller.location(external_key="OLDPLACE")
    asset = await caller.asset(location_id=place["id"])
    from trakrf_server.models import Location

    seed.write(
        lambda: (
            Location.update(deleted_at=Location.created_at)
            .where(Location.id == place["id"])
            .execute()
        )
    )
    got = (await caller.get(f"/assets/{asset['id']}")).json()["data"]
    assert got["location_external_key"] == "OLDPLACE"


@pytest.mark.gen_test
async def test_tree_reads(caller):
    # LOC-9, DEC-5
    root, b, a, leaf = await build_tree(caller)
    r = await caller.get(f"/locations/{leaf['id']}/ancestors")
    assert [x["external_key"] for x in r.json()["data"]] == ["ROOT", "b-2"]
    r = await caller.get(f"/locations/{root['id']}/children")
    assert [x["name"] for x in r.json()["data"]] == ["Aisle", "Bay"]
    r = await caller.get(f"/locations/{root['id']}/descendants")
    body = r.json()
    assert [x["external_key"] for x in body["data"]] == ["A-1", "b-2", "LEAF"]
    assert body["total_count"] == 3
    r = await caller.get(f"/locations/{root['id']}/descendants?limit=1&offset=1&sort=")
    body = r.json()
    assert [x["external_key"] for x in body["data"]] == ["b-2"]
    assert (body["limit"], body["offset"], body["total_count"]) == (1, 1, 3)
    for path in (f"{root['id']}/ancestors", f"{leaf['id']}/children"):
        body = (await caller.get(f"/locations/{path}")).json()
        assert body["data"] == [] and body["total_count"] == 0


@pytest.mark.gen_test
async def test_tree_query_checked_after_404(caller):
    # LOC-9, PAGE-13, ORDER-1 step 11
    r = await caller.get("/locations/999/children?sort=name&bogus=1")
    assert r.status == 404 and r.error["detail"] == "Location not found"
    loc = await caller.location()
    r = await caller.get(f"/locations/{loc['id']}/children?sort=name")
    assert r.error["fields"] == [
        {
            "field": "sort",
            "code": "invalid_value",
            "message": "sort parameter not supported on this endpoint",
        }
    ]
    r = await caller.get(f"/locations/{loc['id']}/ancestors?q=x")
    assert fields(r) == [("q", "invalid_value")]
    r = await caller.get(f"/locations/{loc['id']}/descendants?limit=0")
    assert fields(r) == [("limit", "too_small")]


@pytest.mark.gen_test
async def test_rename_counts_live_descendants(caller):
    # EK-7: all depths, window irrelevant, children read back the new key
    root, b, a, leaf = await build_tree(caller)
    await caller.location(parent_id=leaf["id"], valid_to="2001-01-01T00:00:00Z")
    gone = await caller.location(parent_id=a["id"])
    await caller.delete(f"/locations/{gone['id']}")
    r = await caller.post(f"/locations/{root['id']}/rename", {"external_key": "TOP"})
    assert r.status == 200
    assert r.json()["descendant_count_affected"] == 4
    assert r.json()["data"]["external_key"] == "TOP"
    child = (await caller.get(f"/locations/{b['id']}")).json()["data"]
    assert child["parent_external_key"] == "TOP"
    r = await caller.post(f"/locations/{root['id']}/rename", {"external_key": "TOP"})
    assert r.json()["descendant_count_affected"] == 0
    r = await caller.post(f"/locations/{a['id']}/rename", {"external_key": "TOP"})
    assert r.status == 409
    assert r.error["detail"] == "location with external_key TOP already exists"


@pytest.mark.gen_test
async def test_location_list_parent_filters(caller):
    # LOC-10
    root, b, a, leaf = await build_tree(caller)
    r = await caller.get(f"/locations?parent_id={root['id']}&parent_id={b['id']}")
    assert [x["external_key"] for x in r.json()["data"]] == ["A-1", "LEAF", "b-2"]
    r = await caller.get("/locations?parent_external_key=b-2")
    assert [x["id"] for x in r.json()["data"]] == [leaf["id"]]
    r = await caller.get("/locations?external_key=ROOT&external_key=LEAF")
    assert r.json()["total_count"] == 2


@pytest.mark.gen_test
async def test_patch_location_integers_sent_as_floats(caller):
    # VAL-3: 1.0 is not a JSON integer. A read-only id is then a mismatch
    # (PATCH-5); the writable parent_id is wrong-type (VAL-2), alone or paired.
    root = await caller.location(external_key="ROOT")
    loc = await caller.location(parent_id=root["id"])
    r = await caller.patch(f"/locations/{loc['id']}", {"id": float(loc["id"])})
    assert fields(r) == [("id", "read_only")]
    wrong = 'Body field "parent_id" could not be decoded as the expected type'
    for body in (
        {"parent_id": float(root["id"])},
        {"parent_id": float(root["id"]), "parent_external_key": "ROOT"},
    ):
        r = await caller.patch(f"/locations/{loc['id']}", body)
        assert r.status == 400 and r.error["detail"] == wrong, body
    r = await caller.patch(f"/locations/{loc['id']}", {"id": loc["id"]})
    assert r.status == 200, r
