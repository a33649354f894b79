"""The OpenAPI 3.0 document of the public API, generated from the code.

``build_document(table)`` walks the operation registry
(``api/operations.py``) and keeps an operation only when the route table sends
its path to a handler that declares the method; the required scope comes from
that handler's ``scopes``, the shapes from the pydantic models in
``api/schemas.py``. ``publish`` renders the document once, as JSON and YAML
bytes, when the application is made (OPENAPI-1).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from trakrf_server import __version__
from trakrf_server.api import schemas
from trakrf_server.api.operations import OPERATIONS, TAGS, Operation, Param

REF = "#/components/schemas/{model}"
OPENAPI_VERSION = "3.0.3"
API_VERSION = "1.0.0"

# Statuses any operation can answer, and what they mean here.
STATUS_TEXT = {
    400: "Unreadable body (bad_request) or a value breaking a rule (validation_error).",
    401: "Missing, malformed, expired or revoked credentials.",
    403: "The API key lacks the scope this operation needs.",
    404: "No such resource in the caller's organization.",
    409: "The change conflicts with existing data.",
    415: "Wrong Content-Type for the body.",
    422: "The API key's organization no longer exists (missing_org_context).",
    429: "Rate limited; retry after Retry-After seconds.",
    500: "Unexpected failure.",
}
SUCCESS_TEXT = {200: "OK", 201: "Created", 204: "No content"}

HEADERS = {
    "XRateLimitLimit": (
        "Requests per minute the API key may make in the long run.",
        {"type": "integer"},
    ),
    "XRateLimitRemaining": (
        "Requests left before throttling starts; at most X-RateLimit-Limit.",
        {"type": "integer"},
    ),
    "XRateLimitReset": (
        "Unix time (seconds) when X-RateLimit-Remaining is back at the limit.",
        {"type": "integer"},
    ),
    "XRequestId": (
        "Identifier of this request; repeated as error.request_id and in the "
        "server log. Sent back unchanged when the request carried one.",
        {"type": "string"},
    ),
    "WWWAuthenticate": ('Always `Bearer realm="trakrf-api"`.', {"type": "string"}),
    "RetryAfter": ("Seconds to wait before retrying.", {"type": "integer"}),
    "Location": ("Path of the created resource.", {"type": "string"}),
}
COMMON_HEADERS = {
    "X-RateLimit-Limit": "XRateLimitLimit",
    "X-RateLimit-Remaining": "XRateLimitRemaining",
    "X-RateLimit-Reset": "XRateLimitReset",
    "X-Request-Id": "XRequestId",
}


@dataclass(frozen=True)
class Published:
    """The document and its two renderings, made once at startup."""

    document: dict[str, Any]
    json: bytes
    yaml: bytes


def publish(table: Iterable[Sequence[Any]]) -> Published:
    document = build_document(table)
    return Published(
        document=document,
        json=json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        yaml=yaml.safe_dump(
            document, sort_keys=False, allow_unicode=True, width=100
        ).encode("utf-8"),
    )


# --- which operations exist --------------------------------------------------------


def handler_for(table: Iterable[Sequence[Any]], path: str) -> type | None:
    """The handler class Tornado would pick for ``path`` (first match wins)."""
    for entry in table:
        pattern, handler = entry[0], entry[1]
        if not pattern.endswith("$"):
            pattern += "$"
        if re.match(pattern, path):
            return handler
    return None


def sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def present_operations(
    table: Iterable[Sequence[Any]],
) -> list[tuple[str, str, Operation, type]]:
    """Registry entries whose path and method the route table really serves."""
    table = list(table)
    found = []
    for (template, method), operation in OPERATIONS.items():
        handler = handler_for(table, sample_path(template))
        if handler is not None and method in getattr(handler, "methods", ()):
            found.append((template, method, operation, handler))
    return found


# --- schemas -------------------------------------------------------------------------


def _to_openapi30(node: Any) -> Any:
    """Pydantic's JSON Schema (2020-12 flavour) → OpenAPI 3.0 schema objects.

    Pydantic spells nullability as ``anyOf: [X, {type: null}]`` and single
    literals as ``const`` and lists ``examples``; OpenAPI 3.0 wants
    ``nullable: true``, ``enum`` and one ``example``.
    Titles are noise in a reference and ``default: null`` only marks keys
    that may be left out, so both go.
    """
    if isinstance(node, list):
        return [_to_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" or (key == "default" and value is None):
            continue
        if key == "properties":
            out[key] = {name: _to_openapi30(sub) for name, sub in value.items()}
        else:
            out[key] = _to_openapi30(value)
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if isinstance(out.get("examples"), list):
        out["example"] = out.pop("examples")[0]
    variants = out.get("anyOf")
    if variants and {"type": "null"} in variants:
        rest = [v for v in variants if v != {"type": "null"}]
        del out["anyOf"]
        if len(rest) == 1 and "$ref" in rest[0]:
            out["allOf"] = rest
        elif len(rest) == 1:
            out = {**rest[0], **out}
        else:
            out["anyOf"] = rest
        out["nullable"] = True
    return out


def component_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    unique = list(dict.fromkeys(models))
    _, generated = models_json_schema(
        [(model, "validation") for model in unique], ref_template=REF
    )
    found = {name: _to_openapi30(s) for name, s in generated.get("$defs", {}).items()}
    for name in schemas.EXTENSIBLE_ENUMS:
        if name in found:
            found[name]["x-extensible-enum"] = True
    return dict(sorted(found.items()))


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


# --- operations ---------------------------------------------------------------


def _headers(*extra: str) -> dict[str, Any]:
    names = dict(COMMON_HEADERS)
    for component in extra:
        names[_header_name(component)] = component
    return {
        name: {"$ref": f"#/components/headers/{component}"}
        for name, component in sorted(names.items())
    }


def _header_name(component: str) -> str:
    return {
        "WWWAuthenticate": "WWW-Authenticate",
        "RetryAfter": "Retry-After",
        "Location": "Location",
    }[component]


def _error_response(description: str, *headers: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _headers(*headers),
        "content": {"application/json": {"schema": _ref(schemas.ErrorResponse)}},
    }


def _responses(operation: Operation, scope: str | None) -> dict[str, Any]:
    success: dict[str, Any] = {
        "description": SUCCESS_TEXT[operation.success],
        "headers": _headers(*(["Location"] if operation.location_header else [])),
    }
    if operation.response is not None:
        success["content"] = {"application/json": {"schema": _ref(operation.response)}}
    responses: dict[str, Any] = {str(operation.success): success}

    statuses = {400, 401, 404, 422, 429, 500, *operation.errors}
    if scope is not None:
        statuses.add(403)
    for status in sorted(statuses):
        extra = {401: ("WWWAuthenticate",), 429: ("RetryAfter",)}.get(status, ())
        responses[str(status)] = _error_response(STATUS_TEXT[status], *extra)
    responses["405"] = {"$ref": "#/components/responses/MethodNotAllowed"}
    responses = dict(sorted(responses.items()))
    responses["default"] = _error_response(
        "Any other failure; always the error envelope."
    )
    return responses


def _parameter(param: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"name": param.name, "in": param.place}
    if param.description:
        out["description"] = param.description
    if param.required:
        out["required"] = True
    if param.style is not None:
        out["style"] = param.style
    if param.explode is not None:
        out["explode"] = param.explode
    out["schema"] = param.schema
    return out


def _operation(operation: Operation, method: str, handler: type) -> dict[str, Any]:
    scope = getattr(handler, "scopes", {}).get(method)
    heading = f"**Required scope:** `{scope}`" if scope else "**Required scope:** none"
    out: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": f"{heading}\n\n{operation.description}",
        "tags": [operation.tag],
        "security": [{"BearerAuth": []}],
        "x-required-scopes": [scope] if scope else [],
    }
    if operation.parameters:
        out["parameters"] = [_parameter(p) for p in operation.parameters]
    if operation.body is not None:
        out["requestBody"] = {
            "description": operation.body_description,
            "required": True,
            "content": {operation.body_media_type: {"schema": _ref(operation.body)}},
        }
    out["responses"] = _responses(operation, scope)
    return out


# --- the document -------------------------------------------------------------


def build_document(table: Iterable[Sequence[Any]]) -> dict[str, Any]:
    present = present_operations(table)

    paths: dict[str, dict[str, Any]] = {}
    models: list[type[BaseModel]] = [schemas.ErrorResponse]
    used_tags: set[str] = set()
    for template, method, operation, handler in sorted(present, key=_order):
        paths.setdefault(template, {})[method.lower()] = _operation(
            operation, method, handler
        )
        models += [m for m in (operation.body, operation.response) if m is not None]
        used_tags.add(operation.tag)

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "trakrf-server API",
            "version": API_VERSION,
            "description": (
                "The TrakRF public REST API as served by this trakrf-server "
                f"({__version__}). Authenticate with an API key: "
                "`Authorization: Bearer <key>`. This document is also available "
                "as YAML (/api/openapi.yaml) and JSON (/api/openapi.json).\n\n"
                "Ids are declared int64 but stay within 1…2147483647. Nullable "
                "keys are always present and sent as null when unset."
            ),
        },
        "tags": [
            {"name": name, "description": text}
            for name, text in TAGS.items()
            if name in used_tags
        ],
        "security": [{"BearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "BearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An API key (a JWT), sent as "
                    "`Authorization: Bearer <key>`.",
                }
            },
            "headers": {
                name: {"description": text, "schema": schema}
                for name, (text, schema) in HEADERS.items()
            },
            "responses": {
                "MethodNotAllowed": {
                    "description": "The path exists but not with this method; "
                    "Allow lists the methods it has.",
                    "headers": {
                        "Allow": {
                            "description": "Comma-separated methods of this path.",
                            "schema": {"type": "string"},
                        },
                        **_headers(),
                    },
                    "content": {
                        "application/json": {"schema": _ref(schemas.ErrorResponse)}
                    },
                }
            },
            "schemas": component_schemas(models),
        },
    }


def _order(entry: tuple[str, str, Operation, type]) -> tuple[str, int]:
    template, method = entry[0], entry[1]
    return template, ("GET", "POST", "PUT", "PATCH", "DELETE").index(method)
