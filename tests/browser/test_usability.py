"""What a person runs into between the main steps: a session that ends under an
open dialog, the account menu, long names, and the inventory screen's state
after a save or a reconcile file.
"""

from __future__ import annotations

import json
import urllib.request

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium

PASSWORD = "correct-horse-1"


def call(server, method: str, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"{server.url}/api/v1{path}", data=data, method=method, headers=headers
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


def signup(server, email: str, org: str) -> str:
    body = {"email": email, "password": PASSWORD, "org_name": org}
    return call(server, "POST", "/auth/signup", body)["data"]["token"]


def sign_in_as(page: Page, server, token: str, route: str) -> None:
    page.goto(f"{server.url}/#login")
    page.evaluate("t => localStorage.setItem('trakrf.session', t)", token)
    page.goto(f"{server.url}/#{route}")


def test_dialog_closes_when_the_session_ends(page: Page, server):
    """Any 401 logs out (SCREENS); the login form must not sit under a dialog."""
    token = signup(server, "dora@example.com", "Dora Depot")
    sign_in_as(page, server, token, "assets")
    page.locator("#create-asset").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Ladder")
    # The stored session is no longer accepted, as after it expired.
    page.evaluate("localStorage.setItem('trakrf.session', 'expired')")
    dialog.get_by_role("button", name="Create asset").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(page.get_by_text("Your session has ended.")).to_be_visible()
    page.get_by_label("E-mail").fill("dora@example.com")
    assert page.problems == []


def test_account_menu_closes_on_outside_click_and_escape(page: Page, server):
    token = signup(server, "milo@example.com", "Milo Mills")
    sign_in_as(page, server, token, "inventory")
    menu = page.locator("details.account-menu")
    page.get_by_label("Account menu").click()
    expect(page.get_by_role("link", name="API keys")).to_be_visible()
    # A click on the screen closes it, and the covered buttons work again.
    page.get_by_role("heading", name="Inventory").click()
    expect(menu).not_to_have_attribute("open", "")
    page.get_by_role("button", name="Audio off").click()
    expect(page.get_by_role("button", name="Audio on")).to_be_visible()
    # Escape closes it and leaves the focus on the menu button.
    page.get_by_label("Account menu").click()
    expect(page.get_by_role("link", name="API keys")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="API keys")).to_be_hidden()
    expect(page.get_by_label("Account menu")).to_be_focused()
    # Clicks inside the menu keep it open.
    page.get_by_label("Account menu").click()
    page.get_by_text("Your role: admin").click()
    expect(menu).to_have_attribute("open", "")
    assert page.problems == []
