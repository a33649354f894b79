"""``/api/v1/auth/*``: signup, login, password reset, invitations (INT-30…35)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints
from tornado.ioloop import IOLoop

from trakrf_server.api.internal.common import InternalHandler, user_json
from trakrf_server.api.internal.validate import (
    BodyModel,
    Email,
    NoControl,
    Password,
    problem,
    validate_document,
)
from trakrf_server.auth.passwords import check_password_async, hash_password_async
from trakrf_server.auth.principals import unauthorized
from trakrf_server.errors import bad_request, forbidden
from trakrf_server.services import accounts, invitations, resets


def _absolute_url(value: str) -> str:
    if not resets.is_absolute_url(value):
        raise problem("invalid_value", "{field} must be an absolute URL")
    return value


class SignupBody(BodyModel):
    email: Email
    password: Password
    org_name: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=2, max_length=100),
        NoControl,
    ]
    invitation_token: str | None = None


class InvitedSignupBody(BodyModel):
    email: Email
    password: Password
    invitation_token: str


class LoginBody(BodyModel):
    email: Email
    password: str


class ForgotBody(BodyModel):
    email: Email
    reset_url: Annotated[str, AfterValidator(_absolute_url)]


class ResetBody(BodyModel):
    token: Annotated[str, Field(min_length=1)]
    password: Password


class AcceptBody(BodyModel):
    token: Annotated[str, Field(min_length=64, max_length=64)]


class SignupHandler(InternalHandler):
    """INT-30. With ``auth.open_signup = false`` only invitation signups pass."""

    methods = ("POST",)
    auth = "none"

    async def post(self) -> None:
        document = self.body_object()
        token = document.get("invitation_token")
        invited = isinstance(token, str) and token != ""
        if not invited and not self.ctx.config.auth.open_signup:
            raise forbidden(accounts.OPEN_SIGNUP_CLOSED)

        if invited:
            body = validate_document(InvitedSignupBody, document)
            hashed = await self._hash(body.password)
            user, org_id = await self.db.write(
                invitations.signup_invited, body.email, hashed, body.invitation_token
            )
        else:
            body = validate_document(SignupBody, document)
            hashed = await self._hash(body.password)
            user, org_id = await self.db.write(
                accounts.signup, body.email, hashed, body.org_name
            )

        self.send_data(
            {
                "token": self.session_token(user.id, user.email, org_id),
                "user": user_json(user),
            },
            201,
        )

    async def _hash(self, password: str) -> str:
        return await hash_password_async(password, self.ctx.config.auth.bcrypt_rounds)


class LoginHandler(InternalHandler):
    """INT-31: e-mail matched case-insensitively; one 401 for every failure."""

    methods = ("POST",)
    auth = "none"

    async def post(self) -> None:
        body = self.body(LoginBody)
        user = await self.db.read(accounts.find_user_by_email, body.email)
        hashed = user.password_hash if user is not None else None
        matches = await check_password_async(body.password, hashed)
        if user is None or not matches:
            raise unauthorized(accounts.BAD_LOGIN)

        user, org_id = await self.db.write(accounts.record_login, user.id)
        self.send_data(
            {
                "token": self.session_token(user.id, user.email, org_id),
                "user": user_json(user),
            }
        )


class ForgotPasswordHandler(InternalHandler):
    """INT-32: the same answer whether or not the account exists."""

    methods = ("POST",)
    auth = "none"

    async def post(self) -> None:
        body = self.body(ForgotBody)
        found = await self.db.write(resets.request_reset, body.email)
        if found is not None:
            token, address = found
            public_url = self.ctx.config.public_base
            link = resets.reset_link(body.reset_url, public_url, token)
            subject, text = resets.reset_mail(link)
            # Not awaited: a reply that waited for the mail server would tell
            # a caller which addresses have accounts.
            IOLoop.current().spawn_callback(
                self.ctx.mailer.send, address, subject, text, link
            )
        self.send_message(resets.SENT)


class ResetPasswordHandler(InternalHandler):
    """INT-33: the token is consumed; sessions already issued stay valid."""

    methods = ("POST",)
    auth = "none"

    async def post(self) -> None:
        body = self.body(ResetBody)
        hashed = await hash_password_async(
            body.password, self.ctx.config.auth.bcrypt_rounds
        )
        await self.db.write(resets.reset_password, body.token, hashed)
        self.send_message("Password updated successfully")


class InvitationInfoHandler(InternalHandler):
    """INT-34: what the accept screen shows before the invitee logs in."""

    methods = ("GET",)
    auth = "none"

    async def get(self) -> None:
        token = (self.query.get("token") or [""])[0]
        if not token:
            raise bad_request("Invitation token is required")

        info = await self.db.read(invitations.invitation_info, token)
        data = {
            "org_name": info.org_name,
            "org_identifier": info.org_identifier,
            "role": info.role,
            "email": info.email,
            "user_exists": info.user_exists,
        }
        if info.inviter_name is not None:
            data["inviter_name"] = info.inviter_name
        self.send_data(data)


class AcceptInviteHandler(InternalHandler):
    """INT-35: the logged-in user joins the inviting org; the token stays as is."""

    methods = ("POST",)

    async def post(self) -> None:
        body = self.body(AcceptBody)
        invitation = await self.db.write(
            invitations.accept_invitation, self.user_id, body.token
        )
        org = invitation.org
        self.send_data(
            {
                "message": f"You have joined {org.name}",
                "org_id": org.id,
                "org_name": org.name,
                "role": invitation.role,
            }
        )
