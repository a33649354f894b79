"""Bulk asset import from CSV (INT-101): jobs, all-or-nothing, per-row errors."""

import asyncio

import pytest

from tests.factories import Factory, member_session
from trakrf_server import timeutil
from trakrf_server.app import make_context
from trakrf_server.db import database
from trakrf_server.models import Asset, ImportJob, Tag
from trakrf_server.services import bulk_import

URL = "/api/v1/assets/bulk"
BOUNDARY = "----trakrf-test-boundary"


def multipart(content: bytes, field: str = "file") -> tuple[bytes, str]:
    body = (
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="{field}"; filename="assets.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={BOUNDARY}"


async def upload(api, token, content: bytes, field: str = "file"):
    body, content_type = multipart(content, field)
    return await api.post(URL, body=body, content_type=content_type, token=token)


async def finished(api, token, job_id: str) -> dict:
    for _ in range(100):
        r = await api.get(f"{URL}/{job_id}", token=token)
        assert r.status == 200, r
        view = r.json()
        if view["status"] in ("completed", "failed"):
            return view
        await asyncio.sleep(0.02)
    raise AssertionError("job did not finish")


@pytest.fixture
def world(seed):
    f = Factory(seed)
    tenant = seed.tenant()
    org = tenant.org_id
    f.location(org, "WH-1")
    f.asset(org, "TAKEN")
    return {"f": f, "seed": seed, "org": org, "s": tenant.session}


GOOD = (
    "external_key,name,description,location_external_key,is_active,valid_from,tags\n"
    "PUMP-1,Pump one,Main pump,WH-1,true,2026-01-01T00:00:00Z,rfid:E200AA;barcode:B-1\n"
    "PUMP-2,Pump two,,,false,,00E200BB\n"
)


@pytest.mark.gen_test
async def test_import_creates_assets_and_tags(api, world, seed):
    r = await upload(api, world["s"], GOOD.encode())
    assert r.status == 202, r
    accepted = r.json()
    assert accepted["status"] == "accepted"
    assert accepted["status_url"] == f"{URL}/{accepted['job_id']}"
    view = await finished(api, world["s"], accepted["job_id"])
    assert view["status"] == "completed"
    assert view["total_rows"] == 2 and view["processed_rows"] == 2
    assert view["successful_rows"] == 2 and view["failed_rows"] == 0
    assert view["tags_created"] == 3
    assert "errors" not in view and view["completed_at"].endswith("Z")

    pump = seed.write(lambda: Asset.get(Asset.external_key == "PUMP-1"))
    assert pump.location_id == pump.initial_location_id  # placed where imported
    assert pump.description == "Main pump"
    assert pump.valid_from == timeutil.parse_rfc3339("2026-01-01T00:00:00Z")
    two = seed.write(lambda: Asset.get(Asset.external_key == "PUMP-2"))
    assert two.is_active is False and two.location_id is None
    tags = seed.write(lambda: [(t.tag_type, t.value) for t in Tag.select()])
    assert sorted(tags) == [
        ("barcode", "B-1"),
        ("rfid", "00E200BB"),
        ("rfid", "E200AA"),
    ]


@pytest.mark.gen_test
async def test_all_or_nothing_with_row_errors(api, world, seed):
    content = (
        "external_key,name,location_external_key,tags\n"
        "OK-1,Fine,WH-1,E1\n"
        "TAKEN,Clash,,\n"
        "bad key,,NOWHERE,E1\n"
        "OK-1,Again,,\n"
    )
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert view["status"] == "failed"
    assert view["failed_rows"] == 3 and view["successful_rows"] == 0
    assert view["errors"] == [
        {
            "row": 4,
            "field": "external_key",
            "error": "external_key must match ^[A-Za-z0-9-]+$",
        },
        {"row": 4, "field": "name", "error": "name is required"},
        {
            "row": 3,
            "field": "external_key",
            "error": "asset with external_key TAKEN already exists",
        },
        {
            "row": 4,
            "field": "location_external_key",
            "error": 'location_external_key "NOWHERE" not found',
        },
        {"row": 4, "field": "tags", "error": "tag rfid:E1 already exists"},
        {
            "row": 5,
            "field": "external_key",
            "error": "external_key OK-1 repeats an earlier row",
        },
    ]
    assert (
        seed.write(lambda: Asset.select().where(Asset.external_key == "OK-1").count())
        == 0
    )
    assert seed.write(lambda: Tag.select().count()) == 0


@pytest.mark.gen_test
async def test_upload_problems(api, world):
    r = await upload(api, world["s"], b"name,colour\nx,red\n")
    assert r.status == 400 and r.error["detail"] == "unknown CSV column(s): colour"
    r = await upload(api, world["s"], b"name\nx\n")
    assert r.error["detail"] == "CSV file needs the column(s): external_key"
    r = await upload(api, world["s"], b"external_key,name\n")
    assert r.error["detail"] == "CSV file has no data rows"
    r = await upload(api, world["s"], b"\xff\xfe")
    assert r.error["detail"] == "CSV file must be UTF-8 encoded"
    rows = b"external_key,name\n" + b"".join(b"K-%d,n\n" % i for i in range(1001))
    r = await upload(api, world["s"], rows)
    assert r.error["detail"] == "CSV file has more than 1000 data rows"
    r = await upload(api, world["s"], GOOD.encode(), field="other")
    assert r.error["type"] == "bad_request"
    r = await upload(api, world["s"], b"external_key,name\n" + b"x" * (5 * 1024 * 1024))
    assert r.status == 413
    r = await api.post(URL, {"file": "x"}, token=world["s"])
    assert r.status == 415


@pytest.mark.gen_test
async def test_manager_role_and_job_scoping(api, world, seed):
    operator = member_session(seed, world["org"], "operator")
    r = await upload(api, operator, GOOD.encode())
    assert r.status == 403
    assert r.error["detail"] == "Insufficient permissions. Required role: manager"
    r = await upload(api, world["s"], GOOD.encode())
    job_id = r.json()["job_id"]
    await finished(api, world["s"], job_id)
    other = seed.tenant()
    r = await api.get(f"{URL}/{job_id}", token=other.session)
    assert r.status == 404
    assert r.error["detail"] == "Job not found or does not belong to your org"
    r = await api.get(f"{URL}/abc", token=world["s"])
    assert r.status == 404


def test_interrupted_job_marked_failed_on_start(seed, config, ctx):
    # a job a stop left pending or processing is failed when the server starts
    org_id = seed.tenant().org_id

    def leave_job():
        return ImportJob.create(
            org=org_id,
            status="processing",
            payload="external_key,name\nA,B\n",
            total_rows=1,
            created_at=timeutil.now(),
        ).id

    job_id = seed.write(leave_job)
    restarted = make_context(config)
    try:
        job = restarted.db.run_sync_write(lambda: ImportJob.get_by_id(job_id))
    finally:
        restarted.db.close()
        database.initialize(ctx.db.db)  # models follow the newest Database
    assert job.status == "failed" and job.payload is None
    assert job.errors[0]["error"] == bulk_import.INTERRUPTED
    assert seed.write(bulk_import.fail_interrupted) == 0


@pytest.mark.gen_test
async def test_empty_external_key_is_minted(api, world, seed):
    # EK-4 through the shared asset creation: one past the largest live
    # ASSET-NNNN, never a key another row of the file asks for
    world["f"].asset(world["org"], "ASSET-0007")
    content = (
        "external_key,name,location_external_key\n"
        ",Minted first,WH-1\n"
        "ASSET-0009,Explicit,\n"
        ",Minted second,\n"
    )
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert view["status"] == "completed", view

    def keys():
        rows = Asset.select().where(Asset.name.in_(["Minted first", "Minted second"]))
        return {a.name: (a.external_key, a.location_id) for a in rows}

    made = seed.write(keys)
    assert made["Minted first"][0] == "ASSET-0010"
    assert made["Minted second"][0] == "ASSET-0011"
    # ASSET-3: the placement is the asset's location
    assert made["Minted first"][1] is not None


@pytest.mark.gen_test
async def test_existing_tag_fails_whole_import_naming_the_row(api, world, seed):
    # ASSET-6 through the shared tag rule: nothing is created, the row is named
    owner = world["f"].asset(world["org"], "OWNER")
    world["f"].tag(world["org"], "E2800001", asset=owner)
    content = "external_key,name,tags\nNEW-1,Fine,E2800099\nNEW-2,Clash,rfid:E2800001\n"
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert view["status"] == "failed"
    assert view["failed_rows"] == 1 and view["successful_rows"] == 0
    assert view["errors"] == [
        {"row": 3, "field": "tags", "error": "tag rfid:E2800001 already exists"}
    ]
    new = Asset.select().where(Asset.external_key.startswith("NEW-"))
    assert seed.write(new.count) == 0
    assert seed.write(lambda: Tag.select().count()) == 1


@pytest.mark.gen_test
async def test_cells_follow_the_api_field_rules(api, world):
    # ASSET-4 / VAL-9 / DATE-5 / TAG-3 applied to cells, every problem reported
    # in the file's terms: a cell is left empty (there is no JSON null in a
    # CSV), and a tag's value is a part of the tags cell
    content = (
        "external_key,name,description,valid_from,tags\n"
        'K-1,"a\x01b",x,0001-01-01T00:00:00Z,rfid:\n'
    )
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert [(e["field"], e["error"]) for e in view["errors"]] == [
        ("name", "name must not contain control characters (NUL, etc.)"),
        (
            "valid_from",
            "valid_from must not be a default-value sentinel "
            "(0001-01-01T00:00:00Z); leave the cell empty",
        ),
        ("tags", "tag value must be at least 1 character(s)"),
    ]


@pytest.mark.gen_test
async def test_spaces_around_column_names_keep_the_cells(api, world, seed):
    # INT-101 / docs/bulk-import.md: a header the upload accepts must not lose
    # a column's cells; " tags" and "name " name the tags and name columns
    content = (
        "external_key ,name , location_external_key, tags\r\n"
        "SP-1,Spaced,WH-1,rfid:E2SP\r\n"
    )
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert view["status"] == "completed", view
    assert view["tags_created"] == 1
    asset = seed.write(lambda: Asset.get(Asset.external_key == "SP-1"))
    assert asset.name == "Spaced"
    assert asset.location_id is not None
    tags = seed.write(lambda: [t.value for t in Tag.select()])
    assert tags == ["E2SP"]


@pytest.mark.gen_test
async def test_row_with_extra_cells_names_no_column(api, world):
    # INT-101: "field" is optional and, when present, a column of the file
    content = "external_key,name\nX-1,Extra,surplus\n"
    r = await upload(api, world["s"], content.encode())
    view = await finished(api, world["s"], r.json()["job_id"])
    assert view["status"] == "failed"
    assert view["errors"] == [{"row": 2, "error": "row has more cells than the header"}]
