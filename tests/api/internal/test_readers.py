"""Fixed-reader ingest (SCAN-3): readers, antennas, pushed batches, unknown tags."""

import asyncio
from datetime import timedelta

import pytest

from tests.conftest import held_writer
from tests.factories import Factory, member_session
from trakrf_server import timeutil
from trakrf_server.models import Asset, ScanEvent

READERS = "/api/v1/readers"


@pytest.fixture
def world(seed):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    dock = f.location(org, "DOCK")
    bay = f.location(org, "BAY")
    pump = f.asset(org, "PUMP")
    cart = f.asset(org, "CART")
    f.tag(org, "E200AA", asset=pump)
    f.tag(org, "E200BB", asset=cart)
    f.tag(org, "E200CC", location=bay)
    return {
        "f": f,
        "seed": seed,
        "org": org,
        "dock": dock,
        "bay": bay,
        "pump": pump,
        "cart": cart,
        "admin": tenant.session,
        "key": seed.key(org, ["scans:write"]),
    }


async def register(api, world, antennas=None):
    r = await api.post(READERS, {"name": "Dock door"}, token=world["admin"])
    assert r.status == 201, r
    reader = r.json()["data"]["id"]
    for antenna, location in (antennas or {1: world["dock"]}).items():
        r = await api.put(
            f"{READERS}/{reader}/antennas/{antenna}",
            {"location_id": location},
            token=world["admin"],
        )
        assert r.status == 200, r
    return reader


def read(value, at, antenna=1, **extra):
    return {"epc": value, "antenna": antenna, "seen_at": at, **extra}


async def push(api, world, reader, batch_id, reads):
    return await api.post(
        f"{READERS}/{reader}/reads",
        {"batch_id": batch_id, "reads": reads},
        token=world["key"],
    )


def events(world):
    return world["seed"].write(
        lambda: list(
            ScanEvent.select()
            .where(ScanEvent.org == world["org"])
            .order_by(ScanEvent.id)
        )
    )


@pytest.mark.gen_test
async def test_register_and_map(api, world):
    reader = await register(api, world, {1: world["dock"], 2: world["bay"]})
    r = await api.get(f"{READERS}/{reader}", token=world["admin"])
    data = r.json()["data"]
    assert data["name"] == "Dock door"
    assert [(a["antenna"], a["location_external_key"]) for a in data["antennas"]] == [
        (1, "DOCK"),
        (2, "BAY"),
    ]
    r = await api.get(READERS, token=world["admin"])
    assert r.json()["total_count"] == 1
    # remap by external key; unmap
    r = await api.put(
        f"{READERS}/{reader}/antennas/2",
        {"location_external_key": "DOCK"},
        token=world["admin"],
    )
    assert r.json()["data"]["antennas"][1]["location_id"] == world["dock"]
    r = await api.delete(f"{READERS}/{reader}/antennas/2", token=world["admin"])
    assert r.status == 204
    r = await api.delete(f"{READERS}/{reader}/antennas/2", token=world["admin"])
    assert r.status == 404


@pytest.mark.gen_test
async def test_map_errors(api, world):
    reader = await register(api, world)
    url = f"{READERS}/{reader}/antennas/3"
    r = await api.put(url, {"location_id": 99999}, token=world["admin"])
    assert r.error["fields"][0] == {
        "field": "location_id",
        "code": "fk_not_found",
        "message": "location_id 99999 not found",
    }
    r = await api.put(
        url,
        {"location_id": world["dock"], "location_external_key": "DOCK"},
        token=world["admin"],
    )
    assert [f["code"] for f in r.error["fields"]] == ["ambiguous_fields"] * 2
    r = await api.put(url, {}, token=world["admin"])
    assert r.error["fields"][0]["code"] == "required"
    r = await api.put(url, {"location_id": "5"}, token=world["admin"])
    assert r.error["type"] == "bad_request"
    r = await api.put(f"{READERS}/{reader}/antennas/0", {}, token=world["admin"])
    assert r.error["fields"][0]["field"] == "antenna"


@pytest.mark.gen_test
async def test_managing_needs_manager(api, world, seed):
    # INT-10/INT-11: operators cannot register readers
    operator = member_session(seed, world["org"], "operator")
    r = await api.post(READERS, {"name": "x"}, token=operator)
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: manager"
    manager = member_session(seed, world["org"], "manager")
    r = await api.post(READERS, {"name": "x"}, token=manager)
    assert r.status == 201


@pytest.mark.gen_test
async def test_push_records_and_moves_assets(api, world):
    # SCAN-3, ASSET-3: a read resolves tag → asset and antenna → location
    reader = await register(api, world)
    r = await push(
        api,
        world,
        reader,
        "b-1",
        [
            read("E200AA", "2026-04-01T10:00:00Z", rssi=-55.5),
            {
                "value": "00E200BB",
                "tag_type": "rfid",
                "antenna": 1,
                "seen_at": "2026-04-01T10:00:01+00:00",
            },
        ],
    )
    assert r.status == 200, r
    assert r.json()["data"] == {
        "batch_id": "b-1",
        "received": 2,
        "recorded": 2,
        "duplicates": 0,
        "unknown_tags": [],
        "unmapped_antennas": [],
        "location_tag_reads": 0,
    }
    pump = world["f"].get(Asset, world["pump"])
    assert pump.location_id == world["dock"]
    assert [e.source for e in events(world)] == ["reader", "reader"]


@pytest.mark.gen_test
async def test_batch_posted_twice_records_once(api, world):
    # idempotency: same batch_id for the same reader → original answer, no new rows
    reader = await register(api, world)
    reads = [
        read("E200AA", "2026-04-01T10:00:00Z"),
        read("NEW1", "2026-04-01T10:00:00Z"),
    ]
    first = await push(api, world, reader, "batch-42", reads)
    again = await push(api, world, reader, "batch-42", reads)
    assert again.status == 200
    assert again.json() == first.json()
    assert len(events(world)) == 1
    r = await api.get("/api/v1/unknown-tags", token=world["admin"])
    assert r.json()["data"][0]["read_count"] == 1


@pytest.mark.gen_test
async def test_duplicate_reads_collapse(api, world):
    # the same asset, location and instant is one event, in a batch or across
    reader = await register(api, world)
    at = "2026-04-01T10:00:00Z"
    r = await push(api, world, reader, "a", [read("E200AA", at), read("0E200AA", at)])
    assert r.json()["data"]["recorded"] == 1 and r.json()["data"]["duplicates"] == 1
    r = await push(api, world, reader, "b", [read("E200AA", at)])
    assert r.json()["data"]["recorded"] == 0 and r.json()["data"]["duplicates"] == 1
    assert len(events(world)) == 1


@pytest.mark.gen_test
async def test_unknown_tag_reported_and_listed(api, world):
    # unknown tags are counted, returned and listed until registered
    reader = await register(api, world)
    r = await push(
        api,
        world,
        reader,
        "u-1",
        [
            read("000FFEE", "2026-04-01T10:00:00Z"),
            read("FFEE", "2026-04-01T10:05:00Z", antenna=1),
            read("E200CC", "2026-04-01T10:05:00Z"),
        ],
    )
    data = r.json()["data"]
    assert data["recorded"] == 0
    assert data["unknown_tags"] == [
        {"tag_type": "rfid", "value": "000FFEE", "reads": 2}
    ]
    assert data["location_tag_reads"] == 1
    await push(api, world, reader, "u-2", [read("FFEE", "2026-04-02T00:00:00Z")])
    # an older read moves first_seen_at back and leaves the last_* columns
    older = read("FFEE", "2026-03-31T00:00:00Z", antenna=2)
    await push(api, world, reader, "u-2b", [older])

    r = await api.get("/api/v1/unknown-tags", token=world["admin"])
    body = r.json()
    assert body["total_count"] == 1
    row = body["data"][0]
    assert row["value"] == "000FFEE" and row["read_count"] == 4
    assert row["first_seen_at"] == "2026-03-31T00:00:00.000Z"
    assert row["last_seen_at"] == "2026-04-02T00:00:00.000Z"
    assert row["last_reader_id"] == reader and row["last_antenna"] == 1

    # once registered it drops off the list and later reads record events
    world["f"].tag(world["org"], "FFEE", asset=world["cart"])
    r = await api.get("/api/v1/unknown-tags", token=world["admin"])
    assert r.json()["total_count"] == 0
    r = await push(api, world, reader, "u-3", [read("0FFEE", "2026-04-03T00:00:00Z")])
    assert r.json()["data"]["recorded"] == 1


@pytest.mark.gen_test
async def test_remapped_antenna_moves_assets_on_next_read(api, world):
    reader = await register(api, world)
    await push(api, world, reader, "1", [read("E200AA", "2026-04-01T10:00:00Z")])
    assert world["f"].get(Asset, world["pump"]).location_id == world["dock"]
    r = await api.put(
        f"{READERS}/{reader}/antennas/1",
        {"location_id": world["bay"]},
        token=world["admin"],
    )
    assert r.status == 200
    await push(api, world, reader, "2", [read("E200AA", "2026-04-01T10:01:00Z")])
    assert world["f"].get(Asset, world["pump"]).location_id == world["bay"]


@pytest.mark.gen_test
async def test_older_backfilled_read_does_not_move_asset(api, world):
    # ASSET-3: latest by observed time
    reader = await register(api, world, {1: world["dock"], 2: world["bay"]})
    await push(api, world, reader, "1", [read("E200AA", "2026-04-02T00:00:00Z")])
    r = await push(
        api, world, reader, "2", [read("E200AA", "2026-04-01T00:00:00Z", antenna=2)]
    )
    assert r.json()["data"]["recorded"] == 1
    pump = world["f"].get(Asset, world["pump"])
    assert pump.location_id == world["dock"]
    assert pump.last_seen_at.isoformat().startswith("2026-04-02")


@pytest.mark.gen_test
async def test_unmapped_antenna_reported(api, world):
    reader = await register(api, world)
    r = await push(api, world, reader, "x", [read("E200AA", "2026-04-01T00:00:00Z", 4)])
    assert r.json()["data"]["unmapped_antennas"] == [{"antenna": 4, "reads": 1}]
    assert r.json()["data"]["recorded"] == 0


@pytest.mark.gen_test
async def test_push_validation(api, world):
    # strict body: VAL-8 unknown keys first, VAL-2 types, DATE-2, TAG-2
    reader = await register(api, world)
    url = f"{READERS}/{reader}/reads"
    r = await api.post(
        url, {"batch_id": "a", "reads": [], "extra": 1}, token=world["key"]
    )
    assert r.error["fields"] == [
        {
            "field": "extra",
            "code": "unknown_field",
            "message": 'unknown field "extra" in request body',
        }
    ]
    r = await api.post(url, {"batch_id": "", "reads": []}, token=world["key"])
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("batch_id", "too_short"),
        ("reads", "too_short"),
    ]
    bad = [
        {"epc": "A", "value": "A", "antenna": 1, "seen_at": "2026-04-01T00:00:00Z"},
        {"antenna": 0, "seen_at": "2026-04-01"},
        {
            "epc": "A",
            "tag_type": "nfc",
            "antenna": 1,
            "seen_at": "1970-01-01T00:00:00Z",
        },
    ]
    r = await api.post(url, {"batch_id": "a", "reads": bad}, token=world["key"])
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("reads[0].epc", "ambiguous_fields"),
        ("reads[0].value", "ambiguous_fields"),
        ("reads[1].epc", "required"),
        ("reads[1].antenna", "too_small"),
        ("reads[1].seen_at", "invalid_value"),
        ("reads[2].tag_type", "invalid_value"),
        ("reads[2].seen_at", "invalid_value"),
    ]
    r = await api.post(
        url,
        {"batch_id": "a", "reads": [{"epc": "A", "antenna": 1.5, "seen_at": "x"}]},
        token=world["key"],
    )
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == (
        'Body field "reads[0].antenna" could not be decoded as the expected type'
    )
    r = await api.post(url, {"batch_id": "a", "reads": "x"}, token=world["key"])
    assert r.error["type"] == "bad_request"
    r = await api.post(
        url, body="null", content_type="application/json", token=world["key"]
    )
    assert r.error["detail"] == "Request body must be a JSON object (RFC 7396)"


@pytest.mark.gen_test
async def test_push_tag_type_is_a_known_string(api, world):
    # TAG-2: absent or null means rfid; "" is a bad value, other JSON types
    # are wrong-type (VAL-2); nothing of the rejected batches is recorded
    reader = await register(api, world)
    url = f"{READERS}/{reader}/reads"
    at = "2026-04-01T00:00:00Z"
    r = await api.post(
        url,
        {"batch_id": "a", "reads": [read("E200AA", at, tag_type="")]},
        token=world["key"],
    )
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("reads[0].tag_type", "invalid_value")
    ]
    for wrong in (False, 0, [], {}):
        r = await api.post(
            url,
            {"batch_id": "a", "reads": [read("E200AA", at, tag_type=wrong)]},
            token=world["key"],
        )
        assert r.error["type"] == "bad_request", wrong
        assert r.error["detail"] == (
            'Body field "reads[0].tag_type" could not be decoded as the expected type'
        )
    assert events(world) == []
    r = await push(api, world, reader, "b", [read("E200AA", at, tag_type=None)])
    assert r.json()["data"]["recorded"] == 1


@pytest.mark.gen_test
async def test_push_seen_at_is_matched_in_full(api, world):
    # DATE-2: nothing may follow the offset, not even a newline
    reader = await register(api, world)
    for bad in ("2026-04-01T00:00:00Z\n", "\u0662\u0660\u0662\u0666-04-01T00:00:00Z"):
        r = await push(api, world, reader, "a", [read("E200AA", bad)])
        assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
            ("reads[0].seen_at", "invalid_value")
        ]
    assert events(world) == []


@pytest.mark.gen_test
async def test_push_refuses_reads_from_the_future(api, world):
    # a read far ahead of the server's clock would pin its asset there for good
    # (ASSET-3 follows the latest read): refused; a few minutes of drift pass
    reader = await register(api, world)
    soon = timeutil.now() + timedelta(minutes=2)
    later = timeutil.now() + timedelta(minutes=10)
    r = await push(
        api,
        world,
        reader,
        "a",
        [read("E200AA", "9999-12-31T23:59:59.999Z"), read("E200BB", iso(later))],
    )
    assert r.status == 400, r
    assert [(f["field"], f["code"]) for f in r.error["fields"]] == [
        ("reads[0].seen_at", "invalid_value"),
        ("reads[1].seen_at", "invalid_value"),
    ]
    assert "ahead of the server's clock" in r.error["fields"][0]["message"]
    assert events(world) == []

    r = await push(api, world, reader, "b", [read("E200AA", iso(soon))])
    assert r.json()["data"]["recorded"] == 1
    assert world["f"].get(Asset, world["pump"]).location_id == world["dock"]


def iso(value):
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.mark.gen_test
async def test_map_location_id_range(api, world):
    # ID-5: body ids below 1 are too_small, above 2147483647 too_large, before
    # the location is looked up; VAL-3: beyond 64 bits is wrong-type (not a 500)
    reader = await register(api, world)
    url = f"{READERS}/{reader}/antennas/3"
    expected = {
        0: ("too_small", {"min": 1}),
        -5: ("too_small", {"min": 1}),
        2147483648: ("too_large", {"max": 2147483647}),
        2**63 - 1: ("too_large", {"max": 2147483647}),
    }
    for value, (code, params) in expected.items():
        r = await api.put(url, {"location_id": value}, token=world["admin"])
        assert r.status == 400, (value, r)
        assert [(f["field"], f["code"], f["params"]) for f in r.error["fields"]] == [
            ("location_id", code, params)
        ]
    for value in (2**63, -(2**63) - 1, 2**70):
        r = await api.put(url, {"location_id": value}, token=world["admin"])
        assert r.error["detail"] == (
            'Body field "location_id" could not be decoded as the expected type'
        )
    r = await push(
        api, world, reader, "a", [read("E200AA", "2026-04-01T00:00:00Z", antenna=2**64)]
    )
    assert r.error["type"] == "bad_request"


@pytest.mark.gen_test
async def test_push_auth(api, world, seed):
    # scans:write key only; other orgs' readers are not found
    reader = await register(api, world)
    body = {"batch_id": "a", "reads": [read("E200AA", "2026-04-01T00:00:00Z")]}
    url = f"{READERS}/{reader}/reads"
    r = await api.post(url, body, token=seed.key(world["org"], ["assets:write"]))
    assert (
        r.status == 403 and r.error["detail"] == "Missing required scope: scans:write"
    )
    r = await api.post(url, body, token=world["admin"])
    assert r.status == 401
    other = seed.tenant()
    r = await api.post(url, body, token=seed.key(other.org_id, ["scans:write"]))
    assert r.status == 404 and r.error["detail"] == "Reader not found"
    r = await api.delete(f"{READERS}/{reader}", token=world["admin"])
    assert r.status == 204
    r = await api.post(url, body, token=world["key"])
    assert r.status == 404


@pytest.mark.gen_test
async def test_events_survive_deletion_and_report_shows_them(api, world):
    # SCAN-2, ASSET-9, REPORT-6: deleted asset's events stay; include_deleted
    reader = await register(api, world)
    await push(api, world, reader, "1", [read("E200AA", "2026-04-01T00:00:00Z")])
    world["f"].soft_delete(Asset, world["pump"])
    assert len(events(world)) == 1
    key = world["seed"].key(world["org"], ["tracking:read"])
    r = await api.get("/api/v1/reports/asset-locations?include_deleted=true", token=key)
    row = r.json()["data"][0]
    assert row["asset_id"] == world["pump"] and row["asset_deleted_at"] is not None


@pytest.mark.gen_test
async def test_batches_committed_together_stay_apart(api, world, ctx):
    # Pushes that queue up behind a running write commit as one group: a
    # batch retried inside the group records nothing twice and gets the
    # first answer, and a batch that fails takes no other batch down.
    reader = await register(api, world)
    first = [read("E200AA", "2026-04-01T10:00:00Z")]
    other = [read("E200BB", "2026-04-01T10:00:01Z")]
    async with held_writer(ctx.db, 4):
        pushes = [
            asyncio.ensure_future(push(api, world, reader, "g-1", first)),
            asyncio.ensure_future(push(api, world, 999_999, "g-x", other)),
            asyncio.ensure_future(push(api, world, reader, "g-1", first)),
            asyncio.ensure_future(push(api, world, reader, "g-2", other)),
        ]
    ok, missing, again, second = await asyncio.gather(*pushes)
    assert missing.status == 404
    assert ok.status == again.status == second.status == 200
    assert again.json() == ok.json()
    assert ok.json()["data"]["recorded"] == second.json()["data"]["recorded"] == 1
    recorded = events(world)
    assert [(e.asset_id, e.source) for e in recorded] == [
        (world["pump"], "reader"),
        (world["cart"], "reader"),
    ]
