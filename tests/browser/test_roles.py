"""What each role sees (SCREENS "Role-dependent UI", INTERNAL INT-10): one
member whose role the admin changes between visits."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.conftest import needs_chromium
from tests.browser.test_screens import PASSWORD
from tests.browser.test_usability import call, sign_in_as, signup

pytestmark = needs_chromium

MEMBER = "rory@example.com"


def add_member(server, admin_token: str, email: str = MEMBER) -> tuple[int, int, str]:
    """Invite ``email`` as a viewer and sign them up from the mailed link:
    (org, user, token)."""
    org = call(server, "GET", "/users/me", token=admin_token)["data"]["current_org"]
    body = {"email": email, "role": "viewer"}
    call(server, "POST", f"/orgs/{org['id']}/invitations", body, admin_token)
    link = server.mailed_link(email, "#accept-invite?token=")
    body = {
        "email": email,
        "password": PASSWORD,
        "invitation_token": link.split("token=", 1)[1],
    }
    data = call(server, "POST", "/auth/signup", body)["data"]
    return org["id"], data["user"]["id"], data["token"]


def test_only_managers_and_admins_export_reports(page: Page, server):
    """INT-10: exporting reports is a manager's and an admin's capability."""
    admin = signup(server, "rhea@example.com", "Rhea Racks")
    call(server, "POST", "/locations", {"external_key": "DOCK", "name": "Dock"}, admin)
    call(server, "POST", "/assets", {"external_key": "CART-1", "name": "Cart"}, admin)
    save = {"location_identifier": "DOCK", "asset_identifiers": ["CART-1"]}
    call(server, "POST", "/inventory/save", save, admin)
    org_id, user_id, member = add_member(server, admin)

    share = page.get_by_role("button", name="Share")
    for role, exports in [
        ("viewer", False),
        ("operator", False),
        ("manager", True),
        ("admin", True),
    ]:
        path = f"/orgs/{org_id}/members/{user_id}"
        call(server, "PUT", path, {"role": role}, admin)
        sign_in_as(page, server, member, "reports")
        page.reload()
        expect(page.locator(".account-menu")).to_contain_text(f"Your role: {role}")
        expect(page.locator("#report-table")).to_contain_text("Cart")
        expect(share).to_have_count(1 if exports else 0)
    assert page.problems == []
