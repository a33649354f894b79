"""Work that spans screens: an inventory scan kept while a tag is registered,
saving a scan once, assets outside their valid dates, and the links between
locations, reports and the ID forms.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_usability import call, make_site, sign_in_as, signup

pytestmark = needs_chromium

UNKNOWN = "E2000000000000000000F00D"


def stat(page: Page, name: str):
    return page.locator(f'[data-stat="{name}"] .stat-value')


def test_inventory_session_survives_registering_a_tag(page: Page, server):
    token = signup(server, "rita@example.com", "Rita Racks")
    make_site(server, token)
    sign_in_as(page, server, token, "inventory")
    page.get_by_label("Location").select_option("SH-B")
    page.keyboard.type(f"E2000000000000000000D001\n{UNKNOWN}\n")
    unknown = page.locator(f'#inv-table tr[data-epc="{UNKNOWN}"]')
    expect(unknown).to_contain_text("Not listed")

    # Register opens the asset form with the tag filled in; Back returns to
    # the same scan.
    unknown.get_by_role("link", name="Register").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_label("Tag number")).to_have_value(UNKNOWN)
    page.go_back()
    expect(page.get_by_role("heading", name="Inventory")).to_be_visible()
    expect(page.locator("#inv-table tbody tr")).to_have_count(2)
    expect(page.get_by_label("Location")).to_have_value("SH-B")

    # Registered, the tag is found when the person comes back.
    unknown.get_by_role("link", name="Register").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Ladder")
    dialog.get_by_role("button", name="Create asset").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    page.get_by_role("link", name="Back to Inventory").click()
    expect(unknown.locator('td[data-label="Item"]')).to_contain_text("Ladder")
    expect(stat(page, "found")).to_have_text("2")
    expect(stat(page, "not-listed")).to_have_text("0")
    expect(page.get_by_label("Location")).to_have_value("SH-B")
    page.locator("#inv-save").click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 2 assets at Shelf B.")
    assert page.problems == []


def test_inventory_saves_each_read_once(page: Page, server):
    token = signup(server, "sven@example.com", "Sven Stores")
    make_site(server, token)
    saves = []
    page.on(
        "request",
        lambda r: (
            saves.append(r.post_data_json)
            if r.url.endswith("/inventory/save")
            else None
        ),
    )
    sign_in_as(page, server, token, "inventory")
    page.get_by_label("Location").select_option("SH-B")
    page.keyboard.type("E2000000000000000000D001\n")
    save = page.locator("#inv-save")
    expect(save).to_be_enabled()
    save.click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 1 asset at Shelf B.")
    # Saved: a second click would record the same scan again.
    expect(save).to_be_disabled()
    expect(page.locator("#inv-save-hint")).to_have_text(
        "Everything scanned is saved at Shelf B. "
        "Scan more tags or pick another location to save again."
    )
    # Reading the same tag again adds nothing to save.
    page.keyboard.type("E2000000000000000000D001\n")
    expect(page.locator("#inv-table td[data-label='Reads']")).to_have_text("2")
    expect(save).to_be_disabled()
    # A new asset is saved on its own ...
    page.keyboard.type("E2000000000000000000D002\n")
    expect(save).to_be_enabled()
    save.click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 1 asset at Shelf B.")
    expect(save).to_be_disabled()
    # ... and another location takes every scanned asset.
    page.get_by_label("Location").select_option("SH-A")
    expect(save).to_be_enabled()
    expect(page.locator("#inv-save-hint")).to_have_text("")
    save.click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 2 assets at Shelf A.")
    expect(save).to_be_disabled()
    assert [s["asset_identifiers"] for s in saves] == [
        ["DRL-1"],
        ["DRL-2"],
        ["DRL-1", "DRL-2"],
    ]
    assert page.problems == []


def test_asset_outside_its_valid_dates_can_be_found(page: Page, server):
    """The list shows only currently effective assets (CONTRACT PAGE-15)."""
    token = signup(server, "vera@example.com", "Vera Vaults")
    sign_in_as(page, server, token, "assets")
    page.locator("#create-asset").click()
    dialog = page.locator("dialog[open]")
    warning = dialog.locator('.alert.warn[role="status"]')
    dialog.get_by_label("Name").fill("Retired drill")
    dialog.get_by_label("Asset ID").fill("OLD-1")
    expect(warning).to_be_hidden()
    dialog.get_by_label("Valid from").fill("2999-01-01T08:00")
    expect(warning).to_have_text(
        "Valid from is in the future: this asset will not show in the asset list "
        "or search. A link to open it appears after it is created."
    )
    # a window that ends before it starts is never in effect (DATE-7 allows it)
    dialog.get_by_label("Valid to").fill("2998-01-01T08:00")
    expect(warning).to_contain_text(
        "Valid to is not after Valid from: this asset will not show"
    )
    dialog.get_by_label("Valid to").fill("")
    dialog.get_by_label("Valid from").fill("")
    expect(warning).to_be_hidden()
    dialog.get_by_label("Valid to").fill("2020-01-01T08:00")
    expect(warning).to_contain_text("Valid to is in the past: this asset will not")
    dialog.get_by_role("button", name="Create asset").click()
    expect(page.locator("dialog[open]")).to_have_count(0)

    notice = page.locator("#asset-notice")
    expect(notice).to_contain_text(
        "Created OLD-1. Valid to is in the past, so the asset list and search "
        "do not show it."
    )
    expect(page.get_by_text("No assets yet.")).to_be_visible()
    notice.get_by_role("link", name="Open OLD-1").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Edit OLD-1")).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_value("Retired drill")
    expect(dialog.locator('.alert.warn[role="status"]')).to_contain_text(
        "Valid to is in the past"
    )
    # Clearing the end date brings it back into the list.
    dialog.get_by_label("Valid to").fill("")
    expect(dialog.locator('.alert.warn[role="status"]')).to_be_hidden()
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator(".alert.ok")).to_have_text("Saved.")
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator('#assets-table tr[data-key="OLD-1"]')).to_be_visible()
    assert page.problems == []


def test_location_opens_its_report(page: Page, server):
    """The report filtered to one location (CONTRACT REPORT-4)."""
    token = signup(server, "lars@example.com", "Lars Lockers")
    make_site(server, token)
    body = {"location_identifier": "SH-B", "asset_identifiers": ["DRL-2"]}
    call(server, "POST", "/inventory/save", body, token)
    sign_in_as(page, server, token, "locations")
    page.locator("#location-tree").get_by_role("button", name="Shelf B").click()
    page.get_by_role("link", name="See which assets are here").click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-asset", "DRL-2")
    shelf_b = call(server, "GET", "/locations?external_key=SH-B", token=token)
    expect(page.get_by_label("Location", exact=True)).to_have_value(
        str(shelf_b["data"][0]["id"])
    )
    # The filter is the screen's own: clearing it shows every location.
    page.get_by_label("Location", exact=True).select_option("")
    expect(rows).to_have_count(2)
    assert page.problems == []


def test_id_changes_are_not_called_rename(page: Page, server):
    """Edit changes the name; the other button changes the ID (CONTRACT EK-7)."""
    token = signup(server, "ivo@example.com", "Ivo Items")
    make_site(server, token)
    sign_in_as(page, server, token, "locations")
    page.locator("#location-tree").get_by_role("button", name="Shelf A").click()
    detail = page.locator("#location-detail")
    expect(detail.get_by_role("button", name="Edit")).to_be_visible()
    expect(detail.get_by_role("button", name="Rename")).to_have_count(0)
    detail.get_by_role("button", name="Change ID").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("heading")).to_have_text(
        "Change the Location ID of Shelf A"
    )
    dialog.get_by_label("Location ID").fill("SHELF-A")
    dialog.get_by_role("button", name="Change ID").click()
    expect(detail.locator("code")).to_have_text("SHELF-A")
    expect(detail.get_by_role("heading", name="Shelf A")).to_be_visible()

    page.goto(f"{server.url}/#assets")
    page.get_by_role("button", name="Edit Drill 1").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.get_by_role("button", name="Rename")).to_have_count(0)
    dialog.get_by_label("Asset ID").fill("DRILL-1")
    dialog.get_by_role("button", name="Change ID").click()
    expect(dialog.get_by_text("Asset ID is now DRILL-1.")).to_be_visible()
    expect(dialog.get_by_label("Name")).to_have_value("Drill 1")
    assert page.problems == []


def test_filtering_by_a_location_takes_in_what_is_under_it(page: Page, server):
    """A building's filter shows its shelves' assets too: the assets list asks
    for the subtree as repeated location_id (PAGE-6), the report filters its
    rows the same way."""
    token = signup(server, "pia.places@example.com", "Pia Places")
    for key, name, parent in [
        ("HALL", "Hall", None),
        ("HALL-S1", "Shelf 1", "HALL"),
        ("YARD", "Yard", None),
    ]:
        body = {"external_key": key, "name": name}
        if parent:
            body["parent_external_key"] = parent
        call(server, "POST", "/locations", body, token)
    for key, name in [("PMP-1", "Pump"), ("CRT-1", "Cart")]:
        call(server, "POST", "/assets", {"external_key": key, "name": name}, token)
    for place, asset in [("HALL-S1", "PMP-1"), ("YARD", "CRT-1")]:
        body = {"location_identifier": place, "asset_identifiers": [asset]}
        call(server, "POST", "/inventory/save", body, token)

    sign_in_as(page, server, token, "assets")
    rows = page.locator(".list-body tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Location").select_option(label="Hall (HALL)")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("PMP-1")
    page.get_by_label("Location").select_option(label="\u00a0\u00a0Shelf 1 (HALL-S1)")
    expect(rows).to_have_count(1)
    page.get_by_label("Location").select_option(label="Yard (YARD)")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("CRT-1")

    page.goto(f"{server.url}/#reports")
    page.get_by_label("Time window").select_option(label="All Time")
    page.get_by_label("Location", exact=True).select_option(label="Hall (HALL)")
    report = page.locator("table tbody tr")
    expect(report).to_have_count(1)
    expect(report.first).to_contain_text("Pump")
    assert page.problems == []
