"""Users, organizations and memberships. Plain functions run on the writer or
reader threads; nothing here knows about HTTP."""

from __future__ import annotations

import re

from trakrf_server import timeutil
from trakrf_server.errors import conflict
from trakrf_server.models import ROLES, Membership, Organization, User

_SLUG_JUNK = re.compile(r"[^a-z0-9-]+")


def slugify(name: str) -> str:
    """INT-30's org identifier: lower case, ``@``/``.`` → ``-``, other runs → ``-``."""
    slug = name.strip().lower().replace("@", "-").replace(".", "-")
    return _SLUG_JUNK.sub("-", slug).strip("-")


def email_key(email: str) -> str:
    return email.strip().lower()


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
