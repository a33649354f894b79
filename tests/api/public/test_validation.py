"""Body and identifier validation shapes (CONTRACT §8 VAL, §14 ID, §15 DATE, §16 EK)."""

import pytest

from tests.api.public.conftest import fields


def wrong_type(key):
    return f'Body field "{key}" could not be decoded as the expected type'


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "raw,detail",
    [
        (b"", "Request body is not valid JSON"),
        (b'{"name": "a"', "Request body is not valid JSON"),
        (b'{"name": "a"} x', "Request body is not valid JSON"),
        (b'{"name": NaN}', "Request body is not valid JSON"),
        (b'{"name": "a", "metadata": {"x": 1e400}}', "Request body is not valid JSON"),
        (b'{"name": "a\x00"}', "Request body is not valid JSON"),
        (b"null", "Request body must be a JSON object (RFC 7396)"),
        (b"[1]", "Request body could not be decoded as the expected type"),
        (b'"x"', "Request body could not be decoded as the expected type"),
    ],
)
async def test_unparseable_bodies_are_bad_request(caller, raw, detail):
    # VAL-1, VAL-2, VAL-3
    r = await caller.post("/assets", body=raw, content_type="application/json")
    assert r.status == 400
    assert r.error["type"] == "bad_request" and r.error["title"] == "Bad request"
    assert r.error["detail"] == detail
    assert "fields" not in r.error


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "body,key",
    [
        ({"name": 42}, "name"),
        ({"name": "a", "is_active": "true"}, "is_active"),
        ({"name": "a", "location_id": "5"}, "location_id"),
        ({"name": "a", "location_id": 1.5}, "location_id"),
        ({"name": "a", "location_id": 1.0}, "location_id"),
        ({"name": "a", "location_id": 1e3}, "location_id"),
        ({"name": "a", "location_id": True}, "location_id"),
        ({"name": "a", "location_id": 2**63}, "location_id"),
        ({"name": "a", "tags": {}}, "tags"),
        ({"name": "a", "tags": ["x"]}, "tags"),
        ({"name": "a", "tags": [{"value": 5}]}, "value"),
    ],
)
async def test_wrong_json_types_are_bad_request(caller, body, key):
    # VAL-2, VAL-3: integers must be JSON integers within int64
    r = await caller.post("/assets", body)
    assert r.status == 400, r
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == wrong_type(key)


@pytest.mark.gen_test
async def test_patch_null_body_and_wrong_type(caller):
    # PATCH-2, VAL-2
    a = await caller.asset()
    r = await caller.patch(
        f"/assets/{a['id']}", body=b"null", content_type="application/merge-patch+json"
    )
    assert r.error["detail"] == "Request body must be a JSON object (RFC 7396)"
    loc = await caller.location()
    r = await caller.patch(f"/locations/{loc['id']}", {"parent_id": "1"})
    assert r.error["detail"] == wrong_type("parent_id")


@pytest.mark.gen_test
async def test_int32_overflow_is_too_large_and_zero_too_small(caller):
    # VAL-3, VAL-5, ID-5
    r = await caller.post("/assets", {"name": "a", "location_id": 2147483648})
    assert r.error["fields"] == [
        {
            "field": "location_id",
            "code": "too_large",
            "message": "location_id must be <= 2147483647",
            "params": {"max": 2147483647},
        }
    ]
    r = await caller.post("/locations", {"name": "a", "parent_id": 0})
    assert r.error["fields"] == [
        {
            "field": "parent_id",
            "code": "too_small",
            "message": "parent_id must be >= 1",
            "params": {"min": 1},
        }
    ]


@pytest.mark.gen_test
async def test_unknown_keys_sorted_and_first(caller):
    # VAL-8: before any other rule, also inside tags[]
    r = await caller.post(
        "/assets",
        {"zeta": 1, "alpha": 2, "name": None, "tags": [{"value": "v", "colour": 1}]},
    )
    assert fields(r) == [
        ("alpha", "unknown_field"),
        ("zeta", "unknown_field"),
        ("colour", "unknown_field"),
    ]
    assert r.error["detail"] == (
        'unknown field "alpha" in request body (and 2 more validation errors)'
    )
    r = await caller.post("/locations", {"name": "x", "metadata": {}})
    assert fields(r) == [("metadata", "unknown_field")]


@pytest.mark.gen_test
async def test_create_null_violations_reported_together(caller):
    # VAL-7 (POST wording)
    r = await caller.post(
        "/assets",
        {
            "name": None,
            "external_key": None,
            "metadata": None,
            "is_active": None,
            "valid_from": None,
        },
    )
    assert fields(r) == [
        ("name", "invalid_value"),
        ("external_key", "invalid_value"),
        ("metadata", "invalid_value"),
        ("is_active", "invalid_value"),
        ("valid_from", "invalid_value"),
    ]
    messages = [f["message"] for f in r.error["fields"]]
    assert messages[0] == "name cannot be null; provide a string value"
    assert messages[4] == (
        "valid_from cannot be null; omit the field to use the server default, "
        "or provide a value"
    )


@pytest.mark.gen_test
async def test_nullable_create_keys_mean_absent(caller):
    # ASSET-4: description, location_id, valid_to, tags null = absent
    r = await caller.post(
        "/assets",
        {"name": "a", "description": None, "valid_to": None, "tags": None},
    )
    assert r.status == 201, r
    assert r.json()["data"]["tags"] == []


@pytest.mark.gen_test
async def test_field_rules_reported_together(caller):
    # ASSET-4 field stage, VAL-5/6/9, TAG-2/3
    r = await caller.post(
        "/assets",
        {
            "name": "",
            "description": "bad\x07",
            "tags": [{"tag_type": "nfc", "value": ""}, {"value": None}],
        },
    )
    assert r.error["fields"] == [
        {
            "field": "name",
            "code": "too_short",
            "message": "name must be at least 1 character(s)",
            "params": {"min_length": 1},
        },
        {
            "field": "description",
            "code": "invalid_value",
            "message": "description must not contain control characters (NUL, etc.)",
        },
        {
            "field": "tag_type",
            "code": "invalid_value",
            "message": "tag_type must be one of: rfid, ble, barcode",
            "params": {"allowed_values": ["rfid", "ble", "barcode"]},
        },
        {
            "field": "value",
            "code": "too_short",
            "message": "value must be at least 1 character(s)",
            "params": {"min_length": 1},
        },
        {"field": "value", "code": "required", "message": "value is required"},
    ]
    r = await caller.post("/assets", {"description": "x" * 1025})
    assert r.error["fields"] == [
        {"field": "name", "code": "required", "message": "name is required"},
        {
            "field": "description",
            "code": "too_long",
            "message": "description must be at most 1024 characters",
            "params": {"max_length": 1024},
        },
    ]


@pytest.mark.gen_test
async def test_tab_newline_allowed_in_free_text(caller):
    # VAL-9: TAB, LF, CR are fine
    a = await caller.asset(name="a\tb\nc\r")
    assert a["name"] == "a\tb\nc\r"


@pytest.mark.gen_test
async def test_lone_surrogate_becomes_replacement_character(caller):
    # VAL-3
    r = await caller.post(
        "/assets", body=b'{"name": "x\\ud800y"}', content_type="application/json"
    )
    assert r.status == 201 and r.json()["data"]["name"] == "x\ufffdy"


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "key,code,params",
    [
        ("", "too_short", {"min_length": 1}),
        ("K" * 256, "too_long", {"max_length": 255}),
        ("a_b", "invalid_value", {"pattern": "^[A-Za-z0-9-]+$"}),
        ("a b", "invalid_value", {"pattern": "^[A-Za-z0-9-]+$"}),
        ("é", "invalid_value", {"pattern": "^[A-Za-z0-9-]+$"}),
    ],
)
async def test_external_key_rules_reported_alone(caller, key, code, params):
    # EK-1, EK-5: before the other fields (the missing name is not reported)
    r = await caller.post("/assets", {"external_key": key, "description": ""})
    assert len(r.error["fields"]) == 1
    entry = r.error["fields"][0]
    assert (entry["field"], entry["code"], entry["params"]) == (
        "external_key",
        code,
        params,
    )
    if code == "invalid_value":
        assert entry["message"] == (
            "external_key must match ^[A-Za-z0-9-]+$ (alphanumerics and hyphens only "
            "— underscore, period, whitespace, slash, and colon are reserved)"
        )


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "value",
    [
        "2026-04-24",
        "2026-04-24 10:00:00Z",
        "2026-04-24T10:00:00",
        "2026-02-30T10:00:00Z",
        "2026-04-24T24:00:00Z",
        "2026-04-24t10:00:00z",
        "",
        17,
        True,
        {},
    ],
)
async def test_bad_timestamps(caller, value):
    # DATE-2
    r = await caller.post("/assets", {"name": "a", "valid_from": value})
    assert r.error["fields"] == [
        {
            "field": "valid_from",
            "code": "invalid_value",
            "message": "valid_from must be an RFC 3339 timestamp",
        }
    ]


@pytest.mark.gen_test
async def test_timestamp_decoding_stops_at_first_bad_value(caller):
    # DATE-2: one entry
    r = await caller.post("/assets", {"name": "", "valid_to": "x", "valid_from": "y"})
    assert fields(r) == [("valid_to", "invalid_value")]


@pytest.mark.gen_test
async def test_timestamp_conversion_and_truncation(caller):
    # DATE-1, DATE-3, DATE-4, DATE-7
    a = await caller.asset(
        valid_from="2026-04-24T20:30:00+05:00",
        valid_to="2026-04-24T00:00:00.123456789Z",
    )
    assert a["valid_from"] == "2026-04-24T15:30:00.000Z"
    assert a["valid_to"] == "2026-04-24T00:00:00.123Z"


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T01:00:00+01:00"],
)
async def test_sentinel_timestamps_rejected(caller, value):
    # DATE-5
    r = await caller.post("/assets", {"name": "a", "valid_to": value})
    assert r.error["fields"] == [
        {
            "field": "valid_to",
            "code": "invalid_value",
            "message": f"valid_to must not be a default-value sentinel ({value}); "
            "use JSON null to leave the field unset",
        }
    ]
    ok = await caller.post("/assets", {"name": "a", "valid_to": "1970-01-01T00:00:01Z"})
    assert ok.status == 201


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "raw,code,message,params",
    [
        ("abc", "invalid_value", "asset_id must be an integer", None),
        ("1.5", "invalid_value", "asset_id must be an integer", None),
        ("99999999999999999999", "invalid_value", "asset_id must be an integer", None),
        # more digits than int() converts: it was a 500 (ERR-5)
        ("9" * 5000, "invalid_value", "asset_id must be an integer", None),
        ("-" + "9" * 5000, "invalid_value", "asset_id must be an integer", None),
        ("0" * 5000 + "0", "too_small", "asset_id must be ≥ 1", {"min": 1}),
        ("0", "too_small", "asset_id must be ≥ 1", {"min": 1}),
        ("-4", "too_small", "asset_id must be ≥ 1", {"min": 1}),
        (
            "2147483648",
            "too_large",
            "asset_id must be ≤ 2147483647",
            {"max": 2147483647},
        ),
    ],
)
async def test_path_ids(caller, raw, code, message, params):
    # ID-3
    r = await caller.get(f"/assets/{raw}")
    assert r.status == 400
    expected = {"field": "asset_id", "code": code, "message": message}
    if params:
        expected["params"] = params
    assert r.error["fields"] == [expected]
    assert (await caller.get("/assets/2147483647")).status == 404  # ID-4


@pytest.mark.gen_test
async def test_location_path_id_and_tag_id_names(caller):
    # ID-3: field = the parameter name
    r = await caller.get("/locations/x/children")
    assert fields(r) == [("location_id", "invalid_value")]
    a = await caller.asset()
    r = await caller.delete(f"/assets/{a['id']}/tags/0")
    assert fields(r) == [("tag_id", "too_small")]


@pytest.mark.gen_test
async def test_deeply_nested_metadata(caller):
    # VAL-2/VAL-3, ERR-5: a body nested past the bound is bad_request (it was a
    # 500 from a RecursionError at a few hundred levels); up to it, metadata
    # round-trips (ASSET-2)
    deep = b'{"name":"deep","metadata":{"x":' + b"[" * 500 + b"]" * 500 + b"}}"
    r = await caller.post("/assets", body=deep, content_type="application/json")
    assert r.status == 400, r
    assert r.error["detail"] == "Request body is not valid JSON"

    metadata: list = []
    for _ in range(97):  # body object, metadata and x make 100 levels
        metadata = [metadata]
    created = await caller.asset(metadata={"x": metadata})
    r = await caller.get(f"/assets/{created['id']}")
    assert r.status == 200 and r.json()["data"]["metadata"] == {"x": metadata}


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "method,path,field",
    [
        ("get", "/assets/%FF", "asset_id"),
        ("get", "/locations/%C3%28/children", "location_id"),
        ("delete", "/assets/{id}/tags/%FF", "tag_id"),
    ],
)
async def test_path_id_that_is_not_utf8(caller, method, path, field):
    # ID-3: not an integer, so invalid_value on the parameter (it was a generic
    # bad_request "Bad request")
    asset = await caller.asset(external_key="ONE")
    r = await getattr(caller, method)(path.format(id=asset["id"]))
    assert r.status == 400, r
    assert fields(r) == [(field, "invalid_value")]
    assert r.error["detail"] == f"{field} must be an integer"


@pytest.mark.gen_test
async def test_nested_path_ids_of_any_length(caller):
    # ID-3, ERR-5: every path id, not only the first segment
    a = await caller.asset()
    huge = "9" * 5000
    for path, field in (
        (f"/assets/{huge}/history", "asset_id"),
        (f"/locations/{huge}/children", "location_id"),
    ):
        assert fields(await caller.get(path)) == [(field, "invalid_value")]
    r = await caller.delete(f"/assets/{a['id']}/tags/{huge}")
    assert fields(r) == [("tag_id", "invalid_value")]


@pytest.mark.gen_test
@pytest.mark.parametrize("number", [b"1e999", b"-1E400", b"123e4567"])
async def test_numbers_beyond_a_double_are_not_json(caller, number):
    # VAL-3, SURF-2: such a number became infinity and was stored; every later
    # answer showing the asset (its GET, any list page) then held the bare
    # token Infinity and was not JSON
    raw = b'{"name":"n","metadata":{"x":' + number + b"}}"
    r = await caller.post("/assets", body=raw, content_type="application/json")
    assert r.status == 400, r
    assert r.error["detail"] == "Request body is not valid JSON"
    a = await caller.asset()
    r = await caller.patch(
        f"/assets/{a['id']}",
        body=raw.replace(b'"name":"n",', b""),
        content_type="application/merge-patch+json",
    )
    assert r.status == 400, r
    assert r.error["detail"] == "Request body is not valid JSON"


@pytest.mark.gen_test
async def test_large_and_tiny_doubles_are_kept(caller):
    # ASSET-2: numbers a double holds are stored as given
    raw = b'{"name":"n","metadata":{"big":1.5e308,"tiny":1e-999}}'
    r = await caller.post("/assets", body=raw, content_type="application/json")
    assert r.status == 201, r
    assert r.json()["data"]["metadata"] == {"big": 1.5e308, "tiny": 0.0}


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "count,suffix",
    [
        (1, ""),
        (2, " (and 1 more validation error)"),
        (3, " (and 2 more validation errors)"),
        (5, " (and 4 more validation errors)"),
    ],
)
async def test_validation_detail_counts_the_other_entries(caller, count, suffix):
    # ERR-6: detail is fields[0].message, then how many entries follow it, the
    # noun singular only when exactly one does
    body = {"name": "", "tags": [{"value": ""}] * (count - 1)}
    r = await caller.post("/assets", body)
    assert r.status == 400, r
    assert len(r.error["fields"]) == count
    assert r.error["fields"][0]["message"] == "name must be at least 1 character(s)"
    assert r.error["detail"] == r.error["fields"][0]["message"] + suffix


PATTERN_MESSAGE = (
    "must match ^[A-Za-z0-9-]+$ (alphanumerics and hyphens only — underscore, "
    "period, whitespace, slash, and colon are reserved)"
)


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "path,body,field,message",
    [
        ("/assets", {}, "name", "name is required"),
        ("/assets", {"name": ""}, "name", "name must be at least 1 character(s)"),
        ("/assets", {"name": "x" * 256}, "name", "name must be at most 255 characters"),
        ("/assets?limit=0", None, "limit", "limit must be ≥ 1"),
        ("/assets?limit=201", None, "limit", "limit must be ≤ 200"),
        (
            "/assets",
            {"name": "a", "location_id": 0},
            "location_id",
            "location_id must be >= 1",
        ),
        (
            "/locations",
            {"name": "a", "parent_id": 2147483648},
            "parent_id",
            "parent_id must be <= 2147483647",
        ),
        (
            "/assets",
            {"name": "a", "tags": [{"tag_type": "nfc", "value": "v"}]},
            "tag_type",
            "tag_type must be one of: rfid, ble, barcode",
        ),
        (
            "/locations",
            {"name": "a", "external_key": "a/b"},
            "external_key",
            "external_key " + PATTERN_MESSAGE,
        ),
        (
            "/assets",
            {"name": "a\x00"},  # sent as the JSON escape \u0000
            "name",
            "name must not contain control characters (NUL, etc.)",
        ),
        (
            "/assets",
            {"name": "a", "metadata": "x"},
            "metadata",
            "metadata must be a JSON object",
        ),
        (
            "/locations",
            {"name": "a", "colour": "red"},
            "colour",
            'unknown field "colour" in request body',
        ),
    ],
)
async def test_message_templates(caller, path, body, field, message):
    # VAL-6: the wording of each template; body numbers use >= and <=, path and
    # query numbers ≥ and ≤
    r = await (caller.get(path) if body is None else caller.post(path, body))
    assert r.status == 400, r
    assert [(f["field"], f["message"]) for f in r.error["fields"]] == [(field, message)]


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/assets", "/locations"])
async def test_valid_from_defaults_to_creation_and_null_valid_to_never_expires(
    caller, path
):
    # DATE-6: an omitted valid_from is the creation instant; null valid_from is
    # invalid_value on POST and PATCH; null valid_to means no expiry on both
    r = await caller.post(path, {"name": "a", "valid_to": None})
    assert r.status == 201, r
    made = r.json()["data"]
    assert made["valid_from"] == made["created_at"]
    assert made["valid_to"] is None

    r = await caller.post(path, {"name": "b", "valid_from": None})
    assert fields(r) == [("valid_from", "invalid_value")]
    r = await caller.patch(f"{path}/{made['id']}", {"valid_from": None})
    assert fields(r) == [("valid_from", "invalid_value")]

    r = await caller.post(
        path, {"name": "c", "external_key": "EXP", "valid_to": "2001-01-01T00:00:00Z"}
    )
    expired = r.json()["data"]
    listed = await caller.get(f"{path}?external_key=EXP")
    assert listed.json()["total_count"] == 0  # not currently effective
    r = await caller.patch(f"{path}/{expired['id']}", {"valid_to": None})
    assert r.status == 200, r
    assert r.json()["data"]["valid_to"] is None
    listed = await caller.get(f"{path}?external_key=EXP")
    assert [row["id"] for row in listed.json()["data"]] == [expired["id"]]


@pytest.mark.gen_test
async def test_ids_are_server_assigned_and_never_reused(caller):
    # ID-2: a create body cannot choose an id, and a soft-deleted row keeps its
    # id, so later rows never get it back (assets, locations and tags alike)
    for path in ("/assets", "/locations"):
        r = await caller.post(path, {"name": "a", "id": 4242})
        assert fields(r) == [("id", "unknown_field")]

    ids = {"asset": [], "location": [], "tag": []}
    for _ in range(2):
        asset = await caller.asset(tags=[{"value": "A-TAG"}])
        place = await caller.location(tags=[{"value": "L-TAG"}])
        ids["asset"].append(asset["id"])
        ids["location"].append(place["id"])
        ids["tag"] += [asset["tags"][0]["id"], place["tags"][0]["id"]]
        # deleting the newest row frees its key and tags (EK-3), not its id
        assert (await caller.delete(f"/assets/{asset['id']}")).status == 204
        assert (await caller.delete(f"/locations/{place['id']}")).status == 204

    holder = await caller.asset()
    for _ in range(2):
        r = await caller.post(f"/assets/{holder['id']}/tags", {"value": "MOVING"})
        assert r.status == 201, r
        tag_id = r.json()["data"]["id"]
        ids["tag"].append(tag_id)
        r = await caller.delete(f"/assets/{holder['id']}/tags/{tag_id}")
        assert r.status == 204
    ids["asset"].append(holder["id"])

    for kind, seen in ids.items():
        assert len(set(seen)) == len(seen), (kind, seen)
