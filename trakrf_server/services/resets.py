"""Password resets (INT-32, INT-33).

One live token per user: a new request deletes the older ones, using one
deletes them all. Only the SHA-256 of a token is stored.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from trakrf_server import timeutil
from trakrf_server.errors import bad_request
from trakrf_server.models import PasswordReset, User
from trakrf_server.services.accounts import find_user_by_email
from trakrf_server.services.invitations import hash_token, new_token

LIFETIME = timedelta(hours=24)
INVALID = "Invalid or expired reset link"
SENT = "If an account exists, a reset email has been sent"


def request_reset(email: str) -> tuple[str, str] | None:
    """A new reset token and the user's address, or None when nobody has that e-mail."""
    user = find_user_by_email(email)
    if user is None:
        return None
    PasswordReset.delete().where(PasswordReset.user == user.id).execute()
    token, token_hash = new_token()
    stamp = timeutil.now()
    PasswordReset.create(
        user=user.id,
        token_hash=token_hash,
        expires_at=stamp + LIFETIME,
        created_at=stamp,
    )
    return token, user.email


def reset_password(token: str, password_hash: str) -> None:
    """Set the new password and consume the token; 400 for any unusable token."""
    reset = PasswordReset.get_or_none(
        (PasswordReset.token_hash == hash_token(token))
        & (PasswordReset.expires_at > timeutil.now())
    )
    if reset is None:
        raise bad_request(INVALID)
    user = User.get_or_none((User.id == reset.user_id) & User.deleted_at.is_null())
    if user is None:
        raise bad_request(INVALID)
    user.password_hash = password_hash
    user.updated_at = timeutil.now()
    user.save()
    PasswordReset.delete().where(PasswordReset.user == user.id).execute()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def reset_link(reset_url: str, public_url: str, token: str) -> str:
    """``{reset_url}?token=…`` when reset_url is on the server's own origin.

    Anything else is replaced by ``{public_url}/#reset-password``, so nobody
    can have the server mail a genuine token to a page they control.
    """
    try:
        same = _origin(reset_url) == _origin(public_url)
    except ValueError:  # e.g. a port that is not a number
        same = False
    base = reset_url if same else public_url.rstrip("/") + "/#reset-password"
    return f"{base}?token={token}"


def is_absolute_url(url: str) -> bool:
    # urlsplit silently drops TAB, CR and LF, so a value carrying them would
    # pass here and then reach the mailed link and the log line unchanged.
    if any(ch <= " " or ch == "\x7f" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def reset_mail(link: str) -> tuple[str, str]:
    """Subject and body of the reset mail (INT-21)."""
    body = (
        "Someone asked to reset the password of your TrakRF account.\n\n"
        f"Choose a new password:\n{link}\n\n"
        "The link works once and expires in 24 hours. If you did not ask for "
        "it, ignore this message; your password stays as it is.\n"
    )
    return "[TrakRF] Reset your password", body
