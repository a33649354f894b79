"""The API reference at /api in a real browser, as README's "API reference" says:
it works without internet access, "Authorize" takes an API key and "Try it out"
sends it (OPENAPI-1)."""

from __future__ import annotations

import json
from urllib.parse import urlparse

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_screens import call, signup

pytestmark = needs_chromium


def _api_key(server, email: str, org: str) -> str:
    session = signup(server, email, org)
    org = call(server, "GET", "/users/me", token=session)["data"]["current_org"]
    body = {"name": "reference", "scopes": ["assets:read"]}
    path = f"/orgs/{org['id']}/api-keys"
    return call(server, "POST", path, body, token=session)["data"]["token"]


def _keep_on_host(page: Page, host: str) -> list[str]:
    """Refuse every request that would leave the server; return their URLs."""
    elsewhere: list[str] = []

    def handle(route: Route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == host:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return elsewhere


def test_try_it_out_with_an_api_key_offline(page: Page, server, shots):
    key = _api_key(server, "rena@example.com", "Rena Reference")
    elsewhere = _keep_on_host(page, urlparse(server.url).netloc)
    page.goto(f"{server.url}/api")

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").fill(key)
    dialog.get_by_role("button", name="Authorize", exact=True).click()
    dialog.get_by_role("button", name="Close").click()

    operation = page.locator("#operations-orgs-getCurrentOrg")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()

    answer = operation.locator(".live-responses-table tbody tr").first
    expect(answer.locator(".response-col_status")).to_have_text("200")
    body = json.loads(
        answer.locator(".response-col_description pre").first.inner_text()
    )
    assert body["data"]["name"] == "Rena Reference"
    assert body["data"]["scopes"] == ["assets:read"]
    page.screenshot(path=shots / "api-reference-try-it-out.png")
    assert elsewhere == []
    assert page.problems == []
