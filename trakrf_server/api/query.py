"""Query-string parsing shared by every API handler (PAGE-4, VAL-10)."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from trakrf_server.errors import FieldError, field_error


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
