"""The web app in a real browser, from signup to a revoked API key.

One walk through the screens of SCREENS.md against the real server: signup,
a location tree, an asset with an RFID tag, an inventory save by typing the
EPC, the report and the asset's history, inviting a member who accepts from
the logged mail link, and an API key that works until it is revoked.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium

pytestmark = needs_chromium

ADMIN = "ann@example.com"
MEMBER = "bob@example.com"
PASSWORD = "correct-horse-1"
EPC = "E2801160600002084D5A5C11"


def shot(page: Page, shots, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def open_screen(page: Page, server, route: str, title: str) -> None:
    page.goto(f"{server.url}/#{route}")
    expect(page.locator("main h1").first).to_have_text(title)


def open_account_menu(page: Page) -> None:
    menu = page.locator("details.account-menu")
    if menu.get_attribute("open") is None:
        page.get_by_label("Account menu").click()


def log_out(page: Page) -> None:
    open_account_menu(page)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"#login$"))


def log_in(page: Page, server, email: str) -> None:
    page.goto(f"{server.url}/#login")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"#home$"))


def stat(page: Page, name: str):
    return page.locator(f'[data-stat="{name}"] .stat-value')


def get_json(url: str, token: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_walkthrough(page: Page, server, shots):
    # --- signup (INT-30), driven by keyboard alone --------------------------
    page.goto(f"{server.url}/")
    expect(page).to_have_url(re.compile(r"#login$"))
    page.get_by_role("link", name="Create an account").click()
    expect(page.get_by_label("Organization name")).to_be_visible()
    shot(page, shots, "signup")
    page.get_by_label("E-mail").focus()
    page.keyboard.type(ADMIN)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("Acme Logistics")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#home$"))
    expect(page.locator("#current-org")).to_have_text("Acme Logistics")
    shot(page, shots, "home")

    # --- location tree: root and child (LOC-3, LOC-4) ------------------------
    open_screen(page, server, "locations", "Locations")
    empty_tree = page.get_by_text("No locations found. Create a root location")
    expect(empty_tree).to_be_visible()
    page.get_by_role("button", name="New root location").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Warehouse")
    dialog.get_by_label("Location ID").fill("WH-1")
    dialog.get_by_role("button", name="Create location").click()
    expect(dialog).to_have_count(0)
    expect(page.locator("#location-detail h2")).to_have_text("Warehouse")
    page.get_by_role("button", name="Add child").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_label("Parent")).to_have_value(re.compile(r"\d+"))
    dialog.get_by_label("Name").fill("Aisle 1")
    dialog.get_by_label("Location ID").fill("WH-1-A1")
    dialog.get_by_role("button", name="Create location").click()
    expect(page.locator("#location-detail h2")).to_have_text("Aisle 1")
    child = page.locator("#location-tree li.depth-1")
    expect(child).to_contain_text("Aisle 1")
    expect(stat(page, "roots")).to_have_text("1")
    expect(stat(page, "total")).to_have_text("2")

    # Deleting a parent says why the server refused it (LOC-8).
    tree = page.locator("#location-tree")
    tree.get_by_role("button", name=re.compile("^Warehouse")).click()
    page.locator("#location-detail").get_by_role("button", name="Delete").click()
    page.locator("dialog[open]").get_by_role("button", name="Delete").click()
    expect(page.locator("#location-detail .alert.error")).to_have_text(
        "This location has locations under it. Move or delete them first, "
        "then delete this location."
    )
    shot(page, shots, "locations")

    # --- asset with an RFID tag (ASSET-4, TAG-2) ------------------------------
    open_screen(page, server, "assets", "Assets")
    expect(page.get_by_text("No assets yet.")).to_be_visible()
    page.locator("#create-asset").click()
    dialog = page.locator("dialog[open]")
    # A field error appears next to its field (VAL-4: fields[].field).
    dialog.get_by_label("Asset ID").fill("BAD KEY")
    dialog.get_by_label("Name").fill("Pallet jack")
    dialog.get_by_role("button", name="Create asset").click()
    key_error = dialog.locator('.field-error[data-field="external_key"]')
    expect(key_error).to_have_text("Use only letters, digits and hyphens.")
    expect(dialog.get_by_label("Asset ID")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Asset ID").fill("PJ-1")
    dialog.get_by_label("Tag number").fill(EPC)
    dialog.get_by_role("button", name="Create asset").click()
    expect(dialog).to_have_count(0)
    row = page.locator('#assets-table tr[data-key="PJ-1"]')
    expect(row).to_contain_text("Pallet jack")
    expect(row).to_contain_text(f"rfid:{EPC}")
    expect(stat(page, "total")).to_have_text("1")
    shot(page, shots, "assets")

    # --- inventory: keyboard-wedge EPC + Enter, then Save (INT-90, INT-100) ---
    open_screen(page, server, "inventory", "Inventory")
    page.get_by_label("Location").select_option("WH-1-A1")
    wedge = page.get_by_label("Scan tag")
    wedge.fill(EPC)
    wedge.press("Enter")
    wedge.fill("0" + EPC)  # readers pad with zeros: still the same tag
    wedge.press("Enter")
    wedge.fill("E200DEADBEEF")
    wedge.press("Enter")
    expect(stat(page, "found")).to_have_text("1")
    expect(stat(page, "not-listed")).to_have_text("1")
    expect(stat(page, "saveable")).to_have_text("1")
    expect(stat(page, "total")).to_have_text("2")
    expect(page.locator(f'#inv-table tr[data-epc="{EPC}"]')).to_contain_text(
        "Pallet jack (PJ-1)"
    )
    shot(page, shots, "inventory")
    page.locator("#inv-save").click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 1 asset at Aisle 1.")

    # --- report shows the asset at that location (REPORT-2) ------------------
    open_screen(page, server, "reports", "Reports")
    expect(stat(page, "tracked")).to_have_text("1")
    expect(stat(page, "today")).to_have_text("1")
    report_row = page.locator('#report-table tr[data-asset="PJ-1"]')
    expect(report_row).to_contain_text("Pallet jack")
    expect(report_row).to_contain_text("Aisle 1")
    page.get_by_label("Time window").select_option("stale")
    expect(page.locator("#report-table")).to_have_count(0)
    page.get_by_label("Time window").select_option("live")
    expect(report_row).to_be_visible()
    shot(page, shots, "reports")
    report_row.get_by_role("link", name="History of Pallet jack").click()
    expect(page.locator("#history-timeline li")).to_have_count(1)
    expect(page.locator("#history-timeline")).to_contain_text("Aisle 1")
    expect(page.locator("#history-timeline")).to_contain_text("latest sighting")

    # --- invite a member; accept from the logged link (INT-21, INT-34, INT-30)
    open_screen(page, server, "org-members", "Members")
    expect(page.locator(f'#members-table tr[data-email="{ADMIN}"]')).to_contain_text(
        "(you)"
    )
    page.get_by_label("E-mail").fill(MEMBER)
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_role("button", name="Send invitation").click()
    pending = page.locator(f'#invitations-table tr[data-email="{MEMBER}"]')
    expect(pending).to_contain_text("operator")
    shot(page, shots, "members")
    link = server.mailed_link(MEMBER, "#accept-invite?token=")
    assert link.startswith(server.url + "/#accept-invite?token=")
    log_out(page)

    page.goto(link)
    expect(page.locator(".invite-summary")).to_contain_text("Acme Logistics")
    expect(page.locator(".invite-summary")).to_contain_text("operator")
    page.get_by_role("link", name="Sign up to accept").click()
    expect(page.get_by_label("E-mail")).to_have_value(MEMBER)
    expect(page.get_by_label("Organization name")).to_have_count(0)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"#home$"))
    expect(page.locator("#current-org")).to_have_text("Acme Logistics")
    # An operator sees no admin entries and cannot edit assets (INT-10).
    open_account_menu(page)
    expect(page.locator(".account-menu")).to_contain_text("Your role: operator")
    expect(page.get_by_role("link", name="API keys")).to_have_count(0)
    open_screen(page, server, "assets", "Assets")
    expect(page.locator('#assets-table tr[data-key="PJ-1"]')).to_be_visible()
    expect(page.locator("#create-asset")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete Pallet jack")).to_have_count(0)
    log_out(page)

    # --- API key: mint, use, revoke (INT-81, INT-83) -------------------------
    log_in(page, server, ADMIN)
    open_screen(page, server, "api-keys", "API keys")
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    page.locator("#new-key").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("ERP sync")
    dialog.get_by_label("Assets").select_option("write")
    dialog.get_by_label("Locations").select_option("none")
    dialog.get_by_label("Tracking").select_option("read")
    dialog.get_by_label("Expires").select_option("90")
    dialog.get_by_role("button", name="Create key").click()
    token_box = dialog.locator("#new-key-token")
    expect(token_box).to_be_visible()
    token = token_box.input_value()
    assert token.count(".") == 2
    dialog.get_by_role("button", name="Done").click()
    key_row = page.locator('#keys-table tr[data-key="ERP sync"]')
    expect(key_row).to_contain_text("Assets: read + write")
    expect(key_row).to_contain_text("Tracking: read")
    expect(key_row).to_contain_text("Never used")

    status, body = get_json(f"{server.url}/api/v1/orgs/me", token)
    assert status == 200
    assert body["data"]["name"] == "Acme Logistics"
    assert sorted(body["data"]["scopes"]) == [
        "assets:read",
        "assets:write",
        "tracking:read",
    ]
    page.reload()
    expect(key_row).not_to_contain_text("Never used")
    shot(page, shots, "api-keys")

    key_row.get_by_role("button", name="Revoke ERP sync").click()
    page.locator("dialog[open]").get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    status, body = get_json(f"{server.url}/api/v1/orgs/me", token)
    assert status == 401
    assert body["error"]["detail"] == "API key has been revoked"

    assert page.problems == []
