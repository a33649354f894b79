"""How the spec follows the route table (OPENAPI-1, SURF-1)."""

from __future__ import annotations

from trakrf_server.app import routes
from trakrf_server.openapi import build_document, present_operations


class AssetItem:
    methods = ("GET", "DELETE")
    scopes = {"GET": "assets:read", "DELETE": "assets:write"}


class InternalThing:
    methods = ("GET", "POST")
    scopes = {}


class CatchAll:
    methods = ()


def _operation_ids(document):
    return sorted(
        op["operationId"] for item in document["paths"].values() for op in item.values()
    )


def test_only_routed_methods_are_published():
    document = build_document([(r"/api/v1/assets/([^/]+)", AssetItem)])
    assert _operation_ids(document) == ["deleteAsset", "getAsset"]
    item = document["paths"]["/api/v1/assets/{asset_id}"]
    assert set(item) == {"get", "delete"}


def test_scope_comes_from_the_handler():
    document = build_document([(r"/api/v1/assets/([^/]+)", AssetItem)])
    get = document["paths"]["/api/v1/assets/{asset_id}"]["get"]
    assert get["x-required-scopes"] == ["assets:read"]
    assert get["description"].startswith("**Required scope:** `assets:read`")
    assert "403" in get["responses"]


def test_first_matching_route_wins_like_tornado():
    # A catch-all before the resource route hides it, as it would at runtime.
    table = [(r"/api/.*", CatchAll), (r"/api/v1/assets/([^/]+)", AssetItem)]
    assert present_operations(table) == []


def test_internal_routes_never_appear():
    table = [
        (r"/api/v1/auth/login", InternalThing),
        (r"/api/v1/keys", InternalThing),
        (r"/api/v1/orgs/me", InternalThing),
    ]
    document = build_document(table)
    assert list(document["paths"]) == ["/api/v1/orgs/me"]


def test_components_are_openapi_30():
    # Pydantic's anyOf-null and const are rewritten; titles dropped.
    document = build_document(routes())
    text = repr(document["components"]["schemas"])
    assert "'const'" not in text
    assert "{'type': 'null'}" not in text
    org = document["components"]["schemas"]["OrgView"]
    assert "title" not in org and "title" not in org["properties"]["name"]
    # ...but a property that happens to be called "title" stays.
    assert "title" in document["components"]["schemas"]["ErrorBody"]["properties"]
    assert org["required"] == ["id", "name", "scopes", "api_key_id"]
    error = document["components"]["schemas"]["ErrorType"]
    assert error["x-extensible-enum"] is True


def test_published_examples_are_valid_bodies():
    # "Try it out" starts from these; each must pass its own model.
    from trakrf_server.api import schemas

    document = build_document([(r"/api/v1/.*", EveryMethod)])
    found = 0
    for name, schema in document["components"]["schemas"].items():
        if "example" in schema:
            getattr(schemas, name).model_validate(schema["example"])
            found += 1
    assert found >= 4


class EveryMethod:
    methods = ("GET", "POST", "PATCH", "DELETE")
    scopes = {}
