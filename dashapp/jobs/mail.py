"""Sending mail through the configured SMTP server (daily report, e-mail alerts)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from dashapp.config import MailServer

__all__ = ["MailServer", "send"]


def send(server: MailServer, message: EmailMessage) -> None:
    """Hand *message* to *server* (From set when missing); OSError on failure."""
    if not message["From"]:
        message["From"] = server.sender
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        smtp.send_message(message)
