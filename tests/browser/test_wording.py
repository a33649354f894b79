"""The app's words and layout around lists: refusals said with the screens'
names, the last row of a long list clear of the round create button, one
e-mail per member, and notices that leave and keep off the side menu.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_usability import call, sign_in_as, signup

pytestmark = needs_chromium

FORK_TAG = "E2000000000000000000F001"


def test_refusals_use_the_apps_words(page: Page, server):
    token = signup(server, "wanda@example.com", "Wanda Works")
    call(
        server, "POST", "/locations", {"external_key": "WH", "name": "Warehouse"}, token
    )
    body = {
        "external_key": "FORK-01",
        "name": "Forklift",
        "tags": [{"tag_type": "rfid", "value": FORK_TAG}],
    }
    call(server, "POST", "/assets", body, token)
    sign_in_as(page, server, token, "assets")

    # A taken Asset ID: said with the field's name, and marked at the field.
    page.locator("#create-asset").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Asset ID").fill("FORK-01")
    dialog.get_by_label("Name").fill("Second forklift")
    dialog.get_by_role("button", name="Create asset").click()
    expect(dialog.locator(".alert.error")).to_have_text(
        "Asset ID FORK-01 is already used by another asset. Choose another Asset ID."
    )
    expect(dialog.get_by_label("Asset ID")).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator('.field-error[data-field="external_key"]')).to_have_text(
        "Already used by another asset."
    )

    # A taken tag: the form knows what it sent, so the message names it.
    dialog.get_by_label("Asset ID").fill("FORK-02")
    dialog.get_by_label("Tag number").fill(FORK_TAG)
    dialog.get_by_role("button", name="Create asset").click()
    expect(dialog.locator(".alert.error")).to_have_text(
        f"Tag {FORK_TAG} is already attached to the asset Forklift (FORK-01)."
    )
    expect(dialog.get_by_label("Asset ID")).not_to_have_attribute(
        "aria-invalid", "true"
    )

    # A detail the app does not know is shown as the server wrote it.
    def refuse(route):
        error = {"type": "conflict", "title": "Conflict", "detail": "a new rule"}
        route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": error}),
        )

    page.route("**/api/v1/assets", refuse)
    dialog.get_by_label("Tag number").fill("")
    dialog.get_by_role("button", name="Create asset").click()
    expect(dialog.locator(".alert.error")).to_have_text("a new rule")
    page.unroute("**/api/v1/assets")
    dialog.get_by_role("button", name="Close").click()

    # Locations: a taken Location ID and the delete guard.
    page.goto(f"{server.url}/#locations")
    page.locator("#create-location").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Second warehouse")
    dialog.get_by_label("Location ID").fill("WH")
    dialog.get_by_role("button", name="Create location").click()
    expect(dialog.locator(".alert.error")).to_have_text(
        "Location ID WH is already used by another location. "
        "Choose another Location ID."
    )
    dialog.get_by_role("button", name="Close").click()

    call(
        server,
        "POST",
        "/inventory/save",
        {"location_identifier": "WH", "asset_identifiers": ["FORK-01"]},
        token,
    )
    page.locator("#location-tree").get_by_role(
        "button", name=re.compile("^Warehouse")
    ).click()
    page.locator("#location-detail").get_by_role("button", name="Delete").click()
    page.locator("dialog[open]").get_by_role("button", name="Delete").click()
    expect(page.locator("#location-detail .alert.error")).to_have_text(
        "Assets are at this location. Move them to another location or delete "
        "them first, then delete this location."
    )
    assert page.problems == []


def overlaps(a, b, gap: float = 8) -> bool:
    """True when box ``a`` comes within ``gap`` pixels of box ``b``."""
    return not (
        a["x"] + a["width"] + gap <= b["x"]
        or b["x"] + b["width"] + gap <= a["x"]
        or a["y"] + a["height"] + gap <= b["y"]
        or b["y"] + b["height"] + gap <= a["y"]
    )


def test_create_button_leaves_the_last_row_clear(browser, server):
    token = signup(server, "liv@example.com", "Liv Logistics")
    for i in range(30):
        body = {"external_key": f"LR-{i:02d}", "name": f"Ladder {i:02d}"}
        call(server, "POST", "/assets", body, token)
        body = {"external_key": f"BAY-{i:02d}", "name": f"Bay {i:02d}"}
        call(server, "POST", "/locations", body, token)
    for width, height in ((1280, 600), (375, 700)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in_as(page, server, token, "assets")
        rows = page.locator("#assets-table tbody tr")
        expect(rows).to_have_count(25)
        fab = page.get_by_role("button", name="Create asset", exact=True)
        delete = rows.last.get_by_role("button", name="Delete")
        # Reached with the keyboard: the focused button scrolls into view
        # above the round button, not under it.
        delete.focus()
        assert not overlaps(delete.bounding_box(), fab.bounding_box()), width
        # At the end of the page, below the pager as well.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        for control in (delete, page.get_by_role("button", name="Next")):
            box = control.bounding_box()
            assert not overlaps(box, fab.bounding_box()), width
            assert box["y"] + box["height"] <= height
        # Locations end with their counts, the last one under the button.
        page.goto(f"{server.url}/#locations")
        fab = page.get_by_role("button", name="Create location", exact=True)
        expect(page.locator('[data-stat="total"] .stat-value')).to_have_text("30")
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        box = page.locator('[data-stat="roots"]').bounding_box()
        assert not overlaps(box, fab.bounding_box()), width
        context.close()


def test_members_show_each_email_once(page: Page, server):
    admin = "mira@example.com"
    token = signup(server, admin, "Mira Metals")
    sign_in_as(page, server, token, "org-members")
    row = page.locator(f'#members-table tr[data-email="{admin}"]')
    expect(row).to_contain_text("(you)")
    # Signup names a user by the e-mail (INT-30): it appears once.
    assert row.inner_text().count(admin) == 1

    # A member with a name of their own shows both.
    def named(route):
        response = route.fetch()
        body = response.json()
        body["data"][0]["name"] = "Mira Marsh"
        route.fulfill(response=response, json=body)

    page.route("**/members", named)
    page.reload()
    expect(row).to_contain_text("Mira Marsh (you)")
    expect(row).to_contain_text(admin)
    assert page.problems == []


def test_notices_leave_and_keep_off_the_menu(browser, server):
    token = signup(server, "nora@example.com", "Nora Nets")
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 700})
        page = context.new_page()
        sign_in_as(page, server, token, "locations")
        for name in ("Warehouse", "Yard"):
            page.locator("#create-location").click()
            dialog = page.locator("dialog[open]")
            dialog.get_by_label("Name").fill(f"{name} {width}")
            dialog.get_by_role("button", name="Create location").click()
            expect(page.locator("#location-detail h2")).to_have_text(f"{name} {width}")
        notices = page.locator("#toasts .toast")
        expect(notices.last).to_have_text(f"Created Yard {width}")
        fab = page.get_by_role("button", name="Create location", exact=True)
        covered = [fab]
        if width > 760:
            covered.append(page.locator(".sidenav"))
        for notice in notices.all():
            for item in covered:
                assert not overlaps(notice.bounding_box(), item.bounding_box(), 0)
        # The side menu under the notices' band still takes clicks.
        if width > 760:
            page.locator(".sidenav").get_by_role("link", name="Assets").click()
            expect(page.get_by_role("heading", name="Assets")).to_be_visible()
        expect(notices).to_have_count(0, timeout=6000)
        context.close()


def test_field_errors_say_what_to_do(page: Page, server):
    """VAL-4/5: the server words field errors for API clients, with the JSON
    key ("org_name must be at least 2 character(s)"); the forms say the same
    with the code and params, and the alert points at the marked fields."""
    page.goto(f"{server.url}/#signup")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator('.field-error[data-field="email"]')).to_have_text(
        "Enter an e-mail address such as name@example.com."
    )
    expect(page.locator('.field-error[data-field="password"]')).to_have_text(
        "Use at least 8 characters."
    )
    expect(page.locator('.field-error[data-field="org_name"]')).to_have_text(
        "Use at least 2 characters."
    )
    expect(page.locator("form .alert.error")).to_have_text("Check the 3 marked fields.")
    expect(page.get_by_label("E-mail")).to_be_focused()

    token = signup(server, "vic@example.com", "Vic Vans")
    sign_in_as(page, server, token, "locations")
    page.locator("#create-location").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_role("button", name="Create location").click()
    expect(dialog.locator('.field-error[data-field="name"]')).to_have_text(
        "Fill this in."
    )
    expect(dialog.locator(".alert.error")).to_have_text("Check the marked field.")
    dialog.get_by_label("Name").fill("Dock")
    dialog.get_by_label("Location ID").fill("DOCK 1")
    dialog.get_by_role("button", name="Create location").click()
    expect(dialog.locator('.field-error[data-field="external_key"]')).to_have_text(
        "Use only letters, digits and hyphens."
    )
    expect(dialog.locator('.field-error[data-field="name"]')).to_have_text("")
    dialog.get_by_role("button", name="Close").click()

    # A field the form has no control for keeps the server's detail.
    def refuse(route):
        entry = {"field": "metadata", "code": "invalid_value", "message": "m!"}
        error = {"type": "validation_error", "detail": "m!", "fields": [entry]}
        route.fulfill(status=400, json={"error": error})

    page.route("**/api/v1/locations", refuse)
    page.locator("#create-location").click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Yard")
    dialog.get_by_role("button", name="Create location").click()
    expect(dialog.locator(".alert.error")).to_have_text("m!")
    page.unroute("**/api/v1/locations")
    for text in ("must be", "character(s)", "org_name", "external_key"):
        expect(page.get_by_text(text)).to_have_count(0)
    assert page.problems == []
