"""Users, organizations and memberships. Plain functions run on the writer or
reader threads; nothing here knows about HTTP."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from trakrf_server import timeutil
from trakrf_server.auth.principals import member_role, unauthorized
from trakrf_server.db import locking
from trakrf_server.errors import conflict, forbidden
from trakrf_server.models import ROLES, Membership, Organization, User

_SLUG_JUNK = re.compile(r"[^a-z0-9-]+")

NOT_MEMBER = "You are not a member of this organization"


def slugify(name: str) -> str:
    """INT-30's org identifier: lower case, ``@``/``.`` → ``-``, other runs → ``-``.

    A name with no ASCII letter or digit (``日本語の会社``) would slug to ``""``
    and every later such name would collide with it; those get ``org-`` and a
    digest of the name instead, so only the same name collides, as for others.
    """
    slug = name.strip().lower().replace("@", "-").replace(".", "-")
    slug = _SLUG_JUNK.sub("-", slug).strip("-")
    if slug:
        return slug
    digest = hashlib.sha256(unicodedata.normalize("NFC", name.strip()).encode())
    return f"org-{digest.hexdigest()[:10]}"


def email_key(email: str) -> str:
    """The form two spellings of one address share: NFC, trimmed, lower case
    (``ü`` typed as one code point or as ``u`` and a combining mark)."""
    return unicodedata.normalize("NFC", email.strip()).lower()


def find_user_by_email(email: str) -> User | None:
    return User.get_or_none(
        (User.email_key == email_key(email)) & User.deleted_at.is_null()
    )


def create_org(name: str) -> Organization:
    """A new live organization; 409 when its identifier is taken."""
    name = name.strip()
    identifier = slugify(name)
    taken = Organization.select().where(
        (Organization.identifier == identifier) & Organization.deleted_at.is_null()
    )
    if taken.exists():
        raise conflict("Organization identifier already taken")
    stamp = timeutil.now()
    return Organization.create(
        name=name,
        identifier=identifier,
        metadata={},
        is_active=True,
        valid_from=stamp,
        created_at=stamp,
        updated_at=stamp,
    )


def create_user(email: str, password_hash: str, is_superadmin: bool = False) -> User:
    """A new user named after their e-mail; 409 when the e-mail is taken."""
    if find_user_by_email(email) is not None:
        raise conflict("Email already exists")
    stamp = timeutil.now()
    return User.create(
        email=email.strip(),
        email_key=email_key(email),
        name=email.strip(),
        password_hash=password_hash,
        is_superadmin=is_superadmin,
        settings={},
        metadata={},
        created_at=stamp,
        updated_at=stamp,
    )


def add_member(user: User, org: Organization, role: str) -> Membership:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    return Membership.create(user=user, org=org, role=role, created_at=timeutil.now())


# --- signup and login -------------------------------------------------------------

BAD_LOGIN = "Invalid email or password"
OPEN_SIGNUP_CLOSED = (
    "Signup is closed on this server; ask an organization admin for an invitation"
)


def signup(email: str, password_hash: str, org_name: str) -> tuple[User, int]:
    """INT-30 without an invitation: a user, their org, an admin membership.

    Returns the user and the org the first session acts in. Raises the 409s.
    """
    user = create_user(email, password_hash)
    org = create_org(org_name)
    add_member(user, org, "admin")
    user.last_org = org.id
    user.save()
    return user, org.id


def record_login(user_id: int) -> tuple[User, int | None]:
    """Stamp ``last_login_at`` (INT-31) and pick the org the session acts in."""
    user = User.get_or_none((User.id == user_id) & User.deleted_at.is_null())
    if user is None:
        raise unauthorized(BAD_LOGIN)
    user.last_login_at = timeutil.now()
    user.save()
    current = current_org(user)
    return user, current[0].id if current else None


# --- memberships as the user sees them -------------------------------------------


def user_orgs(user_id: int) -> list[tuple[Organization, str]]:
    """Live orgs the user is a member of, with the role, by name (INT-40)."""
    rows = (
        Membership.select(Membership, Organization)
        .join(Organization)
        .where((Membership.user == user_id) & Organization.deleted_at.is_null())
        .order_by(Organization.name, Organization.id)
    )
    return [(row.org, row.role) for row in rows]


def live_org(org_id: int | None) -> Organization | None:
    if org_id is None:
        return None
    return Organization.get_or_none(
        (Organization.id == org_id) & Organization.deleted_at.is_null()
    )


def lock_org(org_id: int) -> None:
    """Hold the org's row until the transaction ends (``db.locking``).

    Writes whose rule counts or walks several rows of one org (the last
    admin, the key limit, the location tree) take it before they check, so
    the same write in another process waits and then checks what this one
    left. ``NO KEY UPDATE`` leaves inserts that merely reference the org
    (which take ``KEY SHARE``) unblocked.
    """
    query = Organization.select(Organization.id).where(Organization.id == org_id)
    locking(query, "NO KEY UPDATE").scalar()


def role_in(user: User, org_id: int) -> str | None:
    """The user's role in a live org; superadmins count as admin (INT-12)."""
    role = member_role(user.id, org_id)
    if role is None and user.is_superadmin and live_org(org_id) is not None:
        return "admin"
    return role


def current_org(user: User) -> tuple[Organization, str] | None:
    """The last selected org while still usable, else the first by name."""
    last = user.last_org_id
    if last is not None:
        role = role_in(user, last)
        if role is not None:
            return live_org(last), role
    orgs = user_orgs(user.id)
    return orgs[0] if orgs else None


@dataclass(frozen=True)
class Me:
    user: User
    orgs: list[tuple[Organization, str]]
    current: tuple[Organization, str] | None


def describe_me(user_id: int) -> Me:
    """Everything ``GET /users/me`` shows (INT-40)."""
    user = User.get_by_id(user_id)
    return Me(user=user, orgs=user_orgs(user_id), current=current_org(user))


def switch_org(user_id: int, org_id: int) -> None:
    """Remember ``org_id`` as the user's selected org (INT-41); 403 unless allowed."""
    user = User.get_by_id(user_id)
    if role_in(user, org_id) is None:
        raise forbidden(NOT_MEMBER)
    User.update(last_org=org_id).where(User.id == user_id).execute()
