"""Invitations: §7 admin routes, INT-34 info, INT-35 accept, INT-30 invited signup."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tests.api.internal.conftest import mail_token
from trakrf_server import timeutil
from trakrf_server.models import Invitation

INFO = "/api/v1/auth/invitation-info"
ACCEPT = "/api/v1/auth/accept-invite"
SIGNUP = "/api/v1/auth/signup"


@pytest.fixture
def overrides(mail_overrides):
    return dict(mail_overrides, **{"server.public_url": "https://track.example.com/"})


def invites(org_id):
    return f"/api/v1/orgs/{org_id}/invitations"


async def invite(api, tenant, email="bob@example.com", role="operator", **kw):
    return await api.post(
        invites(tenant.org_id),
        {"email": email, "role": role},
        token=tenant.session,
        **kw,
    )


@pytest.mark.gen_test
async def test_create_mails_link_and_stores_hash(api, seed, smtp_sink):
    # §7 POST, INT-21 (subject, Origin as link base, body), INT §2 (hash only)
    tenant = seed.tenant("Acme")
    r = await invite(api, tenant, headers={"Origin": "https://app.example.org"})
    assert r.status == 201, r
    data = r.json()["data"]
    assert set(data) == {"id", "email", "role", "expires_at"}
    assert data["email"] == "bob@example.com"
    assert data["role"] == "operator"
    expires = timeutil.parse_rfc3339(data["expires_at"])
    assert abs(expires - timeutil.now() - timedelta(days=7)) < timedelta(minutes=1)

    (message,) = await smtp_sink.wait_for(1)
    assert message["Subject"] == "[TrakRF] You've been invited to join Acme"
    assert message["To"] == "bob@example.com"
    token = mail_token(message)
    body = message.get_content()
    assert f"https://app.example.org/#accept-invite?token={token}" in body
    assert tenant.email in body and "Acme" in body and "operator" in body
    assert "7 days" in body

    stored = seed.write(lambda: Invitation.get_by_id(data["id"]).token_hash)
    assert stored == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.gen_test
async def test_link_base_falls_back_to_public_url(api, seed, smtp_sink):
    # INT-21: no Origin header → configured public URL
    tenant = seed.tenant()
    await invite(api, tenant)
    (message,) = await smtp_sink.wait_for(1)
    assert "https://track.example.com/#accept-invite?token=" in message.get_content()


@pytest.mark.gen_test
async def test_opaque_origin_falls_back_to_public_url(api, seed, smtp_sink):
    # INT-21: the link base is the request's Origin, else the public URL; an
    # opaque "null" origin or a non-URL names no page, so the link would be
    # dead ("null/#accept-invite?...").
    tenant = seed.tenant()
    for n, origin in enumerate(("null", "app.example.org", "ftp://x.example")):
        r = await invite(
            api, tenant, email=f"o{n}@example.com", headers={"Origin": origin}
        )
        assert r.status == 201, r
    messages = await smtp_sink.wait_for(3)
    for message in messages:
        body = message.get_content()
        assert "https://track.example.com/#accept-invite?token=" in body, body


@pytest.mark.gen_test
async def test_create_conflicts_case_insensitive(api, seed, people, smtp_sink):
    # §7 409s, INT-70 (case-insensitive)
    tenant = seed.tenant()
    people.add(tenant.org_id, "viewer", email_address="carol@example.com")
    r = await invite(api, tenant, email="Carol@Example.com")
    assert r.status == 409
    assert (
        r.error["detail"]
        == "Carol@Example.com is already a member of this organization"
    )
    assert (await invite(api, tenant)).status == 201
    r = await invite(api, tenant, email="BOB@example.com")
    assert r.status == 409
    assert r.error["detail"] == "An invitation is already pending for BOB@example.com"
    r = await invite(api, tenant, email="not-mail", role="boss")
    assert [f["field"] for f in r.error["fields"]] == ["email", "role"]


@pytest.mark.gen_test
async def test_list_pending_newest_first(api, seed, smtp_sink):
    # §7 GET: pending only, newest first, invited_by
    tenant = seed.tenant()
    first = (await invite(api, tenant, email="a@example.com")).json()["data"]
    second = (await invite(api, tenant, email="b@example.com")).json()["data"]
    third = (await invite(api, tenant, email="c@example.com")).json()["data"]
    await api.delete(f"{invites(tenant.org_id)}/{third['id']}", token=tenant.session)
    seed.write(
        lambda: (
            Invitation.update(expires_at=timeutil.now() - timedelta(seconds=1))
            .where(Invitation.id == first["id"])
            .execute()
        )
    )
    await invite(api, tenant, email="a@example.com")  # pending again: new row

    r = await api.get(invites(tenant.org_id), token=tenant.session)
    assert r.status == 200
    rows = r.json()["data"]
    assert [row["email"] for row in rows] == ["a@example.com", "b@example.com"]
    assert rows[1]["id"] == second["id"]
    assert set(rows[1]) == {
        "id",
        "email",
        "role",
        "invited_by",
        "expires_at",
        "created_at",
    }
    assert rows[1]["invited_by"] == {"id": tenant.user_id, "name": tenant.email}


@pytest.mark.gen_test
async def test_invitation_info(api, seed, people, smtp_sink):
    # INT-34
    tenant = seed.tenant("Acme")
    await invite(api, tenant, email="bob@example.com", role="manager")
    (message,) = await smtp_sink.wait_for(1)
    token = mail_token(message)
    r = await api.get(f"{INFO}?token={token}&extra=1")
    assert r.status == 200, r
    assert r.json()["data"] == {
        "org_name": "Acme",
        "org_identifier": "acme",
        "role": "manager",
        "email": "bob@example.com",
        "user_exists": False,
        "inviter_name": tenant.email,
    }
    people.add(None, email_address="BOB@example.com")
    r = await api.get(f"{INFO}?token={token}")
    assert r.json()["data"]["user_exists"] is True

    for query in ("", "?token="):
        r = await api.get(INFO + query)
        assert r.status == 400
        assert r.error["type"] == "bad_request"
        assert r.error["detail"] == "Invitation token is required"
    r = await api.get(f"{INFO}?token={'0' * 64}")
    assert r.status == 404
    assert r.error["detail"] == "Invalid invitation token"


@pytest.mark.gen_test
async def test_signup_with_invitation_then_already_accepted(api, seed, smtp_sink, ctx):
    # INT-30 with an invitation; INT-34 404 after acceptance
    tenant = seed.tenant("Acme")
    await invite(api, tenant, email="bob@example.com", role="operator")
    token = mail_token((await smtp_sink.wait_for(1))[0])

    body = {
        "email": "Bob@example.com",
        "password": "bobs password",
        "invitation_token": token,
    }
    wrong = dict(body, email="eve@example.com")
    r = await api.post(SIGNUP, wrong)
    assert r.status == 400
    assert r.error["detail"] == (
        "This invitation was sent to bob@example.com. "
        "Please sign up with that email address."
    )

    r = await api.post(SIGNUP, body)
    assert r.status == 201, r
    session = r.json()["data"]["token"]
    r = await api.get("/api/v1/users/me", token=session)
    assert r.json()["data"]["current_org"] == {
        "id": tenant.org_id,
        "name": "Acme",
        "role": "operator",
    }
    assert len(r.json()["data"]["orgs"]) == 1  # no org was created

    r = await api.post(SIGNUP, dict(body, email="other@example.com"))
    assert r.status == 400
    assert r.error["detail"] == "This invitation has already been accepted"
    r = await api.get(f"{INFO}?token={token}")
    assert r.status == 404
    r = await api.get(invites(tenant.org_id), token=tenant.session)
    assert r.json()["data"] == []


@pytest.mark.gen_test
async def test_accept_invite(api, seed, people, smtp_sink):
    # INT-35: checks in order, then membership; session token unchanged
    acme = seed.tenant("Acme")
    bob = people.add(None, email_address="bob@example.com")
    eve = people.add(None, email_address="eve@example.com")
    await invite(api, acme, email="BOB@example.com", role="manager")
    token = mail_token((await smtp_sink.wait_for(1))[0])

    r = await api.post(ACCEPT, {"token": "f" * 64}, token=bob.session)
    assert r.status == 400
    assert r.error["detail"] == "Invalid invitation token"
    r = await api.post(ACCEPT, {"token": token}, token=eve.session)
    assert r.status == 403
    assert r.error["detail"] == "This invitation was sent to BOB@example.com"
    r = await api.post(ACCEPT, {"token": "abc"}, token=bob.session)
    assert r.status == 400
    assert r.error["type"] == "validation_error"

    r = await api.post(ACCEPT, {"token": token}, token=bob.session)
    assert r.status == 200, r
    assert r.json() == {
        "data": {
            "message": "You have joined Acme",
            "org_id": acme.org_id,
            "org_name": "Acme",
            "role": "manager",
        }
    }
    r = await api.post(ACCEPT, {"token": token}, token=bob.session)
    assert r.status == 400
    assert r.error["detail"] == "This invitation has already been accepted"
    r = await api.get(f"/api/v1/orgs/{acme.org_id}/members", token=acme.session)
    assert r.json()["data"][-1]["role"] == "manager"


@pytest.mark.gen_test
async def test_accept_invite_already_member(api, seed, people, smtp_sink):
    # INT-35 step 4: invited while a member under another casing is impossible,
    # so make the membership after the invitation was sent
    acme = seed.tenant("Acme")
    await invite(api, acme, email="bob@example.com")
    token = mail_token((await smtp_sink.wait_for(1))[0])
    bob = people.add(acme.org_id, "viewer", email_address="bob@example.com")
    r = await api.post(ACCEPT, {"token": token}, token=bob.session)
    assert r.status == 409
    assert r.error["detail"] == "You are already a member of this organization"


@pytest.mark.gen_test
async def test_expired_and_cancelled(api, seed, people, smtp_sink):
    # INT-35 step 3; §7 DELETE (INT-4: a bare {message}); INT-34 indistinguishable 404
    acme = seed.tenant("Acme")
    bob = people.add(None, email_address="bob@example.com")
    carol = people.add(None, email_address="carol@example.com")
    bob_id = (await invite(api, acme, email="bob@example.com")).json()["data"]["id"]
    carol_id = (await invite(api, acme, email="carol@example.com")).json()["data"]["id"]
    bob_mail, carol_mail = await smtp_sink.wait_for(2)

    seed.write(
        lambda: (
            Invitation.update(expires_at=timeutil.now() - timedelta(seconds=1))
            .where(Invitation.id == bob_id)
            .execute()
        )
    )
    r = await api.post(ACCEPT, {"token": mail_token(bob_mail)}, token=bob.session)
    assert r.status == 400
    assert r.error["detail"] == "This invitation has expired"
    r = await api.get(f"{INFO}?token={mail_token(bob_mail)}")
    assert r.status == 404

    r = await api.delete(f"{invites(acme.org_id)}/{carol_id}", token=acme.session)
    assert r.status == 200
    assert r.json() == {"message": "Invitation cancelled"}
    r = await api.post(ACCEPT, {"token": mail_token(carol_mail)}, token=carol.session)
    assert r.error["detail"] == "This invitation has been cancelled"
    r = await api.post(
        SIGNUP,
        {
            "email": "x@example.com",
            "password": "long enough",
            "invitation_token": mail_token(carol_mail),
        },
    )
    assert r.error["detail"] == "This invitation has been cancelled"
    r = await api.delete(f"{invites(acme.org_id)}/{carol_id}", token=acme.session)
    assert r.status == 404
    assert r.error["detail"] == "Invitation not found"
    r = await api.post(
        f"{invites(acme.org_id)}/{carol_id}/resend", {}, token=acme.session
    )
    assert r.status == 404


@pytest.mark.gen_test
async def test_resend_kills_old_link(api, seed, people, smtp_sink):
    # §7 resend: new token, new 7 days, old link dead, mail re-sent; INT-4: bare body
    acme = seed.tenant("Acme")
    bob = people.add(None, email_address="bob@example.com")
    invite_id = (await invite(api, acme)).json()["data"]["id"]
    old = mail_token((await smtp_sink.wait_for(1))[0])
    seed.write(
        lambda: Invitation.update(
            expires_at=timeutil.now() - timedelta(days=1)
        ).execute()
    )

    r = await api.post(
        f"{invites(acme.org_id)}/{invite_id}/resend", {}, token=acme.session
    )
    assert r.status == 200, r
    body = r.json()
    assert set(body) == {"message", "expires_at"}
    assert body["message"] == "Invitation resent"
    expires = timeutil.parse_rfc3339(body["expires_at"])
    assert expires - timeutil.now() > timedelta(days=6)

    _, again = await smtp_sink.wait_for(2)
    new = mail_token(again)
    assert new != old
    r = await api.post(ACCEPT, {"token": old}, token=bob.session)
    assert r.error["detail"] == "Invalid invitation token"
    r = await api.post(ACCEPT, {"token": new}, token=bob.session)
    assert r.status == 200


@pytest.mark.gen_test
@pytest.mark.parametrize("role", ["viewer", "operator", "manager"])
async def test_invitations_need_admin(api, seed, people, role, smtp_sink):
    # §7 gate admin
    acme = seed.tenant()
    person = people.add(acme.org_id, role)
    invite_id = (await invite(api, acme)).json()["data"]["id"]
    base = invites(acme.org_id)
    for r in (
        await api.get(base, token=person.session),
        await api.post(
            base, {"email": "z@example.com", "role": "viewer"}, token=person.session
        ),
        await api.delete(f"{base}/{invite_id}", token=person.session),
        await api.post(f"{base}/{invite_id}/resend", {}, token=person.session),
    ):
        assert r.status == 403
        assert r.error["detail"] == "Insufficient permissions. Required role: admin"
