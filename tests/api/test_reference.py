"""The API reference: spec documents, redirects and the /api page (OPENAPI-1)."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from trakrf_server import openapi
from trakrf_server.api import schemas


@pytest.mark.gen_test
async def test_spec_json_served_without_credentials(api):
    # OPENAPI-1
    r = await api.get("/api/openapi.json")
    assert r.status == 200, r
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    document = r.json()
    assert document["openapi"] == "3.0.3"
    assert document["paths"]["/api/v1/orgs/me"]["get"]["operationId"] == (
        "getCurrentOrg"
    )
    scheme = document["components"]["securitySchemes"]["BearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


@pytest.mark.gen_test
async def test_spec_yaml_is_the_same_document(api):
    # OPENAPI-1
    as_json = (await api.get("/api/openapi.json")).json()
    r = await api.get("/api/openapi.yaml")
    assert r.status == 200, r
    assert r.headers["Content-Type"] == "application/yaml; charset=utf-8"
    assert yaml.safe_load(r.text) == as_json


@pytest.mark.gen_test
async def test_spec_ignores_credentials_and_query(api):
    # OPENAPI-1: no authentication, so a bad token changes nothing either.
    r = await api.get("/api/openapi.json?x=1", headers={"Authorization": "Bearer x"})
    assert r.status == 200, r


@pytest.mark.gen_test
@pytest.mark.parametrize(
    "path,target",
    [
        ("/api/v1/openapi.json", "/api/openapi.json"),
        ("/api/v1/openapi.yaml", "/api/openapi.yaml"),
        ("/openapi.json", "/api/openapi.json"),
        ("/openapi.yaml", "/api/openapi.yaml"),
    ],
)
async def test_other_spellings_redirect_permanently(api, path, target):
    # OPENAPI-1
    r = await api.get(path)
    assert r.status == 301, r
    assert r.headers["Location"] == target


@pytest.mark.gen_test
async def test_spec_refuses_other_methods_with_envelope(api):
    # METHOD-1 style answer on the reference routes too
    r = await api.post("/api/openapi.json", json_body={})
    assert r.status == 405, r
    assert r.headers["Allow"] == "GET, HEAD"
    assert r.error["type"] == "method_not_allowed"


@pytest.mark.gen_test
async def test_spec_is_rendered_once_at_startup(api, monkeypatch):
    # The document is made when the app is; requests only send the bytes.
    def fail(*args, **kwargs):
        raise AssertionError("spec rebuilt during a request")

    monkeypatch.setattr(openapi, "build_document", fail)
    monkeypatch.setattr(openapi, "publish", fail)
    assert (await api.get("/api/openapi.json")).status == 200
    assert (await api.get("/api/openapi.yaml")).status == 200


@pytest.mark.gen_test
async def test_reference_page_loads_only_local_files(api):
    # The page works offline: every script and style comes from this server.
    r = await api.get("/api")
    assert r.status == 200, r
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert (await api.get("/api/")).status == 200

    assets = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert "/api/reference/swagger-ui-bundle.js" in assets
    assert all(a.startswith("/api/reference/") for a in assets), assets
    for asset in assets:
        # raw fetch: the favicon is not text
        fetched = await api.http_client.fetch(api.base_url + asset, raise_error=False)
        assert fetched.code == 200, asset
        assert fetched.body


@pytest.mark.gen_test
async def test_reference_script_points_at_the_spec_and_bearer_scheme(api):
    r = await api.get("/api/reference/page.js")
    assert r.status == 200
    assert 'url: "/api/openapi.json"' in r.text
    assert "persistAuthorization: false" in r.text


@pytest.mark.gen_test
async def test_other_reference_files_are_unknown_routes(api):
    # SURF-5: only the files the page uses are served
    r = await api.get("/api/reference/swagger-ui.js.map")
    assert r.status == 404
    assert r.error["detail"] == "Unknown API route: /api/reference/swagger-ui.js.map"


@pytest.mark.gen_test
async def test_orgs_me_answer_matches_its_schema(api, seed):
    # OPENAPI-3: the response has exactly the documented keys and types.
    tenant = seed.tenant()
    r = await api.get("/api/v1/orgs/me", token=seed.key(tenant.org_id))
    body = r.json()
    schemas.GetCurrentOrgResponse.model_validate(body, strict=True)
    assert set(body["data"]) == set(schemas.OrgView.model_fields)
    json.dumps(body)
