"""Editing through the screens: merge patch, rename, tags, moves, paging, orgs."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_screens import call, sign_in_as, signup

pytestmark = needs_chromium


def test_asset_edit_rename_tags_and_paging(page: Page, server):
    """PATCH-1 (only changed keys), EK-7 rename, TAG-5/6, PAGE-1 paging, PAGE-10 q."""
    token = signup(server, "fay@example.com", "Fay Freight")
    for n in range(1, 31):
        body = {"name": f"Crate {n:02d}", "external_key": f"CR-{n:02d}"}
        call(server, "POST", "/assets", body, token)
    sign_in_as(page, server, token)

    page.goto(f"{server.url}/#assets")
    expect(page.locator("#assets-table tbody tr")).to_have_count(25)
    expect(page.locator(".pager-info")).to_have_text("1–25 of 30")
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".pager-info")).to_have_text("26–30 of 30")
    expect(page.locator("#assets-table tbody tr")).to_have_count(5)

    page.get_by_label("Sort").select_option("-name")
    expect(page.locator("#assets-table tbody tr").first).to_have_attribute(
        "data-key", "CR-30"
    )
    page.get_by_label("Search").fill("Crate 07")
    expect(page.locator("#assets-table tbody tr")).to_have_count(1)

    patches = []
    page.on(
        "request",
        lambda r: (
            patches.append((r.headers, r.post_data_json))
            if r.method == "PATCH"
            else None
        ),
    )
    page.get_by_role("button", name="Edit Crate 07").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Crate seven")
    dialog.get_by_label("Description").fill("Blue, stackable")
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog.locator(".alert.ok")).to_have_text("Saved.")
    assert patches[-1][1] == {"name": "Crate seven", "description": "Blue, stackable"}
    assert patches[-1][0]["content-type"] == "application/merge-patch+json"

    dialog.get_by_label("Asset ID").fill("CR-007")
    dialog.get_by_role("button", name="Change ID").click()
    expect(dialog.get_by_text("Asset ID is now CR-007.")).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_have_text("Edit CR-007")

    dialog.get_by_label("Tag number").fill("E200AA")
    dialog.get_by_role("button", name="Add tag").click()
    expect(dialog.locator(".tag-list")).to_contain_text("rfid:E200AA")
    dialog.get_by_label("Type").select_option("barcode")
    dialog.get_by_label("Tag number").fill("0001")
    dialog.get_by_role("button", name="Add tag").click()
    expect(dialog.locator(".tag-list li")).to_have_count(2)
    dialog.get_by_role("button", name="Remove tag E200AA").click()
    expect(dialog.locator(".tag-list li")).to_have_count(1)
    # A duplicate tag is refused (TAG-5), naming where the tag already is.
    dialog.get_by_label("Type").select_option("barcode")
    dialog.get_by_label("Tag number").fill("0001")
    dialog.get_by_role("button", name="Add tag").click()
    expect(dialog.locator(".tag-manager form .alert.error")).to_have_text(
        "Tag 0001 is already attached to the asset Crate seven (CR-007)."
    )
    dialog.get_by_role("button", name="Close").click()

    page.get_by_label("Search").fill("stackable")
    row = page.locator('#assets-table tr[data-key="CR-007"]')
    expect(row).to_contain_text("Crate seven")
    expect(row).to_contain_text("barcode:0001")

    page.get_by_role("button", name="Delete Crate seven").click()
    page.locator("dialog[open]").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("No assets match these filters.")).to_be_visible()
    assert page.problems == []


def test_location_move_rename_and_orgs(page: Page, server):
    """LOC-6 re-parenting, EK-7 rename, INT-41 switcher, INT-51 org settings."""
    token = signup(server, "gus@example.com", "Gus Group")
    site_a = call(server, "POST", "/locations", {"name": "Site A"}, token)["data"]
    call(server, "POST", "/locations", {"name": "Site B"}, token)
    body = {"name": "Shelf", "external_key": "SH-1", "parent_id": site_a["id"]}
    call(server, "POST", "/locations", body, token)
    sign_in_as(page, server, token)

    page.goto(f"{server.url}/#locations")
    tree = page.locator("#location-tree")
    expect(tree.locator("li.depth-1")).to_contain_text("Shelf")
    tree.get_by_role("button", name=re.compile("^Shelf")).click()
    page.get_by_role("button", name="Move").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("New parent").select_option(label="Site B (LOC-0002)")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#location-detail")).to_contain_text("Site B / Shelf")

    page.get_by_role("button", name="Change ID").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Location ID").fill("SHELF-B")
    dialog.get_by_role("button", name="Change ID").click()
    expect(page.locator("#location-detail code")).to_have_text("SHELF-B")

    page.get_by_role("button", name="Move").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("New parent").select_option("")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator('[data-stat="roots"] .stat-value')).to_have_text("3")

    # Create a second org: the app switches to it; the switcher goes back.
    page.goto(f"{server.url}/#create-org")
    page.get_by_label("Organization name").fill("Gus Labs")
    page.get_by_role("button", name="Create organization").click()
    expect(page.locator("#current-org")).to_have_text("Gus Labs")
    page.goto(f"{server.url}/#locations")
    expect(page.get_by_text("No locations found.")).to_be_visible()
    page.get_by_label("Account menu").click()
    page.get_by_label("Organization", exact=True).select_option(label="Gus Group")
    expect(page.locator("#current-org")).to_have_text("Gus Group")
    expect(page.locator('[data-stat="total"] .stat-value')).to_have_text("3")

    # Rename, then delete by typing the name.
    page.goto(f"{server.url}/#org-settings")
    page.get_by_label("Name").fill("Gus Group Ltd")
    page.get_by_role("button", name="Rename").click()
    expect(page.locator("#current-org")).to_have_text("Gus Group Ltd")
    delete = page.get_by_role("button", name="Delete organization")
    expect(delete).to_be_disabled()
    page.get_by_label('Type "Gus Group Ltd" to confirm').fill("gus group ltd")
    expect(delete).to_be_enabled()
    delete.click()
    expect(page).to_have_url(re.compile(r"#home$"))
    expect(page.locator("#current-org")).to_have_text("Gus Labs")
    assert page.problems == []


def test_key_picker_scopes_and_expiry(page: Page, server):
    """SCOPE-8: Read + Write grants both scopes; "Readers: push scans" asks for
    scans:write; a custom expiry is sent as the end of that day (INT-81)."""
    token = signup(server, "hal@example.com", "Hal Hauling")
    sign_in_as(page, server, token)
    page.goto(f"{server.url}/#api-keys")
    sent = []
    page.on(
        "request",
        lambda r: (
            sent.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api-keys")
            else None
        ),
    )

    page.locator("#new-key").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Gate reader")
    dialog.get_by_label("Assets").select_option("none")
    dialog.get_by_label("Locations").select_option("none")
    dialog.get_by_role("button", name="Create key").click()
    # Nothing picked: the form says so before calling the server.
    expect(dialog.locator('.field-error[data-field="scopes"]')).to_have_text(
        "Pick at least one access level."
    )
    assert sent == []

    dialog.get_by_label("Assets").select_option("read")
    dialog.get_by_label("Locations").select_option("write")
    dialog.get_by_label("Expires").select_option("custom")
    dialog.get_by_label("Expiry date").fill("2031-05-17")
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.locator("#new-key-token")).to_be_visible()
    assert sent[-1]["scopes"] == ["assets:read", "locations:read", "locations:write"]
    assert sent[-1]["expires_at"].startswith("2031-05-1")
    dialog.get_by_role("button", name="Done").click()
    row = page.locator('#keys-table tr[data-key="Gate reader"]')
    expect(row).to_contain_text("Assets: read · Locations: read + write")
    expect(row.locator('td[data-label="Expires"]')).not_to_have_text("Never")

    page.locator("#new-key").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Dock door")
    dialog.get_by_label("Readers: push scans").check()
    dialog.get_by_role("button", name="Create key").click()
    # Reader keys carry scans:write (SCAN-3); the token is shown once.
    expect(dialog.locator("#new-key-token")).to_be_visible()
    assert sent[-1]["scopes"] == ["assets:read", "locations:read", "scans:write"]
    assert "expires_at" not in sent[-1]
    assert page.problems == []


def test_key_expiry_must_be_ahead_and_expired_keys_say_so(page: Page, server):
    """INT-81 takes any expires_at; a date already past would mint a key that
    is refused at once. INT-82 still lists expired keys: the list marks them."""
    token = signup(server, "hugo@example.com", "Hugo Hoists")
    org = call(server, "GET", "/users/me", token=token)["data"]["current_org"]
    old = {
        "name": "Old sync",
        "scopes": ["assets:read"],
        "expires_at": "2020-01-01T00:00:00Z",
    }
    call(server, "POST", f"/orgs/{org['id']}/api-keys", old, token)
    sign_in_as(page, server, token)
    page.goto(f"{server.url}/#api-keys")
    expires = page.locator(
        '#keys-table tr[data-key="Old sync"] td[data-label="Expires"]'
    )
    expect(expires.locator(".badge")).to_have_text("Expired")

    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.url) if r.method == "POST" else None,
    )
    page.locator("#new-key").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Late sync")
    dialog.get_by_label("Expires").select_option("custom")
    dialog.get_by_label("Expiry date").fill("2020-06-30")
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.locator('.field-error[data-field="expires_at"]')).to_have_text(
        "Pick today or a later date."
    )
    expect(dialog.get_by_label("Expiry date")).to_be_focused()
    assert sent == []
    dialog.get_by_label("Expiry date").fill("2031-05-17")
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.locator("#new-key-token")).to_be_visible()
    dialog.get_by_role("button", name="Done").click()
    later = page.locator(
        '#keys-table tr[data-key="Late sync"] td[data-label="Expires"]'
    )
    expect(later).to_be_visible()
    expect(later.locator(".badge")).to_have_count(0)
    assert page.problems == []
