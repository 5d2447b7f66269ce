"""Sending mail through the configured SMTP server (daily report, e-mail alerts)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True, slots=True)
class MailServer:
    """Where mail goes out, and whom it comes from."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "feedbackwall@localhost"

    def send(self, message: EmailMessage) -> None:
        """Hand *message* to the SMTP server (From set when missing); OSError on failure."""
        if not message["From"]:
            message["From"] = self.sender
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(message)
