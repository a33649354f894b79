"""The error types of the API and the one envelope every failure leaves in.

Raise ``ApiError`` (or a helper below) anywhere in a handler or a service; the
base handler's ``write_error`` turns it into CONTRACT §7's envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# ERR-2: the only types emitted, each with its fixed status and title.
TYPES: dict[str, tuple[int, str]] = {
    "validation_error": (400, "Validation failed"),
    "bad_request": (400, "Bad request"),
    "unauthorized": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "conflict": (409, "Conflict"),
    # Only the internal bulk-import upload emits this one (INT-101).
    "payload_too_large": (413, "Payload too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "missing_org_context": (422, "Missing org context"),
    "rate_limited": (429, "Rate limited"),
    "internal_error": (500, "Internal server error"),
}

INTERNAL_DETAIL = "An unexpected error occurred"


@dataclass
class FieldError:
    """One entry of ``fields[]`` (VAL-4)."""

    field: str
    code: str
    message: str
    params: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }
        if self.params:
            entry["params"] = self.params
        return entry


@dataclass
class ApiError(Exception):
    """A failure with a contract type; ``detail`` is what the client reads."""

    type: str
    detail: str = ""
    fields: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown error type {self.type!r}")
        if self.type == "validation_error" and not self.detail and self.fields:
            self.detail = summarize(self.fields)
        super().__init__(self.detail)

    @property
    def status(self) -> int:
        return TYPES[self.type][0]

    @property
    def title(self) -> str:
        return TYPES[self.type][1]


def summarize(fields: list[FieldError]) -> str:
    """ERR-6: the first message, then how many more there are."""
    first = fields[0].message
    more = len(fields) - 1
    if more == 0:
        return first
    noun = "validation error" if more == 1 else "validation errors"
    return f"{first} (and {more} more {noun})"


def validation(fields: list[FieldError]) -> ApiError:
    return ApiError("validation_error", fields=list(fields))


def field_error(name: str, code: str, message: str, **params: Any) -> ApiError:
    return validation([FieldError(name, code, message, params or None)])


def not_found(detail: str) -> ApiError:
    return ApiError("not_found", detail)


def conflict(detail: str) -> ApiError:
    return ApiError("conflict", detail)


def bad_request(detail: str) -> ApiError:
    return ApiError("bad_request", detail)


def forbidden(detail: str) -> ApiError:
    return ApiError("forbidden", detail)


def envelope(
    error_type: str,
    detail: str,
    instance: str,
    request_id: str,
    fields: list[FieldError] | None = None,
) -> dict[str, Any]:
    """The body of every non-2xx API response (ERR-1)."""
    status, title = TYPES[error_type]
    body: dict[str, Any] = {
        "type": error_type,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if error_type == "validation_error" and fields:
        body["fields"] = [f.to_json() for f in fields]
    return {"error": body}
