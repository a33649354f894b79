"""Strict JSON bodies (VAL-2/3) and timestamps (DATE-1…5)."""

from datetime import UTC, datetime

import pytest

from trakrf_server import jsonbody
from trakrf_server.errors import ApiError
from trakrf_server.timeutil import (
    format_micros,
    format_ts,
    from_micros,
    parse_rfc3339,
    to_micros,
)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b'{"a":NaN}',
        b'{"a":Infinity}',
        # VAL-3: numbers that overflow a double would be stored as infinity
        # and sent back as Infinity, which is not JSON (SURF-2).
        b'{"a":1e400}',
        b'{"a":{"b":[-1e400]}}',
        b'{"a":1} x',
        b'{"a":"\x01"}',
        b'{"a":"\x00"}',
        b"\xff\xfe",
        b'{"a": 1}\x00',
        b'{"a":1e999}',
        b'{"a":[-1.5E400]}',
    ],
)
def test_not_json(raw):
    # VAL-2 row 1, VAL-3
    with pytest.raises(ApiError) as caught:
        jsonbody.decode_object(raw)
    assert caught.value.type == "bad_request"
    assert caught.value.detail == "Request body is not valid JSON"


def test_null_and_non_object_bodies():
    # VAL-2 rows 2 and 3
    with pytest.raises(ApiError) as caught:
        jsonbody.decode_object(b"null")
    assert caught.value.detail == "Request body must be a JSON object (RFC 7396)"
    for raw in (b"[]", b'"x"', b"1", b"true"):
        with pytest.raises(ApiError) as caught:
            jsonbody.decode_object(raw)
        assert (
            caught.value.detail
            == "Request body could not be decoded as the expected type"
        )


def test_lone_surrogates_replaced():
    # VAL-3
    assert jsonbody.decode_object(b'{"a":"x\\ud800y"}') == {"a": "x\ufffdy"}


def test_format_is_fixed_milliseconds_truncated():
    # DATE-1, DATE-4
    value = datetime(2026, 4, 24, 15, 30, 0, 999999, tzinfo=UTC)
    assert format_ts(value) == "2026-04-24T15:30:00.999Z"
    assert format_ts(None) is None


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-24T15:30:00.999999Z",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999500Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z",
        "2024-02-29T12:00:00.000999Z",
    ],
)
def test_stored_values_format_like_instants(text):
    # DATE-1 on list pages, which format stored microseconds directly.
    instant = parse_rfc3339(text)
    assert format_micros(to_micros(instant)) == format_ts(instant)
    assert format_micros(None) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-04-24T20:30:00+05:00", "2026-04-24T15:30:00.000Z"),  # DATE-3
        ("2026-04-24T15:30:00.123456789Z", "2026-04-24T15:30:00.123Z"),  # DATE-4
        ("2026-04-24T15:30:00.1Z", "2026-04-24T15:30:00.100Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"),
    ],
)
def test_parse_valid(text, expected):
    assert format_ts(parse_rfc3339(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-04-24",
        "2026-04-24 15:30:00Z",
        "2026-04-24T15:30:00",
        "",
        "2026-02-30T00:00:00Z",
        "2026-04-24T24:00:00Z",
        "2026-04-24T15:60:00Z",
        "2026-04-24t15:30:00z",
        "2026-04-24T15:30:00.Z",
        "2026-04-24T15:30:00.1234567890Z",
        # ASCII digits only, nothing after the offset (not even a newline)
        "2026-04-24T15:30:00Z\n",
        "2026-04-24T15:30:00+05:00\n",
        "\u0662\u0660\u0662\u0666-04-24T15:30:00Z",
        "\uff12\uff10\uff12\uff16-04-24T15:30:00Z",
        "2026-04-24T15:30:00.\uff11Z",
        "2026-04-24T15:30:00.\u0661\u0662\u0663Z",
        "2026-04-24T15:30:00+\u0660\u0665:00",
    ],
)
def test_parse_invalid(text):
    # DATE-2
    assert parse_rfc3339(text) is None


def test_micros_round_trip_including_early_years():
    for value in (
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert from_micros(to_micros(value)) == value


def nested(depth: int) -> bytes:
    """An object whose ``m`` key holds lists nested so the body is ``depth`` deep."""
    return b'{"m":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def test_nesting_up_to_the_bound_is_kept():
    # VAL-3: any valid body up to MAX_DEPTH decodes unchanged
    value = jsonbody.decode_object(nested(jsonbody.MAX_DEPTH))
    depth, inner = 1, value["m"]
    while inner:
        depth, inner = depth + 1, inner[0]
    assert depth == jsonbody.MAX_DEPTH - 1


@pytest.mark.parametrize("depth", [101, 500, 990, 100_000])
def test_deeper_nesting_is_not_json(depth):
    # VAL-2 row 1: refused the same way at every depth, never a RecursionError
    with pytest.raises(ApiError) as caught:
        jsonbody.decode_object(nested(depth))
    assert caught.value.detail == "Request body is not valid JSON"


def test_lone_surrogates_replaced_deep_inside_and_in_keys():
    # VAL-3
    raw = b'{"a":[{"\\udc00k":["x\\ud800"]}]}'
    assert jsonbody.decode_object(raw) == {"a": [{"\ufffdk": ["x\ufffd"]}]}
