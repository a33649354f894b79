"""Structural comparison of two OpenAPI 3.0 documents.

``differences(generated, reference)`` returns ``{place: message}`` for every
place where the documents disagree on what a client relies on: operations,
operationIds, required scopes, security requirements and the bearer scheme,
parameters (name, place, required, type, bounds), request and response schemas
and the components they name (properties, types, formats, nullability, enums,
bounds, defaults, required keys), and the headers each response declares.
Prose (summaries, descriptions, examples) is not compared.
"""

from __future__ import annotations

from typing import Any

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Schema keywords that change what a value may be.
SCALAR_KEYS = (
    "type",
    "format",
    "nullable",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
)


def ref_name(schema: dict[str, Any]) -> str | None:
    """The component a schema points at, seeing through a lone ``allOf``."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        return all_of[0]["$ref"].rsplit("/", 1)[-1]
    return None


class Diff:
    def __init__(self, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
        self.found: dict[str, str] = {}
        # Component schemas of each side, to look inside a reference when the
        # other side spells the same shape inline.
        self.ours, self.theirs = ours, theirs

    def add(self, place: str, message: str) -> None:
        self.found.setdefault(place, message)

    def scalars(
        self, place: str, ours: dict, theirs: dict, keys: tuple[str, ...]
    ) -> None:
        for key in keys:
            a, b = ours.get(key), theirs.get(key)
            if key == "nullable":
                a, b = bool(a), bool(b)
            if a != b:
                self.add(f"{place}.{key}", f"generated {a!r}, reference {b!r}")

    def schema(self, place: str, ours: dict, theirs: dict) -> None:
        """Compare two schema objects; components are compared by name."""
        a_ref, b_ref = ref_name(ours), ref_name(theirs)
        if a_ref and not b_ref and a_ref in self.ours:
            ours = {**self.ours[a_ref], "nullable": ours.get("nullable", False)}
            a_ref = None
        elif b_ref and not a_ref and b_ref in self.theirs:
            theirs = {**self.theirs[b_ref], "nullable": theirs.get("nullable", False)}
            b_ref = None
        if a_ref or b_ref:
            if a_ref != b_ref:
                self.add(f"{place}.$ref", f"generated {a_ref}, reference {b_ref}")
            if bool(ours.get("nullable")) != bool(theirs.get("nullable")):
                self.add(f"{place}.nullable", "nullability differs")
            return
        self.scalars(place, ours, theirs, SCALAR_KEYS)

        if "items" in ours or "items" in theirs:
            self.schema(
                f"{place}.items", ours.get("items", {}), theirs.get("items", {})
            )

        a_props, b_props = ours.get("properties", {}), theirs.get("properties", {})
        for name in sorted(set(a_props) | set(b_props)):
            where = f"{place}.properties.{name}"
            if name not in b_props:
                self.add(where, "only in the generated spec")
            elif name not in a_props:
                self.add(where, "only in the reference")
            else:
                self.schema(where, a_props[name], b_props[name])

        a_req, b_req = set(ours.get("required", [])), set(theirs.get("required", []))
        for name in sorted(a_req ^ b_req):
            side = "generated" if name in a_req else "reference"
            self.add(f"{place}.required.{name}", f"required only in the {side} spec")

        for key in ("oneOf", "anyOf"):
            a_list = [ref_name(s) or s for s in ours.get(key, [])]
            b_list = [ref_name(s) or s for s in theirs.get(key, [])]
            if a_list != b_list:
                self.add(f"{place}.{key}", f"generated {a_list}, reference {b_list}")
        a_disc = ours.get("discriminator", {}).get("propertyName")
        b_disc = theirs.get("discriminator", {}).get("propertyName")
        if a_disc != b_disc:
            self.add(
                f"{place}.discriminator", f"generated {a_disc}, reference {b_disc}"
            )


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in document.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS
    }


def _media(body: dict[str, Any] | None) -> dict[str, Any]:
    return (body or {}).get("content", {})


def differences(generated: dict[str, Any], reference: dict[str, Any]) -> dict[str, str]:
    a_schemas = generated.get("components", {}).get("schemas", {})
    b_schemas = reference.get("components", {}).get("schemas", {})
    diff = Diff(a_schemas, b_schemas)
    ours, theirs = _operations(generated), _operations(reference)

    for key in sorted(set(ours) | set(theirs)):
        path, method = key
        place = f"paths.{path}.{method}"
        if key not in theirs:
            diff.add(place, "operation only in the generated spec")
            continue
        if key not in ours:
            diff.add(place, "operation missing from the generated spec")
            continue
        a, b = ours[key], theirs[key]
        for field in ("operationId", "x-required-scopes", "security"):
            if a.get(field) != b.get(field):
                diff.add(
                    f"{place}.{field}",
                    f"generated {a.get(field)}, reference {b.get(field)}",
                )

        a_params = {(p["in"], p["name"]): p for p in a.get("parameters", [])}
        b_params = {(p["in"], p["name"]): p for p in b.get("parameters", [])}
        for pkey in sorted(set(a_params) | set(b_params)):
            where = f"{place}.parameters.{pkey[0]}.{pkey[1]}"
            if pkey not in b_params:
                diff.add(where, "parameter only in the generated spec")
            elif pkey not in a_params:
                diff.add(where, "parameter missing from the generated spec")
            else:
                pa, pb = a_params[pkey], b_params[pkey]
                diff.scalars(where, pa, pb, ("required", "style", "explode"))
                diff.schema(f"{where}.schema", pa["schema"], pb["schema"])

        a_body, b_body = _media(a.get("requestBody")), _media(b.get("requestBody"))
        if set(a_body) != set(b_body):
            diff.add(
                f"{place}.requestBody",
                f"generated {set(a_body)}, reference {set(b_body)}",
            )
        for media in set(a_body) & set(b_body):
            diff.schema(
                f"{place}.requestBody.{media}",
                a_body[media].get("schema", {}),
                b_body[media].get("schema", {}),
            )

        a_resp, b_resp = a.get("responses", {}), b.get("responses", {})
        for status in sorted(set(a_resp) | set(b_resp)):
            where = f"{place}.responses.{status}"
            if status not in b_resp:
                diff.add(where, "status only in the generated spec")
            elif status not in a_resp:
                diff.add(where, "status missing from the generated spec")
            else:
                _response(diff, where, a_resp[status], b_resp[status])

    for name in sorted(b_schemas):
        place = f"components.schemas.{name}"
        if name not in a_schemas:
            diff.add(place, "component missing from the generated spec")
        else:
            diff.schema(place, a_schemas[name], b_schemas[name])

    # Shared responses both declare (405 and its Allow header); the reference's
    # Gone is reserved for retirements that have not happened (ERR-9).
    a_shared = generated.get("components", {}).get("responses", {})
    b_shared = reference.get("components", {}).get("responses", {})
    for name in sorted(set(a_shared) & set(b_shared)):
        _response(diff, f"components.responses.{name}", a_shared[name], b_shared[name])

    _bearer_scheme(diff, generated, reference)
    return diff.found


def _response(diff: Diff, where: str, ours: dict, theirs: dict) -> None:
    """One status of one operation: a shared response by name, else its headers
    (rate limits, Retry-After, Location…) and body schemas."""
    a_ref, b_ref = ref_name(ours), ref_name(theirs)
    if a_ref or b_ref:
        if a_ref != b_ref:
            diff.add(f"{where}.$ref", f"generated {a_ref}, reference {b_ref}")
        return
    a_headers, b_headers = ours.get("headers", {}), theirs.get("headers", {})
    for name in sorted(set(a_headers) ^ set(b_headers)):
        side = "generated" if name in a_headers else "reference"
        diff.add(f"{where}.headers.{name}", f"header only in the {side} spec")
    ma, mb = _media(ours), _media(theirs)
    for media in set(ma) | set(mb):
        diff.schema(
            f"{where}.{media}",
            ma.get(media, {}).get("schema", {}),
            mb.get(media, {}).get("schema", {}),
        )


def _bearer_scheme(diff: Diff, generated: dict, reference: dict) -> None:
    place = "components.securitySchemes.BearerAuth"
    ours = generated.get("components", {}).get("securitySchemes", {}).get("BearerAuth")
    theirs = reference["components"]["securitySchemes"]["BearerAuth"]
    if ours is None:
        diff.add(place, "missing")
        return
    diff.scalars(place, ours, theirs, ("type", "scheme", "bearerFormat"))
