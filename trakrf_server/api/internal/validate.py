"""Request bodies and path parameters of the web-app endpoints.

Usage::

    class LoginBody(BodyModel):
        email: Email
        password: str

    body = parse_body(LoginBody, self.request.body)

``parse_body`` decodes strictly (VAL-2/3), validates with the pydantic model and
turns pydantic's errors into the contract's envelope (INT-5): a value of the
wrong JSON type becomes VAL-2's ``bad_request``; every other problem becomes
one ``fields[]`` entry with a VAL-5 code and a VAL-6 message. Unknown keys are
ignored on this surface, so models use ``extra="ignore"``.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from trakrf_server import jsonbody
from trakrf_server.auth.passwords import MAX_PASSWORD_BYTES, MIN_PASSWORD_CHARS
from trakrf_server.errors import (
    ApiError,
    FieldError,
    bad_request,
    validation,
)
from trakrf_server.models import ROLES
from trakrf_server.services.validation import has_control, parse_integer, path_id

M = TypeVar("M", bound="BodyModel")

# Errors a validator raises itself carry this prefix and a VAL-5 code, so they
# never mix with pydantic's own error types of the same name.
OWN = "contract:"
# Context keys that are VAL-4 params; anything else only fills the message.
PARAM_KEYS = ("min_length", "max_length", "min", "max", "allowed_values")
MAX_ID = 2147483647


def problem(code: str, template: str, **ctx: Any) -> PydanticCustomError:
    """An error for a field validator to raise: a VAL-5 code and a message.

    ``{field}`` in the template becomes the field name; other placeholders
    come from ``ctx``, whose VAL-4 param keys also become ``params``.
    """
    return PydanticCustomError(OWN + code, template, ctx or None)


class BodyModel(BaseModel):
    """Base of every internal request body: exact JSON types, extra keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


# --- reusable field types -------------------------------------------------------


# Longer than any address RFC 5321 allows (64 + 1 + 255). email_validator takes
# time in proportion to the string and runs on the event loop, so a body of
# megabytes in one e-mail field would stall every other request meanwhile.
MAX_EMAIL_CHARS = 320


def is_email(value: str) -> bool:
    """Whether ``value`` is an e-mail address the endpoints accept."""
    if len(value) > MAX_EMAIL_CHARS:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _check_email(value: str) -> str:
    if not is_email(value):
        raise problem("invalid_value", "{field} must be a valid email address")
    return value.strip()


def _check_password_bytes(value: str) -> str:
    # bcrypt reads at most 72 bytes; a longer password is refused, never cut.
    if len(value.encode("utf-8", "surrogatepass")) > MAX_PASSWORD_BYTES:
        raise problem(
            "too_long",
            "{field} must be at most {max_length} bytes",
            max_length=MAX_PASSWORD_BYTES,
        )
    return value


def _check_role(value: str) -> str:
    if value not in ROLES:
        raise problem(
            "invalid_value",
            "{field} must be one of: " + ", ".join(ROLES),
            allowed_values=list(ROLES),
        )
    return value


def _check_no_control(value: str) -> str:
    # VAL-9's free-text rule, for names people type on these endpoints too.
    if has_control(value):
        raise problem(
            "invalid_value", "{field} must not contain control characters (NUL, etc.)"
        )
    return value


Email = Annotated[str, AfterValidator(_check_email)]
# Free text (names): no C0 controls other than TAB, LF, CR, and no DEL. Put it
# after the length constraints so their errors keep the string wording.
NoControl = AfterValidator(_check_no_control)
Password = Annotated[
    str, Field(min_length=MIN_PASSWORD_CHARS), AfterValidator(_check_password_bytes)
]
Role = Annotated[str, AfterValidator(_check_role)]


# --- translation ----------------------------------------------------------------


def parse_body(model: type[M], raw: bytes, bad_json: str | None = None) -> M:
    """The validated body, or the INT-5 400.

    ``bad_json`` replaces VAL-2's details where an endpoint names its own
    (INT-81's ``Invalid JSON body``).
    """
    try:
        document = jsonbody.decode_object(raw)
    except ApiError as exc:
        if bad_json is None:
            raise
        raise bad_request(bad_json) from exc
    return validate_document(model, document)


def validate_document(model: type[M], document: dict[str, Any]) -> M:
    """``document`` (already decoded) as ``model``, or the INT-5 400."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise translate(exc, document) from None


def translate(exc: ValidationError, document: dict[str, Any]) -> ApiError:
    """pydantic's errors as one ApiError: wrong types first, else ``fields[]``."""
    fields: list[FieldError] = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        entry = _field_entry(name, error, document)
        if isinstance(entry, ApiError):
            return entry
        fields.append(entry)
    return validation(fields)


def _field_entry(
    name: str, error: dict[str, Any], document: dict[str, Any]
) -> FieldError | ApiError:
    kind = error["type"]
    ctx = error.get("ctx") or {}

    if kind == "missing" or (_is_type_error(kind) and document.get(name) is None):
        # An explicit null on a key that takes none counts as absent.
        return FieldError(name, "required", f"{name} is required")
    if _is_type_error(kind):
        return bad_request(
            f'Body field "{name}" could not be decoded as the expected type'
        )

    if kind == "string_too_short":
        n = ctx["min_length"]
        return FieldError(
            name,
            "too_short",
            f"{name} must be at least {n} character(s)",
            {"min_length": n},
        )
    if kind == "string_too_long":
        n = ctx["max_length"]
        return FieldError(
            name,
            "too_long",
            f"{name} must be at most {n} characters",
            {"max_length": n},
        )
    if kind == "too_short":
        n = ctx["min_length"]
        return FieldError(
            name,
            "too_short",
            f"{name} must contain at least {n} item(s)",
            {"min_length": n},
        )
    if kind == "too_long":
        n = ctx["max_length"]
        return FieldError(
            name,
            "too_long",
            f"{name} must contain at most {n} item(s)",
            {"max_length": n},
        )
    if kind == "greater_than_equal":
        n = ctx["ge"]
        return FieldError(name, "too_small", f"{name} must be >= {n}", {"min": n})
    if kind == "less_than_equal":
        n = ctx["le"]
        return FieldError(name, "too_large", f"{name} must be <= {n}", {"max": n})
    if kind.startswith(OWN):
        message = error["msg"].replace("{field}", name)
        params = {k: v for k, v in ctx.items() if k in PARAM_KEYS}
        return FieldError(name, kind[len(OWN) :], message, params or None)
    return FieldError(name, "invalid_value", f"{name} is invalid")


def _is_type_error(kind: str) -> bool:
    return kind.endswith("_type") or kind in ("int_from_float", "is_instance_of")


# --- path parameters ------------------------------------------------------------


def org_id_param(raw: str) -> int:
    """INT-51: the ``{id}`` of an org-scoped path, or 400 ``Invalid organization ID``.

    An integer outside the id range names no organization; it is returned as 0
    so the membership gate answers as it does for any unknown org.
    """
    value = parse_integer(raw)
    if value is None:
        raise bad_request("Invalid organization ID")
    return value if 1 <= value <= MAX_ID else 0


def id_param(name: str, raw: str) -> int:
    """A nested path id per CONTRACT ID-3 (field = the parameter name)."""
    return path_id(name, raw)
