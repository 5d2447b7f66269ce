"""Sending mail through the configured SMTP server (reports, e-mail alerts).

Every message leaves with From, Date and Message-ID (receivers' spam filters
mark mail without them); the connection is upgraded with STARTTLS, verifying
the server's certificate, and logs in when the settings say so.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from dashapp.config import MailServer

__all__ = ["MailServer", "prepare", "send"]


def prepare(server: MailServer, message: EmailMessage) -> EmailMessage:
    """*message* with From, Date and Message-ID set where missing (the domain is the sender's)."""
    if not message["From"]:
        message["From"] = server.sender
    if not message["Date"]:
        message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    if not message["Message-ID"]:
        domain = server.sender.rpartition("@")[2] or "localhost"
        message["Message-ID"] = make_msgid("feedbackwall", domain=domain)
    return message


def send(server: MailServer, message: EmailMessage) -> None:
    """Hand *message* to *server* (see :func:`prepare`); OSError on failure.

    smtplib's errors (refused recipients, failed login) are OSErrors too, and so
    are certificate errors (ssl.SSLError).
    """
    prepare(server, message)
    with smtplib.SMTP(server.host, server.port, timeout=30) as smtp:
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context(cafile=server.ca_file))
        if server.username:
            smtp.login(server.username, server.password or "")
        smtp.send_message(message)
