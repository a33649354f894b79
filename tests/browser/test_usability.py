"""What a person runs into between the main steps: a session that ends under an
open dialog, the account menu, long names, and the inventory screen's state
after a save or a reconcile file.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_screens import call, signup

pytestmark = needs_chromium


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


def make_site(server, token: str) -> None:
    """Two locations and two tagged assets, the first one already at Shelf A."""
    for key, name in [("SH-A", "Shelf A"), ("SH-B", "Shelf B")]:
        body = {"external_key": key, "name": name}
        call(server, "POST", "/locations", body, token)
    for key, epc in [
        ("DRL-1", "E2000000000000000000D001"),
        ("DRL-2", "E2000000000000000000D002"),
    ]:
        body = {
            "external_key": key,
            "name": f"Drill {key[-1]}",
            "tags": [{"tag_type": "rfid", "value": epc}],
        }
        call(server, "POST", "/assets", body, token)
    body = {"location_identifier": "SH-A", "asset_identifiers": ["DRL-1"]}
    call(server, "POST", "/inventory/save", body, token)


def test_inventory_after_save_and_with_a_reconcile_file(page: Page, server, tmp_path):
    token = signup(server, "ines@example.com", "Ines Instruments")
    make_site(server, token)
    sign_in_as(page, server, token, "inventory")
    wedge = page.get_by_label("Scan tag")
    expect(wedge).to_be_focused()
    page.keyboard.type("E2000000000000000000D001\n")
    row = page.locator('#inv-table tr[data-epc="E2000000000000000000D001"]')
    # Where the asset is now, by the location's name as everywhere else.
    expect(row.locator('td[data-label="Now at"]')).to_have_text("Shelf A")
    page.get_by_label("Location").select_option("SH-B")
    page.locator("#inv-save").click()
    expect(page.locator("#inv-saved")).to_have_text("Saved 1 asset at Shelf B.")
    # The row follows the save instead of naming the old place ...
    expect(row.locator('td[data-label="Now at"]')).to_have_text("Shelf B")
    # ... and the next read from a keyboard-wedge reader lands in the scan box.
    expect(wedge).to_be_focused()
    page.keyboard.type("E2000000000000000000D002\n")
    expect(page.locator('[data-stat="total"] .stat-value')).to_have_text("2")

    # A file saved with Share starts with its "epc" header: not an expected tag.
    page.get_by_role("button", name="Clear").click()
    expected = tmp_path / "expected.csv"
    expected.write_text(
        "epc,reads,entity_type,external_key,name\r\n"
        "E2000000000000000000D001,1,asset,DRL-1,Drill 1\r\n"
        "E2000000000000000000D002,1,asset,DRL-2,Drill 2\r\n"
    )
    page.set_input_files("#inv-reconcile", str(expected))
    expect(page.get_by_text("Loaded 2 expected tags")).to_be_visible()
    expect(page.locator('[data-stat="missing"] .stat-value')).to_have_text("2")
    wedge.click()
    page.keyboard.type("E2000000000000000000D002\n")
    expect(page.locator('[data-stat="missing"] .stat-value')).to_have_text("1")
    assert page.problems == []


def test_a_long_name_does_not_widen_the_page(browser, server):
    token = signup(server, "lena@example.com", "Lena Labs")
    body = {"external_key": "LONG-1", "name": "Calibration-rig-" + "X" * 100}
    call(server, "POST", "/assets", body, token)
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        sign_in_as(page, server, token, "assets")
        row = page.locator('#assets-table tr[data-key="LONG-1"]')
        expect(row).to_contain_text("Calibration-rig-")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, (width, scroll)
        # Every action of the row is on the screen.
        for name in ("Edit", "History", "Delete"):
            box = row.get_by_role("button", name=name).or_(
                row.get_by_role("link", name=name)
            )
            assert box.bounding_box()["x"] + box.bounding_box()["width"] <= width
        context.close()
