"""/api/v1/auth/signup, login, forgot-password, reset-password (INT-30…33)."""

from __future__ import annotations

import hashlib

import jwt
import pytest

from tests.api.internal.conftest import mail_token
from trakrf_server.models import PasswordReset, User

SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
FORGOT = "/api/v1/auth/forgot-password"
RESET = "/api/v1/auth/reset-password"
USER_KEYS = {
    "id",
    "email",
    "name",
    "last_login_at",
    "settings",
    "metadata",
    "created_at",
    "updated_at",
    "is_superadmin",
}


@pytest.fixture
def overrides(mail_overrides):
    return dict(mail_overrides, **{"server.public_url": "https://track.example.com"})


def claims(ctx, token):
    return jwt.decode(token, ctx.secret, algorithms=["HS256"])


async def signup(api, email="ann@example.com", password="long enough", **extra):
    body = {"email": email, "password": password, "org_name": "Acme Corp", **extra}
    return await api.post(SIGNUP, body)


# --- signup ------------------------------------------------------------------------


@pytest.mark.gen_test
async def test_signup_creates_user_org_and_admin_session(api, ctx):
    # INT-30: 201 {token, user}; org slug; admin membership; current_org_id
    r = await signup(api, org_name="  Ann's Shop @ Main.St  ")
    assert r.status == 201, r
    data = r.json()["data"]
    user = data["user"]
    assert USER_KEYS | {"last_org_id"} == set(user)
    assert user["email"] == "ann@example.com"
    assert user["name"] == "ann@example.com"  # display name = e-mail
    assert user["last_login_at"] is None
    assert user["is_superadmin"] is False
    assert user["settings"] == {} and user["metadata"] == {}
    assert user["created_at"].endswith("Z")  # INT-6
    assert "password" not in r.text and "$2b$" not in r.text

    token = claims(ctx, data["token"])
    assert set(token) == {"user_id", "email", "current_org_id", "iat", "exp"}
    assert token["exp"] - token["iat"] == 3600
    org_id = token["current_org_id"]

    r = await api.get(f"/api/v1/orgs/{org_id}", token=data["token"])
    assert r.status == 200, r
    org = r.json()["data"]
    assert org["name"] == "Ann's Shop @ Main.St"  # trimmed
    assert org["identifier"] == "ann-s-shop---main-st"  # "@" → "-" on its own
    r = await api.get(f"/api/v1/orgs/{org_id}/members", token=data["token"])
    assert [m["role"] for m in r.json()["data"]] == ["admin"]


@pytest.mark.gen_test
async def test_signup_org_names_without_ascii_get_distinct_identifiers(api, ctx):
    # INT-30's slug of such a name is empty; each name still gets its own
    # identifier, and the same name still collides
    idents = []
    for n, name in enumerate(("日本語の会社", "Ωμέγα", "!!!")):
        r = await signup(api, email=f"u{n}@example.com", org_name=name)
        assert r.status == 201, r
        org_id = claims(ctx, r.json()["data"]["token"])["current_org_id"]
        got = await api.get(f"/api/v1/orgs/{org_id}", token=r.json()["data"]["token"])
        idents.append(got.json()["data"]["identifier"])
    assert len(set(idents)) == 3 and all(i.startswith("org-") for i in idents)
    r = await signup(api, email="u9@example.com", org_name="日本語の会社")
    assert r.status == 409
    assert r.error["detail"] == "Organization identifier already taken"


@pytest.mark.gen_test
async def test_signup_one_address_in_two_unicode_spellings(api):
    # INT-30 "Email already exists": NFC and NFD spellings are one address
    composed = "\u00fcber@example.com"
    decomposed = "u\u0308ber@example.com"
    assert (await signup(api, email=composed)).status == 201
    r = await signup(api, email=decomposed, org_name="Other Org")
    assert r.status == 409 and r.error["detail"] == "Email already exists"
    r = await api.post(LOGIN, {"email": decomposed, "password": "long enough"})
    assert r.status == 200, r


@pytest.mark.gen_test
async def test_signup_conflicts(api):
    # INT-30: 409 Email already exists (case-insensitively) / identifier taken
    assert (await signup(api)).status == 201
    r = await signup(api, email="ANN@example.com", org_name="Other")
    assert r.status == 409
    assert r.error["detail"] == "Email already exists"
    r = await signup(api, email="bob@example.com", org_name="acme corp")
    assert r.status == 409
    assert r.error["type"] == "conflict"
    assert r.error["detail"] == "Organization identifier already taken"


@pytest.mark.gen_test
async def test_signup_validation_fields(api):
    # INT-5 / VAL-4/5: fields[] with codes
    r = await api.post(SIGNUP, {"email": "nope", "password": "short", "org_name": "A"})
    assert r.status == 400
    err = r.error
    assert err["type"] == "validation_error"
    assert err["fields"] == [
        {
            "field": "email",
            "code": "invalid_value",
            "message": "email must be a valid email address",
        },
        {
            "field": "password",
            "code": "too_short",
            "message": "password must be at least 8 character(s)",
            "params": {"min_length": 8},
        },
        {
            "field": "org_name",
            "code": "too_short",
            "message": "org_name must be at least 2 character(s)",
            "params": {"min_length": 2},
        },
    ]
    assert err["detail"] == (
        "email must be a valid email address (and 2 more validation errors)"
    )

    r = await api.post(SIGNUP, {"password": "long enough", "extra": 1})
    fields = r.error["fields"]
    assert [(f["field"], f["code"]) for f in fields] == [
        ("email", "required"),
        ("org_name", "required"),
    ]  # unknown "extra" is ignored (INT-5)

    r = await api.post(
        SIGNUP, {"email": "a@example.com", "password": "x" * 8, "org_name": "x" * 101}
    )
    assert r.error["fields"][0]["code"] == "too_long"
    assert r.error["fields"][0]["params"] == {"max_length": 100}


@pytest.mark.gen_test
async def test_signup_password_over_72_bytes(api):
    # INT-20: bcrypt's 72-byte limit is a validation error, never a 500
    r = await signup(api, password="é" * 37)  # 74 bytes, 37 characters
    assert r.status == 400, r
    assert r.error["fields"] == [
        {
            "field": "password",
            "code": "too_long",
            "message": "password must be at most 72 bytes",
            "params": {"max_length": 72},
        }
    ]


@pytest.mark.gen_test
async def test_signup_bad_json_and_types(api):
    # INT-5: malformed JSON → bad_request; wrong type → bad_request (VAL-2)
    r = await api.post(SIGNUP, body="{", content_type="application/json")
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Request body is not valid JSON"
    r = await api.post(
        SIGNUP, {"email": 5, "password": "long enough", "org_name": "Ab"}
    )
    assert r.error["type"] == "bad_request"
    assert (
        r.error["detail"]
        == 'Body field "email" could not be decoded as the expected type'
    )
    r = await api.post(
        SIGNUP, {"email": None, "password": "long enough", "org_name": "Ab"}
    )
    assert r.error["fields"][0] == {
        "field": "email",
        "code": "required",
        "message": "email is required",
    }


@pytest.mark.gen_test
async def test_signup_needs_json_content_type(api):
    # INT-1: 415 on the unauthenticated posts too
    r = await api.post(SIGNUP, body='{"a": 1}', content_type="text/plain")
    assert r.status == 415


# --- login -------------------------------------------------------------------------


@pytest.mark.gen_test
async def test_login_case_insensitive_and_stamps_last_login(api, ctx):
    # INT-31: 200 {token, user}; last_login_at = now; e-mail case-insensitive
    await signup(api, email="Ann@Example.com")
    r = await api.post(LOGIN, {"email": "ann@EXAMPLE.com", "password": "long enough"})
    assert r.status == 200, r
    data = r.json()["data"]
    assert data["user"]["email"] == "Ann@Example.com"
    assert data["user"]["last_login_at"] is not None
    assert claims(ctx, data["token"])["current_org_id"] == data["user"]["last_org_id"]


@pytest.mark.gen_test
async def test_login_failures_are_one_401(api, seed, ctx):
    # INT-31: wrong e-mail, wrong password, deleted user → same 401
    tenant = seed.tenant()
    for body in (
        {"email": tenant.email, "password": "wrong password"},
        {"email": "nobody@example.com", "password": "whatever1"},
        {"email": tenant.email, "password": "x" * 100},
    ):
        r = await api.post(LOGIN, body)
        assert r.status == 401, r
        assert r.error["detail"] == "Invalid email or password"
        assert r.headers["WWW-Authenticate"] == 'Bearer realm="trakrf-api"'

    from trakrf_server import timeutil

    seed.write(
        lambda: (
            User.update(deleted_at=timeutil.now())
            .where(User.id == tenant.user_id)
            .execute()
        )
    )
    r = await api.post(LOGIN, {"email": tenant.email, "password": tenant.password})
    assert r.status == 401


@pytest.mark.gen_test
async def test_login_validation(api):
    # INT-31: both required, e-mail format checked
    r = await api.post(LOGIN, {"email": "not-an-email"})
    assert r.status == 400
    assert [f["field"] for f in r.error["fields"]] == ["email", "password"]


@pytest.mark.gen_test
async def test_login_picks_last_org_else_first_by_name(api, seed, people, ctx):
    # INT-31: current_org_id = last selected org if still a member, else first by name
    zeta = seed.tenant("Zeta")
    alpha = seed.tenant("Alpha")
    person = people.add(zeta.org_id, "viewer")
    seed.write(
        lambda: __import__(
            "trakrf_server.services.accounts", fromlist=["x"]
        ).add_member(
            User.get_by_id(person.user_id),
            __import__("trakrf_server.models", fromlist=["x"]).Organization.get_by_id(
                alpha.org_id
            ),
            "viewer",
        )
    )
    body = {"email": person.email, "password": person.password}
    r = await api.post(LOGIN, body)
    assert claims(ctx, r.json()["data"]["token"])["current_org_id"] == alpha.org_id

    r = await api.post(
        "/api/v1/users/me/current-org", {"org_id": zeta.org_id}, token=person.session
    )
    assert r.status == 200
    r = await api.post(LOGIN, body)
    assert claims(ctx, r.json()["data"]["token"])["current_org_id"] == zeta.org_id


@pytest.mark.gen_test
async def test_login_without_orgs_omits_current_org(api, people, ctx):
    person = people.add(None)
    r = await api.post(LOGIN, {"email": person.email, "password": person.password})
    assert r.status == 200
    assert "current_org_id" not in claims(ctx, r.json()["data"]["token"])


# --- forgot and reset -------------------------------------------------------------


@pytest.mark.gen_test
async def test_reset_flow(api, seed, ctx, smtp_sink):
    # INT-32/33, INT-21: forgot → mail → reset → old token dead → new password;
    # INT-4: both answer a bare {message}
    tenant = seed.tenant()
    r = await api.post(
        FORGOT,
        {
            "email": tenant.email.upper(),
            "reset_url": "https://track.example.com/#reset-password",
        },
    )
    assert r.status == 200
    assert r.json() == {"message": "If an account exists, a reset email has been sent"}

    (message,) = await smtp_sink.wait_for(1)
    assert message["Subject"] == "[TrakRF] Reset your password"
    assert message["To"] == tenant.email
    token = mail_token(message)
    assert (
        f"https://track.example.com/#reset-password?token={token}"
        in message.get_content()
    )
    # Only the SHA-256 of the token is stored
    stored = seed.write(lambda: [p.token_hash for p in PasswordReset.select()])
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]

    r = await api.post(RESET, {"token": token, "password": "brand new pw"})
    assert r.status == 200, r
    assert r.json() == {"message": "Password updated successfully"}

    r = await api.post(RESET, {"token": token, "password": "another pw1"})
    assert r.status == 400
    assert r.error["type"] == "bad_request"
    assert r.error["detail"] == "Invalid or expired reset link"

    r = await api.post(LOGIN, {"email": tenant.email, "password": tenant.password})
    assert r.status == 401
    r = await api.post(LOGIN, {"email": tenant.email, "password": "brand new pw"})
    assert r.status == 200
    # existing sessions stay valid (INT-33)
    r = await api.get("/api/v1/users/me", token=tenant.session)
    assert r.status == 200


@pytest.mark.gen_test
async def test_forgot_unknown_email_same_answer_no_mail(api, smtp_sink):
    # INT-32: no account → same 200, nothing sent
    r = await api.post(
        FORGOT,
        {"email": "ghost@example.com", "reset_url": "https://track.example.com/"},
    )
    assert r.status == 200
    assert r.json() == {"message": "If an account exists, a reset email has been sent"}
    from tornado import gen

    await gen.sleep(0.2)
    assert smtp_sink.messages == []


@pytest.mark.gen_test
async def test_forgot_foreign_reset_url_replaced(api, seed, smtp_sink):
    # INT-32 SHOULD: a reset_url off the public origin is not honoured
    tenant = seed.tenant()
    r = await api.post(
        FORGOT, {"email": tenant.email, "reset_url": "https://evil.example.net/#reset"}
    )
    assert r.status == 200
    (message,) = await smtp_sink.wait_for(1)
    token = mail_token(message)
    body = message.get_content()
    assert "evil" not in body
    assert f"https://track.example.com/#reset-password?token={token}" in body


@pytest.mark.gen_test
async def test_new_reset_request_kills_older_token(api, seed, smtp_sink):
    # INT §2: one reset token per user
    tenant = seed.tenant()
    body = {
        "email": tenant.email,
        "reset_url": "https://track.example.com:443/#reset-password",
    }
    await api.post(FORGOT, body)
    await smtp_sink.wait_for(1)
    await api.post(FORGOT, body)
    first, second = await smtp_sink.wait_for(2)
    old, new = mail_token(first), mail_token(second)
    assert old != new
    r = await api.post(RESET, {"token": old, "password": "brand new pw"})
    assert r.error["detail"] == "Invalid or expired reset link"
    r = await api.post(RESET, {"token": new, "password": "brand new pw"})
    assert r.status == 200


@pytest.mark.gen_test
async def test_expired_reset_token(api, seed, smtp_sink):
    # INT §2: 24 h lifetime
    from datetime import timedelta

    from trakrf_server import timeutil

    tenant = seed.tenant()
    await api.post(
        FORGOT, {"email": tenant.email, "reset_url": "https://track.example.com/"}
    )
    (message,) = await smtp_sink.wait_for(1)
    seed.write(
        lambda: PasswordReset.update(
            expires_at=timeutil.now() - timedelta(seconds=1)
        ).execute()
    )
    r = await api.post(
        RESET, {"token": mail_token(message), "password": "brand new pw"}
    )
    assert r.status == 400
    assert r.error["detail"] == "Invalid or expired reset link"


@pytest.mark.gen_test
async def test_forgot_and_reset_validation(api):
    # INT-32: reset_url must be absolute; INT-33: password ≥ 8
    r = await api.post(FORGOT, {"email": "a@example.com", "reset_url": "/#reset"})
    assert r.status == 400
    assert r.error["fields"][0]["field"] == "reset_url"
    assert r.error["fields"][0]["code"] == "invalid_value"
    r = await api.post(FORGOT, {"email": "a@example.com"})
    assert r.error["fields"][0]["code"] == "required"
    r = await api.post(RESET, {"token": "abc", "password": "short"})
    assert r.status == 400
    assert r.error["fields"][0]["field"] == "password"
    r = await api.post(RESET, {"token": "abc", "password": "long enough"})
    assert r.error["detail"] == "Invalid or expired reset link"


@pytest.mark.gen_test
async def test_reset_url_with_whitespace_or_controls_is_not_absolute(
    api, seed, smtp_sink
):
    # INT-32: reset_url must be an absolute URL; a URL has no raw whitespace
    # or control characters (VAL-9), and a CR LF in it would otherwise be
    # copied into the mailed link and the server log.
    tenant = seed.tenant()
    for url in (
        "https://track.example.com/\r\nX-Injected: 1",
        "https://track.example.com/#reset\tpassword",
        "https://track.example.com/ #reset",
        "https://track.example.com/\x7f",
    ):
        r = await api.post(FORGOT, {"email": tenant.email, "reset_url": url})
        assert r.status == 400, (url, r)
        assert r.error["fields"][0]["field"] == "reset_url"
        assert r.error["fields"][0]["code"] == "invalid_value"
    from tornado import gen

    await gen.sleep(0.2)
    assert smtp_sink.messages == []
