"""Query-string parsing shared by every API handler (PAGE-4, VAL-10)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from trakrf_server.errors import FieldError, field_error
from trakrf_server.services.validation import parse_integer


def parse_query(raw: str) -> dict[str, list[str]]:
    """Every parameter with all its values, in order, as text.

    Tornado decodes the request target as latin-1; the bytes are recovered and
    decoded as UTF-8 here so invalid UTF-8 becomes a validation error on the
    parameter (VAL-10) instead of a non-envelope 400.
    """
    params: dict[str, list[str]] = {}
    if not raw:
        return params
    for pair in raw.split("&"):
        if not pair:
            continue
        name_raw, _, value_raw = pair.partition("=")
        name_bytes = unquote_to_bytes(name_raw.replace("+", " ").encode("latin-1"))
        value_bytes = unquote_to_bytes(value_raw.replace("+", " ").encode("latin-1"))
        name = name_bytes.decode("utf-8", "replace")
        try:
            value = value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise field_error(
                name, "invalid_value", f"{name} is not valid UTF-8"
            ) from None
        params.setdefault(name, []).append(value)
    return params


def unknown_parameters(
    params: dict[str, list[str]], allowed: set[str]
) -> list[FieldError]:
    """PAGE-5 / ORG-4: one entry per unknown parameter, sorted by name."""
    return [
        FieldError(name, "invalid_value", f"unknown parameter: {name}")
        for name in sorted(params)
        if name not in allowed
    ]


MAX_OFFSET = 2147483647


def limit_offset(params: dict[str, list[str]]) -> tuple[int, int, list[FieldError]]:
    """PAGE-1/2: ``limit`` (default 50, 1…200) and ``offset`` (default 0).

    Both are integers by the rule of path ids and id filters (ID-3, PAGE-9):
    an optional sign and base-10 digits, no surrounding whitespace. Only the
    first occurrence of each counts (PAGE-4). Returns the values and
    the field errors found, so callers can report them with others.
    """
    errors: list[FieldError] = []
    limit, offset = 50, 0
    if "limit" in params:
        value = parse_integer(params["limit"][0])
        if value is None:
            errors.append(
                FieldError("limit", "invalid_value", "limit must be a positive integer")
            )
        elif value < 1:
            errors.append(
                FieldError("limit", "too_small", "limit must be ≥ 1", {"min": 1})
            )
        elif value > 200:
            errors.append(
                FieldError("limit", "too_large", "limit must be ≤ 200", {"max": 200})
            )
        else:
            limit = value
    if "offset" in params:
        value = parse_integer(params["offset"][0])
        if value is None:
            errors.append(
                FieldError(
                    "offset", "invalid_value", "offset must be a non-negative integer"
                )
            )
        elif value < 0:
            errors.append(
                FieldError("offset", "too_small", "offset must be ≥ 0", {"min": 0})
            )
        elif value > MAX_OFFSET:
            errors.append(
                FieldError(
                    "offset",
                    "too_large",
                    f"offset must be ≤ {MAX_OFFSET}",
                    {"max": MAX_OFFSET},
                )
            )
        else:
            offset = value
    return limit, offset, errors
