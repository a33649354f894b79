"""Keyboard use of the account and catalogue screens: role pickers that send
nothing until asked, focus that stays where the person was after a list or a
tree is redrawn, and locations named so that two "Shelf 2"s can be told apart.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_roles import add_member
from tests.browser.test_usability import call, sign_in_as, signup

pytestmark = needs_chromium

ADMIN = "tamsin.keys@example.com"
MEMBER = "ulla.keys@example.com"


def member_role(server, token: str, email: str) -> str:
    org = call(server, "GET", "/users/me", token=token)["data"]["current_org"]
    rows = call(server, "GET", f"/orgs/{org['id']}/members", token=token)["data"]
    return next(m["role"] for m in rows if m["email"] == email)


def test_role_picker_changes_nothing_until_asked(page: Page, server):
    """INT-60: one PUT per decision, not one per arrow key on the picker."""
    token = signup(server, ADMIN, "Tamsin Tools")
    add_member(server, token, MEMBER)
    puts: list[str] = []
    page.on("request", lambda r: r.method == "PUT" and puts.append(r.post_data))
    sign_in_as(page, server, token, "org-members")

    # Walking the picker with the arrow keys only chooses.
    picker = page.get_by_label(f"Role of {MEMBER}", exact=True)
    picker.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(picker).to_have_value("manager")
    page.wait_for_timeout(300)
    assert puts == []
    assert member_role(server, token, MEMBER) == "viewer"

    # The button beside it sends the choice, once.
    page.keyboard.press("Tab")
    apply = page.get_by_role("button", name=f"Save the role of {MEMBER}")
    expect(apply).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#toasts")).to_contain_text(f"{MEMBER} is now manager")
    assert puts == ['{"role":"manager"}']
    assert member_role(server, token, MEMBER) == "manager"
    expect(apply).to_be_disabled()

    # The only admin demoting themselves (INT-61): refused, said what to do,
    # and the picker shows the role they still have.
    own = page.get_by_label(f"Role of {ADMIN}", exact=True)
    own.select_option("viewer")
    page.get_by_role("button", name=f"Save the role of {ADMIN}").click()
    expect(page.locator("main .alert.error")).to_have_text(
        "An organization needs at least one admin. Make another member an admin "
        "first, then change or remove this one."
    )
    expect(own).to_have_value("admin")
    expect(own).to_be_focused()
    assert member_role(server, token, ADMIN) == "admin"
    assert page.problems == []


def two_shelves_named_alike(server, token: str) -> None:
    """Shelf 2 in two aisles, a crate seen at one and then at the other."""
    for key, name, parent in [
        ("HALL", "Hall", None),
        ("AISLE-1", "Aisle 1", "HALL"),
        ("AISLE-2", "Aisle 2", "HALL"),
        ("A1-S2", "Shelf 2", "AISLE-1"),
        ("A2-S2", "Shelf 2", "AISLE-2"),
    ]:
        body = {"external_key": key, "name": name}
        if parent:
            body["parent_external_key"] = parent
        call(server, "POST", "/locations", body, token)
    call(server, "POST", "/assets", {"external_key": "CRATE-1", "name": "Crate"}, token)
    for shelf in ("A1-S2", "A2-S2"):
        body = {"location_identifier": shelf, "asset_identifiers": ["CRATE-1"]}
        call(server, "POST", "/inventory/save", body, token)


def test_lists_say_which_of_two_like_named_locations(page: Page, server):
    """ASSET-3's current location, REPORT rows and HIST events name the place
    with the locations above it, so two "Shelf 2"s read differently."""
    token = signup(server, "vanya.places@example.com", "Vanya Vans")
    two_shelves_named_alike(server, token)
    sign_in_as(page, server, token, "assets")
    row = page.locator('#assets-table tr[data-key="CRATE-1"]')
    expect(row.locator('td[data-label="Location"]')).to_have_text(
        "Shelf 2 in Hall / Aisle 2"
    )

    page.goto(f"{server.url}/#reports")
    cell = page.locator(
        '#report-table tr[data-asset="CRATE-1"] td[data-label="Location"]'
    )
    expect(cell).to_have_text("Shelf 2 in Hall / Aisle 2")

    page.locator('#report-table tr[data-asset="CRATE-1"]').get_by_role(
        "link", name="History of Crate"
    ).click()
    stops = page.locator("#history-timeline li strong")
    expect(stops).to_have_text(
        ["Shelf 2 in Hall / Aisle 2", "Shelf 2 in Hall / Aisle 1"]
    )
    assert page.problems == []


def test_focus_stays_put_in_the_location_tree(browser, server):
    """Selecting, creating under and deleting locations with the keyboard:
    the focus never falls back to the top of the page (SCREENS #locations)."""
    token = signup(server, "wim.tree@example.com", "Wim Works")
    for n in range(1, 4):
        body = {"external_key": f"R{n}", "name": f"Room {n}"}
        call(server, "POST", "/locations", body, token)
        for m in range(1, 7):
            body = {"external_key": f"R{n}-B{m}", "name": f"Bin {m}"}
            body["parent_external_key"] = f"R{n}"
            call(server, "POST", "/locations", body, token)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in_as(page, server, token, "locations")
    tree = page.locator("#location-tree")

    # Enter on a node selects it and leaves the focus on it, so the arrow
    # and Tab keys go on from there.
    node = tree.get_by_role("button", name="Room 2 R2", exact=True)
    node.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#location-detail h2")).to_have_text("Room 2")
    expect(tree.get_by_role("button", name="Room 2 R2", exact=True)).to_be_focused()

    # After a dialog the focus is on the location it left selected.
    page.locator("#location-detail").get_by_role("button", name="Add child").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name=name]").fill("Bin 9")
    dialog.get_by_label("Location ID").fill("R2-B9")
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(tree.get_by_role("button", name="Bin 9 R2-B9")).to_be_focused()
    page.locator("#location-detail").get_by_role("button", name="Delete").click()
    page.locator("dialog[open]").get_by_role("button", name="Delete").click()
    expect(tree.get_by_role("button", name="Room 2 R2", exact=True)).to_be_focused()
    context.close()

    # On a phone the details are below the whole tree: choosing a location
    # takes the focus, and the screen, to them.
    context = browser.new_context(viewport={"width": 375, "height": 640})
    page = context.new_page()
    sign_in_as(page, server, token, "locations")
    node = page.get_by_role("button", name="Bin 2 R1-B2")
    node.focus()
    page.keyboard.press("Enter")
    heading = page.locator("#location-detail h2")
    expect(heading).to_have_text("Bin 2")
    expect(heading).to_be_focused()
    expect(heading).to_be_in_viewport()
    context.close()


def test_paging_with_the_keyboard_keeps_the_focus(page: Page, server):
    """PAGE-1 pages through Next and Previous without losing the focus."""
    token = signup(server, "xena.pages@example.com", "Xena Exports")
    for n in range(1, 31):
        body = {"external_key": f"BOX-{n:02d}", "name": f"Box {n:02d}"}
        call(server, "POST", "/assets", body, token)
    sign_in_as(page, server, token, "assets")
    info = page.locator("#assets-table + .pager .pager-info")
    expect(info).to_have_text("1–25 of 30")
    page.get_by_role("button", name="Next").focus()
    page.keyboard.press("Enter")
    expect(info).to_have_text("26–30 of 30")
    # Next is now disabled: the focus moves to its neighbour, not to <body>.
    expect(page.get_by_role("button", name="Previous")).to_be_focused()
    page.keyboard.press("Enter")
    expect(info).to_have_text("1–25 of 30")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    expect(page.get_by_role("button", name="Next")).to_be_focused()

    # A button pressed with Enter keeps the focus once its request is done;
    # closing the dialog gives it back to the row's Edit button.
    page.get_by_role("button", name="Edit Box 03").click()
    save = page.locator("dialog[open]").get_by_role("button", name="Save changes")
    save.focus()
    page.keyboard.press("Enter")
    expect(page.locator("dialog[open] .alert.ok")).to_have_text("Saved.")
    expect(save).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Edit Box 03")).to_be_focused()
    assert page.problems == []
