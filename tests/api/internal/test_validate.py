"""The body translator (INT-5, VAL-4/5), path ids, reset links, bcrypt threads."""

from __future__ import annotations

import json
import threading

import pytest

from trakrf_server.api.internal import validate
from trakrf_server.api.internal.auth import SignupBody
from trakrf_server.auth import passwords
from trakrf_server.errors import ApiError
from trakrf_server.services.resets import reset_link


def parse(model, raw: bytes):
    try:
        return validate.parse_body(model, raw)
    except ApiError as exc:
        return exc


def test_unknown_keys_ignored_and_name_trimmed():
    # INT-5
    body = parse(
        SignupBody,
        b'{"email":"a@example.com","password":"12345678","org_name":"  Ab ","x":1}',
    )
    assert body.org_name == "Ab"


def test_type_error_beats_field_errors():
    # VAL-2: a wrong JSON type is bad_request even beside other problems
    err = parse(SignupBody, b'{"email":"bad","password":12345678,"org_name":"A"}')
    assert err.type == "bad_request"
    assert (
        err.detail == 'Body field "password" could not be decoded as the expected type'
    )


def test_bad_json_detail_override():
    # INT-81: Invalid JSON body
    with pytest.raises(ApiError) as caught:
        validate.parse_body(SignupBody, b"[1]", bad_json="Invalid JSON body")
    assert caught.value.detail == "Invalid JSON body"
    with pytest.raises(ApiError) as caught:
        validate.parse_body(SignupBody, b"null")
    assert caught.value.detail == "Request body must be a JSON object (RFC 7396)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        ("-3", 0),
        ("0", 0),
        ("2147483648", 0),
        ("99999999999999999999", 0),
        ("9" * 5000, 0),  # past int()'s 4300 digits: it was a 500
        ("0" * 5000 + "12", 12),
    ],
)
def test_org_id_param(raw, expected):
    # INT-51: integers outside the id range name no org
    assert validate.org_id_param(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "1.5", "", "١٢"])
def test_org_id_param_rejects_non_integers(raw):
    with pytest.raises(ApiError) as caught:
        validate.org_id_param(raw)
    assert caught.value.detail == "Invalid organization ID"


def test_id_param_follows_id3():
    # ID-3
    for raw, code in (
        ("x", "invalid_value"),
        ("0", "too_small"),
        ("2147483648", "too_large"),
    ):
        with pytest.raises(ApiError) as caught:
            validate.id_param("userId", raw)
        assert caught.value.fields[0].code == code
        assert caught.value.fields[0].field == "userId"


@pytest.mark.parametrize(
    ("reset_url", "expected"),
    [
        (
            "https://app.example.com/#reset-password",
            "https://app.example.com/#reset-password",
        ),
        ("HTTPS://APP.example.com:443/#r", "HTTPS://APP.example.com:443/#r"),
        ("http://app.example.com/#r", "https://app.example.com/#reset-password"),
        (
            "https://app.example.com.evil.net/#r",
            "https://app.example.com/#reset-password",
        ),
        ("https://app.example.com:8443/#r", "https://app.example.com/#reset-password"),
        ("https://app.example.com:bad/#r", "https://app.example.com/#reset-password"),
    ],
)
def test_reset_link_only_on_own_origin(reset_url, expected):
    # INT-32 SHOULD
    link = reset_link(reset_url, "https://app.example.com/", "t0k")
    assert link == f"{expected}?token=t0k"


@pytest.mark.gen_test
async def test_bcrypt_runs_off_loop_and_off_writer(api, monkeypatch):
    # Passwords are hashed and checked on their own pool: neither the event
    # loop thread nor the single database writer thread does bcrypt work.
    seen: list[str] = []
    real_hash, real_check = passwords.hash_password, passwords.check_password

    def spy_hash(*args):
        seen.append(threading.current_thread().name)
        return real_hash(*args)

    def spy_check(*args):
        seen.append(threading.current_thread().name)
        return real_check(*args)

    monkeypatch.setattr(passwords, "hash_password", spy_hash)
    monkeypatch.setattr(passwords, "check_password", spy_check)
    body = {"email": "t@example.com", "password": "long enough", "org_name": "Threads"}
    assert (await api.post("/api/v1/auth/signup", body)).status == 201
    login = {"email": "t@example.com", "password": "long enough"}
    assert (await api.post("/api/v1/auth/login", login)).status == 200
    assert len(seen) == 2
    assert all(name.startswith("trakrf-bcrypt") for name in seen), seen


def test_long_email_refused_without_running_the_validator(monkeypatch):
    # INT-30/31 (valid e-mail), VAL-5 invalid_value: a megabyte-long e-mail is
    # refused at once; the validator, whose cost grows with the string and
    # which runs on the event loop, never sees more than an address can hold.
    seen = []
    real = validate.validate_email

    def spy(value, **kw):
        seen.append(len(value))
        return real(value, **kw)

    monkeypatch.setattr(validate, "validate_email", spy)
    huge = "a" * (1 << 20) + "@example.com"
    document = {"email": huge, "password": "12345678", "org_name": "Ab"}
    err = parse(SignupBody, json.dumps(document).encode())
    assert err.type == "validation_error"
    assert [(f.field, f.code) for f in err.fields] == [("email", "invalid_value")]
    assert seen == [] or max(seen) <= validate.MAX_EMAIL_CHARS
    body = parse(
        SignupBody, b'{"email":"a@example.com","password":"12345678","org_name":"Ab"}'
    )
    assert body.email == "a@example.com" and seen
