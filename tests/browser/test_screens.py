"""Signed-out flows, session end, the Bluetooth fallbacks and the 375 px layout."""

from __future__ import annotations

import json
import re
import urllib.request

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium

PASSWORD = "correct-horse-1"
EPC = "3034257BF7194E4000001A85"


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


def sign_in_as(page: Page, server, token: str) -> None:
    """Start the app with a session token already stored, as after a login."""
    page.goto(f"{server.url}/#login")
    page.evaluate("t => localStorage.setItem('trakrf.session', t)", token)


def test_password_reset_then_session_end(page: Page, server):
    """INT-32/33 through the screens; any 401 logs out (SCREENS account menu)."""
    signup(server, "carol@example.com", "Carol Co")

    page.goto(f"{server.url}/#login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("E-mail").fill("carol@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("status")).to_have_text(
        "If an account exists, a reset email has been sent"
    )
    link = server.mailed_link("carol@example.com", "#reset-password?token=")
    assert link.startswith(f"{server.url}/#reset-password?token=")

    page.goto(link)
    page.get_by_label("New password").fill("short")
    page.get_by_label("Confirm password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.locator('.field-error[data-field="password"]')).to_have_text(
        "Use at least 8 characters."
    )
    page.get_by_label("New password").fill("new-password-2")
    page.get_by_label("Confirm password").fill("new-password-2")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("status")).to_have_text("Password updated successfully")
    page.get_by_role("link", name="Log in").click()

    # The old password is refused with the server's message; the new one works.
    page.get_by_label("E-mail").fill("carol@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("form .alert.error")).to_have_text("Invalid email or password")
    page.get_by_label("Password").fill("new-password-2")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#current-org")).to_have_text("Carol Co")

    # A token the server no longer accepts ends the session on the next call.
    page.evaluate("localStorage.setItem('trakrf.session', 'not-a-token')")
    page.reload()
    expect(page).to_have_url(re.compile(r"#login$"))
    expect(page.locator(".guest-card > .alert")).to_have_text(
        "Your session has ended. Please log in again."
    )
    assert page.evaluate("localStorage.getItem('trakrf.session')") is None
    assert page.problems == []


def test_bluetooth_fallbacks(page: Page, server):
    """Locate and Barcode work by keyboard when there is no Bluetooth reader."""
    token = signup(server, "dave@example.com", "Dave Depot")
    asset = {"name": "Forklift", "tags": [{"tag_type": "rfid", "value": EPC}]}
    call(server, "POST", "/assets", asset, token)
    sign_in_as(page, server, token)

    page.goto(f"{server.url}/#locate?epc={EPC}")
    expect(page.get_by_text("needs a Bluetooth reader")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    expect(page.locator(".locate-result")).to_contain_text("Forklift")
    reader = page.get_by_label("Reader input")
    reader.fill("E200FFFF")
    reader.press("Enter")
    expect(page.locator("#seen-state")).to_have_text("Other tag read: E200FFFF")
    reader.fill("00" + EPC)
    reader.press("Enter")
    expect(page.locator("#seen-state")).to_contain_text("Seen at")

    page.goto(f"{server.url}/#barcode")
    box = page.get_by_label("Barcode", exact=True)
    for code in ("4006381333931", "9780201379624"):
        box.fill(code)
        box.press("Enter")
    expect(page.locator(".barcode-list li")).to_have_count(2)
    page.get_by_label("Mode").select_option("single")
    box.fill("5012345678900")
    box.press("Enter")
    expect(page.locator(".barcode-list li")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    assert download.value.suggested_filename == "barcodes.csv"
    assert page.problems == []


def test_bluetooth_widgets_only_where_bluetooth_is(page: Page, server):
    """SCREENS [BLE]: without navigator.bluetooth the device widgets are hidden,
    and the browser list shows only where Bluetooth is the only way."""
    token = signup(server, "doug@example.com", "Doug Docks")
    sign_in_as(page, server, token)
    page.goto(f"{server.url}/#home")
    assert page.evaluate("Boolean(navigator.bluetooth)") is False
    expect(page.get_by_role("link", name="Watch Demo")).to_be_visible()
    expect(page.locator("#device-status")).to_have_count(0)
    expect(page.get_by_text("Device status")).to_have_count(0)

    # Barcodes can be typed or come from a USB scanner: no browser list.
    page.goto(f"{server.url}/#barcode")
    note = page.locator("main .alert.info")
    expect(note).to_contain_text("needs a Bluetooth reader")
    expect(note).not_to_contain_text("Chrome")
    # Locate's signal gauge has no other way.
    page.goto(f"{server.url}/#locate")
    expect(page.locator("main .alert.info")).to_contain_text(
        "supported browsers: Chrome, Edge, Opera"
    )
    # Start without a tag number: said at the field, and nothing is asked.
    asked = []
    page.on("request", lambda r: "/lookup/" in r.url and asked.append(r.url))
    page.get_by_role("button", name="Start").click()
    expect(page.locator('.field-error[data-field="value"]')).to_have_text(
        "Enter a tag number."
    )
    expect(page.get_by_label("Tag number (EPC)")).to_be_focused()
    expect(page.get_by_text("parameter is required")).to_have_count(0)
    assert asked == []

    # With Web Bluetooth present the home screen reports on the reader.
    page.add_init_script("Object.defineProperty(navigator, 'bluetooth', {value: {}})")
    page.goto(f"{server.url}/#home")
    page.reload()
    expect(page.locator("#device-status")).to_contain_text("Device status")
    assert page.problems == []


def test_phone_width(browser, server, shots):
    """Every main screen fits 375 px without sideways scrolling; the menu opens."""
    token = signup(server, "erin@example.com", "Erin Estates")
    depot = {"name": "Depot", "external_key": "DEP"}
    loc_id = call(server, "POST", "/locations", depot, token)["data"]["id"]
    asset = {"name": "Ladder", "external_key": "LAD-1", "location_id": loc_id}
    call(server, "POST", "/assets", asset, token)
    save = {"location_identifier": "DEP", "asset_identifiers": ["LAD-1"]}
    call(server, "POST", "/inventory/save", save, token)

    context = browser.new_context(viewport={"width": 375, "height": 780})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in_as(page, server, token)
        for route, title in [
            ("home", "Erin Estates"),
            ("inventory", "Inventory"),
            ("assets", "Assets"),
            ("locations", "Locations"),
            ("reports", "Reports"),
            ("api-keys", "API keys"),
            ("help", "Help"),
        ]:
            page.goto(f"{server.url}/#{route}")
            expect(page.locator("main h1").first).to_have_text(title)
            page.wait_for_load_state("networkidle")
            # measured (and pictured) with the screen's data in place
            expect(page.get_by_text("Loading…")).to_have_count(0)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"#{route} is {width}px wide"
            page.screenshot(path=str(shots / f"{route}-375.png"), full_page=True)

        nav = page.get_by_role("navigation", name="Main")
        expect(nav).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(nav).to_be_visible()
        nav.get_by_role("link", name="Assets").click()
        expect(page.locator("main h1").first).to_have_text("Assets")
        expect(nav).to_be_hidden()
    finally:
        context.close()


def test_invitation_opened_in_another_account(page: Page, server):
    """INT-35 lets only the invited e-mail accept: signed in as someone else,
    the screen says so and offers to log out instead of a Join that fails."""
    admin = signup(server, "ivy@example.com", "Ivy Imports")
    other = signup(server, "otto@example.com", "Otto Outlet")
    org = call(server, "GET", "/users/me", token=admin)["data"]["current_org"]
    body = {"email": "cleo@example.com", "role": "operator"}
    call(server, "POST", f"/orgs/{org['id']}/invitations", body, admin)
    link = server.mailed_link("cleo@example.com", "#accept-invite?token=")

    sign_in_as(page, server, other)
    page.goto(link)
    note = page.locator("#invite-other-account")
    expect(note).to_contain_text("You are signed in as otto@example.com")
    expect(note).to_contain_text("this invitation is for cleo@example.com")
    expect(page.get_by_role("button", name=re.compile("^Join"))).to_have_count(0)
    page.get_by_role("button", name="Log out and continue").click()
    expect(page.get_by_role("link", name="Sign up to accept")).to_be_visible()
    assert page.evaluate("localStorage.getItem('trakrf.session')") is None

    # The invited person, signed in with another letter case, may join.
    cleo = {"email": "Cleo@Example.com", "password": PASSWORD, "org_name": "Cleo Co"}
    token = call(server, "POST", "/auth/signup", cleo)["data"]["token"]
    sign_in_as(page, server, token)
    page.goto(link)
    page.get_by_role("button", name="Join Ivy Imports").click()
    expect(page.locator("#current-org")).to_have_text("Ivy Imports")
    assert page.problems == []
