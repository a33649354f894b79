"""Fixtures for the web-app endpoints: extra members and a local SMTP sink."""

from __future__ import annotations

import email
import email.policy
import re
import socket
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from tornado import gen

from trakrf_server.auth.passwords import hash_password
from trakrf_server.models import User
from trakrf_server.services import accounts

TOKEN = re.compile(r"token=([0-9a-f]{64})")


@dataclass
class Person:
    user_id: int
    email: str
    password: str
    session: str


class People:
    """Users added to existing orgs, each with a session in that org."""

    def __init__(self, seed) -> None:
        self.seed = seed
        self._count = 0

    def add(
        self,
        org_id: int | None,
        role: str = "viewer",
        email_address: str | None = None,
        superadmin: bool = False,
    ) -> Person:
        self._count += 1
        address = email_address or f"person{self._count}@example.com"
        password = "person password"
        hashed = hash_password(password, 4)

        def create() -> int:
            user = accounts.create_user(address, hashed, is_superadmin=superadmin)
            if org_id is not None:
                org = accounts.live_org(org_id)
                accounts.add_member(user, org, role)
            return user.id

        user_id = self.seed.write(create)
        session = self.seed.session(user_id, address, org_id)
        return Person(user_id, address, password, session)

    def join(self, user_id: int, org_id: int, role: str) -> None:
        """Add an existing user to another org."""
        self.seed.write(
            lambda: accounts.add_member(
                User.get_by_id(user_id), accounts.live_org(org_id), role
            )
        )


@pytest.fixture
def people(seed) -> People:
    return People(seed)


class SmtpSink:
    """Collects every message a test's server sends over SMTP."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        waited = 0.0
        while len(self.messages) < count and waited < timeout:
            await gen.sleep(0.02)
            waited += 0.02
        assert len(self.messages) >= count, f"expected {count} mails"
        return self.messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def mail_overrides(smtp_sink) -> dict:
    return {"mail.smtp_host": "127.0.0.1", "mail.smtp_port": smtp_sink.port}


def mail_token(message: EmailMessage) -> str:
    body = message.get_content()
    match = TOKEN.search(body)
    assert match, body
    return match.group(1)
