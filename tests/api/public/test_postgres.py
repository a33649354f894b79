"""The resource SQL on PostgreSQL: a round trip per resource.

Each test runs against a fresh database (the shared ``postgres_url`` fixture),
so parallel runs never collide.
"""

from __future__ import annotations

import pytest

from tests.api.public.conftest import fields

pytestmark = pytest.mark.postgres


@pytest.fixture
def overrides(postgres_url):
    return {"database.url": postgres_url}


@pytest.mark.gen_test
async def test_asset_round_trip_on_postgres(caller, ctx):
    assert type(ctx.db.db).__name__ == "PostgresqlDatabase"
    place = await caller.location(external_key="PG-WH", tags=[{"value": "0042"}])
    a = await caller.asset(
        name="Pallet 100%",
        location_external_key="PG-WH",
        metadata={"k": [1, 2]},
        tags=[{"value": "E1"}, {"tag_type": "ble", "value": "B1"}],
    )
    assert a["external_key"] == "ASSET-0001"
    await caller.asset(name="b", external_key="b-1")
    await caller.asset(name="B", external_key="B-2")

    # PAGE-10 literal q and tag values; PAGE-14 code-point order (COLLATE "C")
    r = await caller.get("/assets?q=0%25")
    assert [x["id"] for x in r.json()["data"]] == [a["id"]]
    r = await caller.get("/assets?q=b1")
    assert [x["id"] for x in r.json()["data"]] == [a["id"]]
    r = await caller.get("/assets?sort=external_key")
    assert [x["external_key"] for x in r.json()["data"]] == ["ASSET-0001", "B-2", "b-1"]
    r = await caller.get(f"/assets?location_id={place['id']}&limit=1")
    assert r.json()["total_count"] == 1

    r = await caller.patch(f"/assets/{a['id']}", {"name": "Renamed", "metadata": {}})
    assert r.json()["data"]["metadata"] == {}
    got = (await caller.get(f"/assets/{a['id']}")).json()["data"]
    assert (await caller.patch(f"/assets/{a['id']}", got)).json()["data"] == got

    r = await caller.delete(f"/locations/{place['id']}")
    assert r.status == 409
    assert (await caller.delete(f"/assets/{a['id']}")).status == 204
    assert (await caller.get(f"/assets/{a['id']}")).status == 404
    again = await caller.asset(external_key="ASSET-0001", tags=[{"value": "E1"}])
    assert again["tags"][0]["value"] == "E1"


@pytest.mark.gen_test
async def test_location_tree_on_postgres(caller):
    root = await caller.location(external_key="R", name="Root")
    child = await caller.location(parent_id=root["id"], name="b")
    leaf = await caller.location(parent_external_key=child["external_key"])
    r = await caller.get(f"/locations/{root['id']}/descendants")
    assert [x["id"] for x in r.json()["data"]] == [child["id"], leaf["id"]]
    r = await caller.patch(f"/locations/{root['id']}", {"parent_id": leaf["id"]})
    assert r.status == 409
    r = await caller.post(f"/locations/{root['id']}/rename", {"external_key": "TOP"})
    assert r.json()["descendant_count_affected"] == 2
    r = await caller.post("/locations", {"name": "x", "external_key": "TOP"})
    assert r.status == 409
    r = await caller.post("/locations", {"name": "x", "parent_external_key": "R"})
    assert fields(r) == [("parent_external_key", "fk_not_found")]
