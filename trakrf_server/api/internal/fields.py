"""Body-field checks shared by the scan-related internal endpoints.

Wrong JSON types are ``bad_request`` (VAL-2); values that parse but break a
rule are collected as ``FieldError``s so one 400 lists them all (VAL-1).
"""

from __future__ import annotations

from typing import Any

from trakrf_server.errors import FieldError
from trakrf_server.services.validation import (
    INT64_MAX,
    INT64_MIN,
    control_message,
    has_control,
    wrong_type,
)


def text(
    value: Any,
    key: str,
    problems: list[FieldError],
    max_length: int = 255,
    free_text: bool = True,
) -> str | None:
    """A 1…max_length string; ``None`` when it broke a rule (recorded)."""
    if not isinstance(value, str):
        raise wrong_type(key)
    if value == "":
        problems.append(
            FieldError(
                key,
                "too_short",
                f"{key} must be at least 1 character(s)",
                {"min_length": 1},
            )
        )
        return None
    if len(value) > max_length:
        problems.append(
            FieldError(
                key,
                "too_long",
                f"{key} must be at most {max_length} characters",
                {"max_length": max_length},
            )
        )
        return None
    if free_text and has_control(value):
        problems.append(FieldError(key, "invalid_value", control_message(key)))
        return None
    return value


def required(body: dict[str, Any], key: str, problems: list[FieldError]) -> Any:
    """The value of ``key``; absent or ``null`` is recorded as ``required``."""
    value = body.get(key)
    if value is None:
        problems.append(FieldError(key, "required", f"{key} is required"))
    return value


def integer(value: Any, key: str) -> int:
    """A JSON integer in the signed 64-bit range (``true``, ``1.0`` and
    ``2**63`` are wrong-type, VAL-3)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(key)
    if not INT64_MIN <= value <= INT64_MAX:
        raise wrong_type(key)
    return value
