"""The generated spec against the reference spec (CONTRACT OPENAPI-1…5, SURF-1).

The reference is ``../shared/contract/openapi.public.yaml`` beside the
repository. Every difference fails unless ``tests/openapi_allowlist.yaml``
lists its place with a reason; an entry that no longer matches a difference
fails too, so the list cannot go stale.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml

from tests.openapi_compare import differences
from trakrf_server.app import routes
from trakrf_server.openapi import build_document

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "contract" / "openapi.public.yaml"
ALLOWLIST = Path(__file__).with_name("openapi_allowlist.yaml")


@pytest.fixture(scope="module")
def reference() -> dict:
    assert REFERENCE.is_file(), f"reference spec not found at {REFERENCE}"
    return yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def allowed() -> dict[str, str]:
    entries = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8")) or []
    for entry in entries:
        assert set(entry) == {"at", "reason"} and entry["reason"].strip(), entry
    return {entry["at"]: entry["reason"] for entry in entries}


@pytest.fixture(scope="module")
def generated() -> dict:
    return build_document(routes())


def test_generated_spec_matches_reference(generated, reference, allowed):
    # SURF-1 (every operation, operationId and scope), OPENAPI-3 (schemas)
    found = differences(generated, reference)
    unexpected = {
        at: msg
        for at, msg in found.items()
        if not any(fnmatchcase(at, pattern) for pattern in allowed)
    }
    assert not unexpected, "differences not in the allow-list:\n" + "\n".join(
        f"  {at}: {msg}" for at, msg in sorted(unexpected.items())
    )


def test_allowlist_has_no_stale_entries(generated, reference, allowed):
    found = differences(generated, reference)
    stale = sorted(
        pattern
        for pattern in allowed
        if not any(fnmatchcase(at, pattern) for at in found)
    )
    assert not stale, "allow-list entries that match no difference:\n" + "\n".join(
        stale
    )


def test_every_public_operation_is_served(generated, reference):
    # SURF-1: the committed route table serves the whole public surface.
    def ops(document):
        return {
            (path, method, op["operationId"])
            for path, item in document["paths"].items()
            for method, op in item.items()
        }

    assert ops(generated) == ops(reference)


def test_comparison_notices_what_it_promises_to(reference):
    # The gate above is only as good as the comparison: each kind of change a
    # client would notice must show up as a difference.
    import copy

    changed = copy.deepcopy(reference)
    listing = changed["paths"]["/api/v1/assets"]["get"]
    listing["operationId"] = "listEverything"
    listing["parameters"][0]["schema"]["maximum"] = 500
    del listing["parameters"][1]
    view = changed["components"]["schemas"]["AssetView"]
    view["properties"]["valid_to"]["nullable"] = False
    view["properties"]["name"]["type"] = "integer"
    view["required"].remove("tags")
    del changed["paths"]["/api/v1/orgs/me"]
    # ...and in bodies, responses and the security scheme:
    create = changed["components"]["schemas"]["CreateAssetWithTagsRequest"]
    create["properties"]["name"]["maxLength"] = 1024
    created = changed["paths"]["/api/v1/assets"]["post"]["responses"]
    del created["201"]["headers"]["Location"]
    del created["429"]["headers"]["X-RateLimit-Remaining"]
    created["405"] = {"$ref": "#/components/responses/Gone"}
    changed["paths"]["/api/v1/assets"]["post"]["security"] = []
    changed["components"]["securitySchemes"]["BearerAuth"]["scheme"] = "basic"
    del changed["components"]["responses"]["MethodNotAllowed"]["headers"]["Allow"]

    found = differences(changed, reference)
    assert set(found) == {
        "components.schemas.CreateAssetWithTagsRequest.properties.name.maxLength",
        "paths./api/v1/assets.post.responses.201.headers.Location",
        "paths./api/v1/assets.post.responses.429.headers.X-RateLimit-Remaining",
        "paths./api/v1/assets.post.responses.405.$ref",
        "paths./api/v1/assets.post.security",
        "components.securitySchemes.BearerAuth.scheme",
        "components.responses.MethodNotAllowed.headers.Allow",
        "paths./api/v1/assets.get.operationId",
        "paths./api/v1/assets.get.parameters.query.limit.schema.maximum",
        "paths./api/v1/assets.get.parameters.query.offset",
        "components.schemas.AssetView.properties.valid_to.nullable",
        "components.schemas.AssetView.properties.name.type",
        "components.schemas.AssetView.required.tags",
        "paths./api/v1/orgs/me.get",
    }
    assert differences(reference, reference) == {}
