"""``/api/v1/orgs/{id}/invitations`` (INT §7, INT-70): admins only."""

from __future__ import annotations

from typing import Any

from trakrf_server.api.internal.common import InternalHandler
from trakrf_server.api.internal.validate import BodyModel, Email, Role, id_param
from trakrf_server.services import invitations
from trakrf_server.services.resets import is_absolute_url
from trakrf_server.timeutil import format_ts


class InviteBody(BodyModel):
    email: Email
    role: Role


class InvitationMailMixin(InternalHandler):
    async def mail(self, letter: invitations.Letter) -> None:
        """Send the link (INT-21), based on the page the admin is using."""
        # A browser sends "Origin: null" from opaque contexts; only a real
        # http(s) origin can start a link someone follows.
        origin = self.request.headers.get("Origin", "")
        base = origin if is_absolute_url(origin) else self.ctx.config.public_base
        subject, text, link = invitations.invitation_mail(letter, base)
        await self.ctx.mailer.send(letter.invitation.email, subject, text, link)


class InvitationsHandler(InvitationMailMixin):
    methods = ("GET", "POST")

    async def get(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        pending = await self.db.read(invitations.list_pending, org_id)
        self.send_data([_invitation_json(i) for i in pending])

    async def post(self, raw_id: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        body = self.body(InviteBody)
        letter = await self.db.write(
            invitations.create_invitation, org_id, self.user_id, body.email, body.role
        )
        await self.mail(letter)
        invitation = letter.invitation
        self.send_data(
            {
                "id": invitation.id,
                "email": invitation.email,
                "role": invitation.role,
                "expires_at": format_ts(invitation.expires_at),
            },
            201,
        )


class InvitationHandler(InternalHandler):
    methods = ("DELETE",)

    async def delete(self, raw_id: str, raw_invite: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        invite_id = id_param("inviteId", raw_invite)
        await self.db.write(invitations.cancel_invitation, org_id, invite_id)
        self.send_message("Invitation cancelled")


class InvitationResendHandler(InvitationMailMixin):
    methods = ("POST",)

    async def post(self, raw_id: str, raw_invite: str) -> None:
        org_id = await self.gate(raw_id, "admin")
        invite_id = id_param("inviteId", raw_invite)
        if self.request.body.strip():
            self.body_object()  # nothing to read, but malformed JSON is still a 400
        letter = await self.db.write(
            invitations.resend_invitation, org_id, invite_id, self.user_id
        )
        await self.mail(letter)
        self.send_message(
            "Invitation resent", expires_at=format_ts(letter.invitation.expires_at)
        )


def _invitation_json(invitation: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": invitation.id,
        "email": invitation.email,
        "role": invitation.role,
    }
    # list_pending joined the inviter, so this reads no more rows.
    inviter = invitation.invited_by if invitation.invited_by_id else None
    if inviter is not None:
        view["invited_by"] = {"id": inviter.id, "name": inviter.name}
    view["expires_at"] = format_ts(invitation.expires_at)
    view["created_at"] = format_ts(invitation.created_at)
    return view
