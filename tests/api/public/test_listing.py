"""List pagination, filters and sort on /assets and /locations (CONTRACT §13 PAGE)."""

import logging
from urllib.parse import quote

import pytest

from tests.api.public.conftest import fields


@pytest.mark.gen_test
async def test_envelope_defaults_and_past_the_end(caller):
    # SURF-3, PAGE-1, PAGE-2, PAGE-3
    await caller.asset()
    r = await caller.get("/assets")
    body = r.json()
    assert set(body) == {"data", "limit", "offset", "total_count"}
    assert (body["limit"], body["offset"], body["total_count"]) == (50, 0, 1)
    r = await caller.get("/assets?offset=5&limit=1")
    body = r.json()
    assert body["data"] == [] and body["total_count"] == 1
    assert (body["limit"], body["offset"]) == (1, 5)


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "query,entry",
    [
        (
            "limit=x",
            ("limit", "invalid_value", "limit must be a positive integer", None),
        ),
        ("limit=0", ("limit", "too_small", "limit must be ≥ 1", {"min": 1})),
        ("limit=201", ("limit", "too_large", "limit must be ≤ 200", {"max": 200})),
        (
            "offset=1.5",
            ("offset", "invalid_value", "offset must be a non-negative integer", None),
        ),
        ("offset=-1", ("offset", "too_small", "offset must be ≥ 0", {"min": 0})),
        (
            "offset=2147483648",
            ("offset", "too_large", "offset must be ≤ 2147483647", {"max": 2147483647}),
        ),
        (
            "is_active=yes",
            ("is_active", "invalid_value", "is_active must be 'true' or 'false'", None),
        ),
        (
            "include_deleted=1",
            (
                "include_deleted",
                "invalid_value",
                "include_deleted must be 'true' or 'false'",
                None,
            ),
        ),
        (
            "external_key=a_b",
            (
                "external_key",
                "invalid_value",
                'external_key "a_b" must match ^[A-Za-z0-9-]+$',
                None,
            ),
        ),
        (
            "external_key=",
            (
                "external_key",
                "invalid_value",
                'external_key "" must match ^[A-Za-z0-9-]+$',
                None,
            ),
        ),
        (
            "location_id=x",
            (
                "location_id",
                "invalid_value",
                'location_id "x" must be a positive integer ≤ 2147483647',
                None,
            ),
        ),
        (
            "location_id=0",
            ("location_id", "too_small", "location_id must be ≥ 1", {"min": 1}),
        ),
        (
            "location_id=2147483648",
            (
                "location_id",
                "too_large",
                "location_id must be ≤ 2147483647",
                {"max": 2147483647},
            ),
        ),
        ("sort=colour", ("sort", "invalid_value", "unknown sort field: colour", None)),
        ("sort=name,", ("sort", "invalid_value", "unknown sort field: ", None)),
        (
            "q=a%01b",
            (
                "q",
                "invalid_value",
                "q must not contain control characters (NUL, etc.)",
                None,
            ),
        ),
        ("q=%FF", ("q", "invalid_value", "q is not valid UTF-8", None)),
    ],
)
async def test_query_errors(caller, query, entry):
    # PAGE-1, 2, 7, 8, 9 (DEC-7), 12, VAL-9, VAL-10
    r = await caller.get(f"/assets?{query}")
    assert r.status == 400, r
    name, code, message, params = entry
    expected = {"field": name, "code": code, "message": message}
    if params:
        expected["params"] = params
    assert r.error["fields"] == [expected]


# More digits than int() converts (4300): each was a 500.
HUGE = "9" * 5000


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "path,query,entry",
    [
        ("/assets", f"limit={HUGE}", ("limit", "too_large", {"max": 200})),
        ("/assets", f"limit=-{HUGE}", ("limit", "too_small", {"min": 1})),
        ("/assets", f"offset={HUGE}", ("offset", "too_large", {"max": 2147483647})),
        (
            "/assets",
            f"location_id={HUGE}",
            ("location_id", "too_large", {"max": 2147483647}),
        ),
        ("/assets", f"location_id=-{HUGE}", ("location_id", "too_small", {"min": 1})),
        (
            "/locations",
            f"parent_id={HUGE}",
            ("parent_id", "too_large", {"max": 2147483647}),
        ),
        (
            "/reports/asset-locations",
            f"location_id={HUGE}",
            ("location_id", "too_large", {"max": 2147483647}),
        ),
    ],
)
async def test_integers_of_any_length(caller, path, query, entry):
    # PAGE-1, PAGE-2, PAGE-9, ERR-5
    r = await caller.get(f"{path}?{query}")
    assert r.status == 400, r
    name, code, params = entry
    (got,) = r.error["fields"]
    assert (got["field"], got["code"], got["params"]) == (name, code, params)
    r = await caller.get(f"{path}?limit={'0' * 5000}7")
    assert r.status == 200 and r.json()["limit"] == 7


@pytest.mark.gen_test
async def test_unknown_parameters_sorted(caller):
    # PAGE-5
    r = await caller.get("/assets?zz=1&parent_id=2&limit=1")
    assert r.error["fields"] == [
        {
            "field": "parent_id",
            "code": "invalid_value",
            "message": "unknown parameter: parent_id",
        },
        {"field": "zz", "code": "invalid_value", "message": "unknown parameter: zz"},
    ]
    r = await caller.get("/locations?location_id=1")
    assert fields(r) == [("location_id", "invalid_value")]


@pytest.mark.gen_test
async def test_first_occurrence_wins_and_booleans_any_case(caller):
    # PAGE-4, PAGE-7
    await caller.asset(is_active=False)
    await caller.asset()
    r = await caller.get("/assets?limit=1&limit=x&is_active=FALSE&is_active=true")
    body = r.json()
    assert body["limit"] == 1 and body["total_count"] == 1
    assert body["data"][0]["is_active"] is False


@pytest.mark.gen_test
async def test_paired_filters_ambiguous(caller):
    # PAGE-11
    r = await caller.get("/assets?location_id=1&location_external_key=A&location_id=2")
    assert r.error["fields"] == [
        {
            "field": "location_id",
            "code": "ambiguous_fields",
            "message": "location_id and location_external_key are mutually exclusive; "
            "supply exactly one",
        },
        {
            "field": "location_external_key",
            "code": "ambiguous_fields",
            "message": "location_id and location_external_key are mutually exclusive; "
            "supply exactly one",
        },
    ]
    r = await caller.get("/locations?parent_external_key=A&parent_id=1")
    assert fields(r) == [
        ("parent_id", "ambiguous_fields"),
        ("parent_external_key", "ambiguous_fields"),
    ]


@pytest.mark.gen_test
async def test_repeatable_external_key_filter(caller):
    # PAGE-6, ASSET-10: any-of; a miss is an empty page
    for key in ("A-1", "B-1", "C-1"):
        await caller.asset(external_key=key)
    r = await caller.get("/assets?external_key=C-1&external_key=A-1")
    assert [a["external_key"] for a in r.json()["data"]] == ["A-1", "C-1"]
    r = await caller.get("/assets?external_key=NOPE")
    assert r.status == 200 and r.json()["data"] == []


@pytest.mark.gen_test
async def test_filters_repeated_past_a_thousand_values(caller):
    # PAGE-6, ERR-1, REQ-1: however many values fit in the request, the answer
    # is the list or the envelope (Tornado alone refused over 1000 fields)
    await caller.asset(external_key="K-7")
    keys = "&".join(f"external_key=K-{n}" for n in range(1500))
    r = await caller.get(f"/assets?{keys}")
    assert r.status == 200, r
    assert [a["external_key"] for a in r.json()["data"]] == ["K-7"]

    unknown = "&".join(f"p{n}=1" for n in range(1200))
    r = await caller.get(f"/locations?{unknown}", headers={"X-Request-ID": "many"})
    assert r.status == 400 and r.error["request_id"] == "many"
    assert len(r.error["fields"]) == 1200


@pytest.mark.gen_test
async def test_sort_fields_directions_and_code_point_order(caller):
    # PAGE-12, PAGE-14: case-sensitive code-point order, id tiebreak
    names = ["b", "B", "a", "é", "Z"]
    for i, name in enumerate(names):
        await caller.asset(external_key=f"K{i}", name=name)
    r = await caller.get("/assets?sort=name")
    assert [a["name"] for a in r.json()["data"]] == ["B", "Z", "a", "b", "é"]
    r = await caller.get("/assets?sort=-name")
    assert [a["name"] for a in r.json()["data"]] == ["é", "b", "a", "Z", "B"]
    r = await caller.get("/assets?sort=%20-created_at%20")
    assert [a["external_key"] for a in r.json()["data"]] == [
        "K4",
        "K3",
        "K2",
        "K1",
        "K0",
    ]
    r = await caller.get("/assets?sort=")
    assert [a["external_key"] for a in r.json()["data"]] == [f"K{i}" for i in range(5)]


@pytest.mark.gen_test
async def test_repeated_sort_fields(caller):
    # PAGE-12, ERR-5: the first occurrence of a field decides its direction;
    # thousands of items were a 500 (too many terms in ORDER BY)
    for key, name in (("A", "b"), ("B", "a")):
        await caller.asset(external_key=key, name=name)
    r = await caller.get("/assets?sort=" + ",".join(["-name", "name"] * 1500))
    assert r.status == 200, r
    assert [a["external_key"] for a in r.json()["data"]] == ["A", "B"]
    r = await caller.get("/assets?sort=name,-external_key,-name")
    assert [a["external_key"] for a in r.json()["data"]] == ["B", "A"]
    r = await caller.get("/assets?sort=" + ",".join(["name"] * 3000) + ",bogus")
    assert r.error["fields"][0]["message"] == "unknown sort field: bogus"


@pytest.mark.gen_test
async def test_pagination_is_deterministic_with_ties(caller):
    # PAGE-12, DEC-18: equal sort values are broken by id, pages never overlap
    ids = [(await caller.asset(name="same"))["id"] for _ in range(7)]
    seen = []
    for offset in range(0, 7, 3):
        r = await caller.get(f"/assets?sort=name&limit=3&offset={offset}")
        seen += [a["id"] for a in r.json()["data"]]
    assert seen == sorted(ids)
    r = await caller.get("/assets?sort=-name,updated_at&limit=7")
    assert [a["id"] for a in r.json()["data"]] == sorted(ids)


@pytest.mark.gen_test
async def test_q_is_a_literal_case_insensitive_substring(caller):
    # PAGE-10, DEC-14: % and _ are not wildcards
    await caller.asset(external_key="P1", name="100% cotton")
    await caller.asset(external_key="P2", name="1000 cotton")
    await caller.asset(external_key="P3", name="a_b")
    await caller.asset(external_key="P4", name="axb", description="Big CRATE")
    r = await caller.get("/assets?q=0%25")
    assert [a["external_key"] for a in r.json()["data"]] == ["P1"]
    r = await caller.get("/assets?q=a_b")
    assert [a["external_key"] for a in r.json()["data"]] == ["P3"]
    r = await caller.get("/assets?q=crate")
    assert [a["external_key"] for a in r.json()["data"]] == ["P4"]
    r = await caller.get("/assets?q=p2")
    assert [a["external_key"] for a in r.json()["data"]] == ["P2"]
    r = await caller.get("/assets?q=")
    assert r.json()["total_count"] == 4


@pytest.mark.gen_test
async def test_q_folds_case_beyond_ascii(caller):
    # PAGE-10: case-insensitive for every letter, not ASCII letters only
    await caller.asset(external_key="E1", name="Émile Öberg")
    await caller.asset(external_key="E2", description="ΣΟΦΊΑ")
    await caller.asset(external_key="E3", name="emile", tags=[{"value": "ÅB"}])
    for q, keys in (
        ("émile", ["E1"]),
        ("ÉMILE", ["E1"]),
        ("öberg", ["E1"]),
        ("σοφία", ["E2"]),
        ("åb", ["E3"]),
        ("EMILE", ["E3"]),
    ):
        r = await caller.get(f"/assets?q={quote(q)}&sort=external_key")
        assert [a["external_key"] for a in r.json()["data"]] == keys, q


@pytest.mark.gen_test
async def test_q_matches_live_tag_values_only(caller):
    # PAGE-10: values of live tags
    a = await caller.asset(external_key="T1", tags=[{"value": "E2801160"}])
    loc = await caller.location(external_key="L1", tags=[{"value": "LOCTAG"}])
    r = await caller.get("/assets?q=1160")
    assert [x["id"] for x in r.json()["data"]] == [a["id"]]
    r = await caller.get("/locations?q=loctag")
    assert [x["id"] for x in r.json()["data"]] == [loc["id"]]
    tag_id = a["tags"][0]["id"]
    await caller.delete(f"/assets/{a['id']}/tags/{tag_id}")
    r = await caller.get("/assets?q=1160")
    assert r.json()["data"] == []


@pytest.mark.gen_test
async def test_default_scope_live_and_currently_effective(caller):
    # PAGE-15, DATE-7
    live = await caller.asset(external_key="LIVE")
    await caller.asset(external_key="FUTURE", valid_from="2999-01-01T00:00:00Z")
    await caller.asset(external_key="PAST", valid_to="2001-01-01T00:00:00Z")
    await caller.asset(
        external_key="EMPTY",
        valid_from="2030-01-01T00:00:00Z",
        valid_to="2020-01-01T00:00:00Z",
    )
    gone = await caller.asset(external_key="GONE")
    old_gone = await caller.asset(
        external_key="OLDGONE", valid_to="2001-01-01T00:00:00Z"
    )
    await caller.delete(f"/assets/{gone['id']}")
    await caller.delete(f"/assets/{old_gone['id']}")
    r = await caller.get("/assets")
    assert [a["id"] for a in r.json()["data"]] == [live["id"]]
    r = await caller.get("/assets?include_deleted=true")
    data = r.json()["data"]
    assert [a["external_key"] for a in data] == ["GONE", "LIVE"]
    assert data[0]["deleted_at"] is not None


@pytest.mark.gen_test
@pytest.mark.parametrize("path", ["/assets", "/locations"])
async def test_deleted_at_is_null_until_the_soft_delete(caller, path):
    # DATE-9: null on live rows; the soft-delete instant afterwards, which is
    # also the row's last updated_at (DATE-8)
    r = await caller.post(path, {"name": "a", "external_key": "GONE"})
    made = r.json()["data"]
    assert made["deleted_at"] is None
    got = await caller.get(f"{path}/{made['id']}")
    assert got.json()["data"]["deleted_at"] is None
    listed = await caller.get(f"{path}?include_deleted=true")
    assert [row["deleted_at"] for row in listed.json()["data"]] == [None]

    assert (await caller.delete(f"{path}/{made['id']}")).status == 204
    listed = await caller.get(f"{path}?include_deleted=true&external_key=GONE")
    (row,) = listed.json()["data"]
    assert row["deleted_at"] is not None
    assert row["deleted_at"].endswith("Z") and len(row["deleted_at"]) == 24
    assert row["deleted_at"] == row["updated_at"]
    assert row["deleted_at"] >= made["created_at"]


@pytest.mark.gen_test
async def test_is_active_independent_of_deletion(caller):
    # PAGE-15
    await caller.asset(external_key="ON")
    await caller.asset(external_key="OFF", is_active=False)
    r = await caller.get("/assets?is_active=true")
    assert [a["external_key"] for a in r.json()["data"]] == ["ON"]


@pytest.mark.gen_test
async def test_location_sort_allowlist(caller):
    # PAGE-12: updated_at is not sortable on /locations
    r = await caller.get("/locations?sort=updated_at")
    assert r.error["fields"][0]["message"] == "unknown sort field: updated_at"


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        self.statements.append(record.getMessage())


async def _statements_for(caller, path):
    counter = _Counter()
    logger = logging.getLogger("peewee")
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        r = await caller.get(path)
    finally:
        logger.removeHandler(counter)
        logger.setLevel(old_level)
    assert r.status == 200, r
    return [s for s in counter.statements if "SELECT" in s], r


def _without_totals(statements):
    """Leaves out the count and the API key's lookup: both may be answered
    from memory on a later request (services/totals.py, auth/keycache.py)."""
    return [s for s in statements if "COUNT(CASE" not in s and '"api_key"' not in s]


@pytest.mark.gen_test
async def test_list_statement_count_does_not_grow_with_page_size(caller):
    # Lists stay cheap: count + page + one query for every row's tags
    place = await caller.location(external_key="HERE")
    for i in range(12):
        await caller.asset(
            location_id=place["id"],
            tags=[{"value": f"A{i}"}, {"tag_type": "ble", "value": f"B{i}"}],
        )
        await caller.location(parent_id=place["id"], tags=[{"value": f"L{i}"}])
    small, r1 = await _statements_for(caller, "/assets?limit=2")
    large, r2 = await _statements_for(caller, "/assets?limit=12")
    assert len(r1.json()["data"]) == 2 and len(r2.json()["data"]) == 12
    assert all(len(a["tags"]) == 2 for a in r2.json()["data"])
    # The asset total may be answered from memory on the second request
    # (services/totals.py), so its count statement is left out here.
    small, large = _without_totals(small), _without_totals(large)
    assert len(small) == len(large) == 2, large

    small, _ = await _statements_for(caller, "/locations?limit=1")
    large, r3 = await _statements_for(caller, "/locations?limit=13&q=LOC-")
    assert len(r3.json()["data"]) == 12
    small, large = _without_totals(small), _without_totals(large)
    assert 2 <= len(small) == len(large) <= 3, large


@pytest.mark.gen_test
async def test_control_characters_reported_with_other_problems(caller):
    # VAL-1, VAL-9: one 400 lists every bad parameter, in parameter order
    r = await caller.get("/assets?q=a%01&limit=0&is_active=x")
    assert fields(r) == [
        ("limit", "too_small"),
        ("is_active", "invalid_value"),
        ("q", "invalid_value"),
    ]
    # a later occurrence of a single-valued parameter is checked too
    r = await caller.get("/assets?limit=1&limit=%7F")
    assert fields(r) == [("limit", "invalid_value")]
    assert "control characters" in r.error["fields"][0]["message"]


@pytest.mark.gen_test
async def test_q_longer_than_any_searched_value(caller):
    # PAGE-10, ERR-5: a q as long as a description still matches it; a longer
    # one matches nothing (SQLite used to refuse it as a too-long LIKE pattern,
    # a 500)
    text = "a" * 1024
    await caller.asset(external_key="LONG-A", description=text)
    await caller.location(external_key="LONG-L", description=text)
    for path in ("/assets", "/locations"):
        r = await caller.get(f"{path}?q={text}")
        assert r.status == 200 and r.json()["total_count"] == 1, r
        r = await caller.get(f"{path}?q={text}a")
        assert r.status == 200 and r.json()["total_count"] == 0, r
        r = await caller.get(f"{path}?q={'a' * 60000}")
        assert r.status == 200, r
        assert r.json()["data"] == [] and r.json()["total_count"] == 0


@pytest.mark.gen_test
@pytest.mark.parametrize("space", ["%20", "%09", "+"])
async def test_query_integers_take_no_whitespace(caller, space):
    # PAGE-1, PAGE-2, PAGE-9: one rule for every query integer, the one ID-3
    # gives path ids: an optional sign and base-10 digits, nothing around them
    # (a "+" in a query string is a space).
    loc = await caller.location()
    invalid = {
        "limit": "limit must be a positive integer",
        "offset": "offset must be a non-negative integer",
    }
    for name, message in invalid.items():
        for value in (f"{space}5", f"5{space}", f"{space}5{space}"):
            for path in ("/assets", f"/locations/{loc['id']}/children"):
                r = await caller.get(f"{path}?{name}={value}")
                assert r.status == 400, (path, name, value)
                assert [
                    (f["field"], f["code"], f["message"]) for f in r.error["fields"]
                ] == [(name, "invalid_value", message)], (path, name, value)
    for name, path in (("location_id", "/assets"), ("parent_id", "/locations")):
        r = await caller.get(f"{path}?{name}=5{space}")
        assert fields(r) == [(name, "invalid_value")]


@pytest.mark.gen_test
async def test_query_integers_take_a_sign_as_path_ids_do(caller):
    # ID-3, PAGE-1, PAGE-2, PAGE-9: "+5" and "-5" are base-10 integers
    loc = await caller.location()
    await caller.asset(location_id=loc["id"])
    r = await caller.get(f"/assets?limit=%2B1&offset=%2B0&location_id=%2B{loc['id']}")
    assert r.status == 200 and (r.json()["limit"], r.json()["offset"]) == (1, 0)
    assert len(r.json()["data"]) == 1
    r = await caller.get(f"/locations/%2B{loc['id']}")
    assert r.status == 200
    r = await caller.get("/assets?limit=-5")
    assert fields(r) == [("limit", "too_small")]
