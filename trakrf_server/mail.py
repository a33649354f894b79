"""Outgoing mail: SMTP when configured, otherwise the link goes to the log.

A self-hosted admin without a mail server can still hand a reset or invitation
link over by reading the WARNING line (INT-21).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from trakrf_server.config import MailConfig

log = logging.getLogger("trakrf.mail")


class Mailer:
    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def _send_smtp(self, message: EmailMessage) -> None:
        cfg = self.config
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=15) as smtp:
            if cfg.smtp_starttls:
                smtp.starttls()
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, cfg.smtp_password)
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str, link: str) -> None:
        """Deliver one message; never raises (a mail failure must not lose the
        action that triggered it, so the link is logged instead)."""
        if not self.config.smtp_host:
            log.warning("mail to %s (%s): %s", to, subject, link)
            return
        message = EmailMessage()
        message["From"] = self.config.from_address
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self._send_smtp, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail to %s failed (%s); link: %s", to, exc, link)
