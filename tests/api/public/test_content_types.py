"""Content types and Location headers on write operations (CONTRACT §11 CT)."""

import pytest

CT_JSON = "Content-Type must be application/json"
CT_MERGE = "Content-Type must be application/merge-patch+json on PATCH operations"
BODY = b'{"name": "x"}'


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/merge-patch+json",
        "multipart/form-data",
        "text/plain",
        "application/json; charset=latin-1",
        "application/json; version=1",
        "application/jsonx",
        # RFC 9110 5.6.6: quoted, these are still not utf-8 or not well formed
        'application/json; charset="latin-1"',
        'application/json; charset=""',
        'application/json; charset="utf-8',
        'application/json; charset="utf-8"x',
        'application/json; charset=utf-8"',
    ],
)
async def test_post_needs_application_json(caller, content_type):
    # CT-1, CT-4
    headers = {} if content_type else {"Content-Type": ""}
    r = await caller.post(
        "/assets", body=BODY, content_type=content_type, headers=headers
    )
    assert r.status == 415, r
    err = r.error
    assert (err["type"], err["title"], err["status"]) == (
        "unsupported_media_type",
        "Unsupported media type",
        415,
    )
    assert err["detail"] == CT_JSON
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON;CHARSET=UTF-8",
        "application/json ;  charset=UTF-8 ",
        # RFC 9110 5.6.6: a quoted-string value is the same value as the token
        'application/json; charset="utf-8"',
        'application/json; charset="UTF-8"',
        'application/json; charset="utf\\-8"',
    ],
)
async def test_post_accepts_json_with_optional_charset(caller, content_type):
    # CT-1, CT-4 (DEC-17)
    r = await caller.post("/locations", body=BODY, content_type=content_type)
    assert r.status == 201, r


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "application/merge-patch+json; charset=utf-16",
        "application/merge-patch+json; q=1",
    ],
)
async def test_patch_needs_merge_patch(caller, content_type):
    # CT-2, CT-4
    a = await caller.asset()
    r = await caller.patch(f"/assets/{a['id']}", body=BODY, content_type=content_type)
    assert r.status == 415, r
    assert r.error["detail"] == CT_MERGE


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "content_type",
    [
        "application/merge-patch+json",
        "Application/Merge-Patch+JSON; Charset=utf-8",
        'application/merge-patch+json; charset="utf-8"',
    ],
)
async def test_patch_accepts_merge_patch(caller, content_type):
    # CT-2, CT-4
    loc = await caller.location()
    r = await caller.patch(
        f"/locations/{loc['id']}", body=BODY, content_type=content_type
    )
    assert r.status == 200, r


@pytest.mark.gen_test
async def test_rename_and_tag_posts_are_checked_too(caller):
    # CT-1 on every POST
    a = await caller.asset()
    for path in (f"/assets/{a['id']}/rename", f"/assets/{a['id']}/tags"):
        r = await caller.post(path, body=b"{}", content_type="text/plain")
        assert r.status == 415 and r.error["detail"] == CT_JSON


@pytest.mark.gen_test
async def test_get_and_delete_ignore_content_type_and_body(caller):
    # CT-3
    a = await caller.asset()
    r = await caller.get(f"/assets/{a['id']}", headers={"Content-Type": "text/plain"})
    assert r.status == 200
    r = await caller.api.request(
        "DELETE",
        f"/api/v1/assets/{a['id']}",
        token=caller.token,
        body=b"garbage",
        content_type="text/plain",
    )
    assert r.status == 204


@pytest.mark.gen_test
async def test_201_location_headers_are_path_only(caller):
    # CT-5
    a = await caller.post("/assets", {"name": "a"})
    loc = await caller.post("/locations", {"name": "l"})
    aid, lid = a.json()["data"]["id"], loc.json()["data"]["id"]
    assert a.headers["Location"] == f"/api/v1/assets/{aid}"
    assert loc.headers["Location"] == f"/api/v1/locations/{lid}"
    t1 = await caller.post(f"/assets/{aid}/tags", {"value": "t1"})
    t2 = await caller.post(f"/locations/{lid}/tags", {"value": "t2"})
    assert t1.headers["Location"] == (
        f"/api/v1/assets/{aid}/tags/{t1.json()['data']['id']}"
    )
    assert t2.headers["Location"] == (
        f"/api/v1/locations/{lid}/tags/{t2.json()['data']['id']}"
    )
    # the Location of a created resource is readable at once (OPENAPI-4)
    assert (
        await caller.api.get(a.headers["Location"], token=caller.token)
    ).status == 200
