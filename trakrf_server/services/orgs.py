"""Organizations as the web app manages them, and their members (INT-50…62).

Plain functions for the reader or writer thread. ``require_role`` is the
INT-51 gate every ``/orgs/{id}/…`` handler passes first.
"""

from __future__ import annotations

from trakrf_server import timeutil
from trakrf_server.auth.principals import member_role
from trakrf_server.errors import bad_request, forbidden, not_found
from trakrf_server.models import ROLES, Membership, Organization, User
from trakrf_server.services.accounts import (
    NOT_MEMBER,
    add_member,
    create_org,
    live_org,
    lock_org,
)

ORG_NOT_FOUND = "Organization not found"
MEMBER_NOT_FOUND = "Member not found"
LAST_ADMIN = "Cannot remove or demote the last admin"


def require_role(user_id: int, is_superadmin: bool, org_id: int, needed: str) -> str:
    """INT-51's member/admin gate: the caller's role in ``org_id``, or the 403.

    A superadmin passes as admin without a membership (INT-12); for them an
    org that does not exist is a 404, since no membership can be missing.
    """
    role = member_role(user_id, org_id)
    if is_superadmin:
        if live_org(org_id) is None:
            raise not_found(ORG_NOT_FOUND)
        return "admin"
    if role is None:
        raise forbidden(NOT_MEMBER)
    if ROLES.index(role) < ROLES.index(needed):
        raise forbidden(f"Insufficient permissions. Required role: {needed}")
    return role


# --- organizations --------------------------------------------------------------


def get_org(org_id: int) -> Organization:
    org = live_org(org_id)
    if org is None:
        raise not_found(ORG_NOT_FOUND)
    return org


def create_org_for(user_id: int, name: str) -> Organization:
    """A new org with the caller as its admin (INT-51 POST); 409 on a taken slug."""
    org = create_org(name)
    add_member(User.get_by_id(user_id), org, "admin")
    return org


def rename_org(org_id: int, name: str | None) -> Organization:
    """INT-51 PUT: an absent name leaves the org as it is."""
    org = get_org(org_id)
    if name is not None:
        org.name = name.strip()
        org.updated_at = timeutil.now()
        org.save()
    return org


def delete_org(org_id: int, confirm_name: str) -> None:
    """Soft-delete (INT-52), freeing the name and identifier for reuse."""
    org = get_org(org_id)
    if confirm_name.strip().casefold() != org.name.casefold():
        raise bad_request("Organization name does not match")

    stamp = timeutil.now()
    prefix = f"*** DELETED {timeutil.format_ts(stamp)} *** "
    org.name = prefix + org.name
    org.identifier = prefix + org.identifier
    org.deleted_at = stamp
    org.updated_at = stamp
    org.save()


# --- members --------------------------------------------------------------------


def list_members(org_id: int) -> list[Membership]:
    """Live users' memberships, oldest first (INT-60 GET)."""
    return list(
        Membership.select(Membership, User)
        .join(User)
        .where((Membership.org == org_id) & User.deleted_at.is_null())
        .order_by(Membership.created_at, Membership.id)
    )


def _member(org_id: int, user_id: int) -> Membership:
    member = (
        Membership.select(Membership)
        .join(User)
        .where(
            (Membership.org == org_id)
            & (Membership.user == user_id)
            & User.deleted_at.is_null()
        )
        .first()
    )
    if member is None:
        raise not_found(MEMBER_NOT_FOUND)
    return member


def _is_last_admin(member: Membership) -> bool:
    if member.role != "admin":
        return False
    admins = (
        Membership.select()
        .join(User)
        .where(
            (Membership.org == member.org_id)
            & (Membership.role == "admin")
            & User.deleted_at.is_null()
        )
        .count()
    )
    return admins <= 1


def change_role(org_id: int, user_id: int, role: str) -> None:
    """INT-61: set a member's role; the only admin cannot be demoted."""
    # Two admins demoting each other through two processes would both count
    # two admins; the lock makes the second count after the first commits.
    lock_org(org_id)
    member = _member(org_id, user_id)
    if role != "admin" and _is_last_admin(member):
        raise bad_request(LAST_ADMIN)
    member.role = role
    member.save()


def remove_member(org_id: int, actor_id: int, user_id: int) -> None:
    """INT-62: remove a member; never yourself, never the only admin."""
    if user_id == actor_id:
        raise bad_request("Cannot remove yourself")
    lock_org(org_id)  # the last-admin count, as in change_role
    member = _member(org_id, user_id)
    if _is_last_admin(member):
        raise bad_request(LAST_ADMIN)
    member.delete_instance()
