"""Invitations: create, list, cancel, resend, inspect, accept (INT-34/35, §7).

The mailed token is 32 random bytes as hex; only its SHA-256 is stored, so a
database leak yields no usable link. Plain functions for the db threads.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from peewee import JOIN

from trakrf_server import timeutil
from trakrf_server.db import locking
from trakrf_server.errors import ApiError, bad_request, conflict, forbidden, not_found
from trakrf_server.models import Invitation, Membership, Organization, User
from trakrf_server.services.accounts import (
    add_member,
    create_user,
    email_key,
    find_user_by_email,
)

LIFETIME = timedelta(days=7)
INVALID = "Invalid invitation token"
NOT_FOUND = "Invitation not found"


def new_token() -> tuple[str, str]:
    """A fresh token and the hash that is stored for it."""
    token = secrets.token_hex(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Letter:
    """What the invitation mail needs (INT-21)."""

    invitation: Invitation
    token: str
    org_name: str
    inviter_name: str


def _pending(query):
    return query.where(
        Invitation.cancelled_at.is_null()
        & Invitation.accepted_at.is_null()
        & (Invitation.expires_at > timeutil.now())
    )


def _inviter_name(invitation: Invitation, fallback_id: int) -> str:
    user = User.get_or_none(User.id == (invitation.invited_by_id or fallback_id))
    return user.name if user else ""


# --- admin side -----------------------------------------------------------------


def create_invitation(org_id: int, inviter_id: int, email: str, role: str) -> Letter:
    """A pending invitation and its one-time token; the §7 409s otherwise."""
    key = email_key(email)
    member = (
        Membership.select()
        .join(User)
        .where(
            (Membership.org == org_id)
            & (User.email_key == key)
            & User.deleted_at.is_null()
        )
    )
    if member.exists():
        raise conflict(f"{email} is already a member of this organization")
    waiting = _pending(
        Invitation.select().where(
            (Invitation.org == org_id) & (Invitation.email_key == key)
        )
    )
    if waiting.exists():
        raise conflict(f"An invitation is already pending for {email}")

    token, token_hash = new_token()
    stamp = timeutil.now()
    invitation = Invitation.create(
        org=org_id,
        email=email,
        email_key=key,
        role=role,
        token_hash=token_hash,
        invited_by=inviter_id,
        expires_at=stamp + LIFETIME,
        created_at=stamp,
    )
    org = Organization.get_by_id(org_id)
    return Letter(invitation, token, org.name, _inviter_name(invitation, inviter_id))


def list_pending(org_id: int) -> list[Invitation]:
    """Pending invitations of the org, newest first, inviter loaded."""
    query = (
        Invitation.select(Invitation, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(Invitation.org == org_id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    return list(_pending(query))


def _open_invitation(org_id: int, invite_id: int) -> Invitation:
    # Cancelled and accepted ones are gone as far as the admin is concerned;
    # expired ones can still be cancelled or resent.
    invitation = Invitation.get_or_none(
        (Invitation.id == invite_id)
        & (Invitation.org == org_id)
        & Invitation.cancelled_at.is_null()
        & Invitation.accepted_at.is_null()
    )
    if invitation is None:
        raise not_found(NOT_FOUND)
    return invitation


def cancel_invitation(org_id: int, invite_id: int) -> None:
    invitation = _open_invitation(org_id, invite_id)
    invitation.cancelled_at = timeutil.now()
    invitation.save()


def resend_invitation(org_id: int, invite_id: int, actor_id: int) -> Letter:
    """A new token and a new 7-day window; the old link stops working."""
    invitation = _open_invitation(org_id, invite_id)
    token, token_hash = new_token()
    invitation.token_hash = token_hash
    invitation.expires_at = timeutil.now() + LIFETIME
    invitation.save()
    org = Organization.get_by_id(org_id)
    return Letter(invitation, token, org.name, _inviter_name(invitation, actor_id))


# --- invitee side ---------------------------------------------------------------


def _by_token(token: str, lock: bool = False) -> Invitation | None:
    """The invitation the token opens, in a live org, with its org loaded.

    ``lock`` holds the invitation's row until the transaction ends, so the
    same token accepted through another process at once waits, then finds
    it accepted and gets INT-35's answer instead of a duplicate membership.
    """
    query = (
        Invitation.select(Invitation, Organization)
        .join(Organization)
        .where(
            (Invitation.token_hash == hash_token(token))
            & Organization.deleted_at.is_null()
        )
    )
    if lock:
        query = locking(query, "NO KEY UPDATE", of=Invitation)
    return query.first()


def _check_usable(invitation: Invitation) -> None:
    if invitation.expires_at <= timeutil.now():
        raise bad_request("This invitation has expired")
    if invitation.cancelled_at is not None:
        raise bad_request("This invitation has been cancelled")
    if invitation.accepted_at is not None:
        raise bad_request("This invitation has already been accepted")


@dataclass(frozen=True)
class Info:
    org_name: str
    org_identifier: str
    role: str
    email: str
    user_exists: bool
    inviter_name: str | None


def invitation_info(token: str) -> Info:
    """INT-34: what the accept screen shows; any unusable token is one 404."""
    invitation = _by_token(token)
    if invitation is None:
        raise not_found(INVALID)
    try:
        _check_usable(invitation)
    except ApiError:
        raise not_found(INVALID) from None
    inviter = User.get_or_none(User.id == invitation.invited_by_id)
    return Info(
        org_name=invitation.org.name,
        org_identifier=invitation.org.identifier,
        role=invitation.role,
        email=invitation.email,
        user_exists=find_user_by_email(invitation.email) is not None,
        inviter_name=inviter.name if inviter else None,
    )


def _accept(invitation: Invitation, user: User) -> None:
    add_member(user, invitation.org, invitation.role)
    invitation.accepted_at = timeutil.now()
    invitation.save()


def accept_invitation(user_id: int, token: str) -> Invitation:
    """INT-35's checks in order, then the membership. Returns the invitation."""
    invitation = _by_token(token, lock=True)
    if invitation is None:
        raise bad_request(INVALID)
    user = User.get_by_id(user_id)
    if email_key(user.email) != invitation.email_key:
        raise forbidden(f"This invitation was sent to {invitation.email}")
    _check_usable(invitation)
    already = Membership.select().where(
        (Membership.user == user.id) & (Membership.org == invitation.org_id)
    )
    if already.exists():
        raise conflict("You are already a member of this organization")
    _accept(invitation, user)
    return invitation


def signup_invited(email: str, password_hash: str, token: str) -> tuple[User, int]:
    """INT-30 with an invitation: the user joins the inviting org, no new org."""
    invitation = _by_token(token, lock=True)
    if invitation is None:
        raise bad_request(INVALID)
    _check_usable(invitation)
    if email_key(email) != invitation.email_key:
        raise bad_request(
            f"This invitation was sent to {invitation.email}. "
            "Please sign up with that email address."
        )
    user = create_user(email, password_hash)
    _accept(invitation, user)
    user.last_org = invitation.org_id
    user.save()
    return user, invitation.org_id


def invitation_mail(letter: Letter, base: str) -> tuple[str, str, str]:
    """Subject, body and link of the invitation mail (INT-21)."""
    invitation = letter.invitation
    link = f"{base.rstrip('/')}/#accept-invite?token={letter.token}"
    subject = f"[TrakRF] You've been invited to join {letter.org_name}"
    inviter = letter.inviter_name or "An administrator"
    body = (
        f"{inviter} has invited you to join {letter.org_name} on TrakRF "
        f"as {invitation.role}.\n\n"
        f"Accept the invitation:\n{link}\n\n"
        "This invitation expires in 7 days. If you did not expect it, you can "
        "ignore this message.\n"
    )
    return subject, body, link
