"""Mail that lands well: MIME structure, Date, Message-ID, STARTTLS and login (#20 part 5).

Against a real SMTP server on 127.0.0.1 (aiosmtpd) that requires STARTTLS and AUTH.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from dashapp.config import ConfigError, MailServer, Settings
from dashapp.ingest.pipeline import ingest
from dashapp.jobs import mail, report
from dashapp.services import build_services
from dashapp.store import db
from tests.ac_smtp import PASSWORD, USER, smtp_server
from tests.factories import located, record

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    day = dt.datetime.combine(DAY, dt.time(10), dt.UTC)
    rows = [
        record(
            i,
            score=10 if i % 3 else 3,
            brand="Velora" if i % 2 else "Kvist",
            submitted_at=(day - dt.timedelta(days=i % 40, minutes=i)).isoformat(),
            comment="Schnell & gut" if i % 3 else "Paket <b>kam</b> nie an",
        )
        for i in range(120)
    ]
    ingest(sessions, "s", located(rows))
    return url


def _tree(part: EmailMessage) -> object:
    """The MIME structure as nested content types."""
    if part.is_multipart():
        return [part.get_content_type(), [_tree(p) for p in part.iter_parts()]]  # type: ignore[arg-type]
    return part.get_content_type()


def test_ac101_report_is_multipart_with_inline_chart_over_starttls(
    store: str, tmp_path: Path
) -> None:
    with smtp_server(tmp_path) as (box, port, ca):
        server = MailServer(
            port=port,
            sender="wall@cx.example",
            starttls=True,
            username=USER,
            password=PASSWORD,
            ca_file=str(ca),
        )
        engine = build_services(Settings.load(database_url=store)).nps
        built = report.build(engine, DAY)
        report.send(built, ["cx@example.com"], server)
        [got] = box.received
    assert got.tls and got.login == USER and got.recipients == ["cx@example.com"]
    message = got.message
    assert _tree(message) == [
        "multipart/mixed",
        [
            [
                "multipart/alternative",
                ["text/plain", ["multipart/related", ["text/html", "image/png"]]],
            ],
            "application/pdf",
        ],
    ]
    sent_at = parsedate_to_datetime(message["Date"])
    assert abs(sent_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    assert re.fullmatch(r"<[^@<>\s]+@cx\.example>", message["Message-ID"])
    assert message["From"] == "wall@cx.example"
    html_part = message.get_body(("html",))
    plain = message.get_body(("plain",))
    assert html_part is not None and plain is not None
    image = next(p for p in message.walk() if p.get_content_type() == "image/png")
    cid = image["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html_part.get_content()
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    assert image.get_content_disposition() == "inline"
    text = plain.get_content()
    assert "NPS" in text and "<b>" in text  # the comment as words, not markup
    assert "<" not in text.replace("<b>kam</b>", "")


def test_ac102_a_server_requiring_starttls_refuses_plain_mail(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, port, _ca):
        message = EmailMessage()
        message["To"] = "cx@example.com"
        message.set_content("hello")
        with pytest.raises(smtplib.SMTPException):
            mail.send(MailServer(port=port), message)
        assert box.received == []


def test_ac103_an_unknown_certificate_or_wrong_password_fails_clearly(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, port, ca):
        message = EmailMessage()
        message["To"] = "cx@example.com"
        message.set_content("hello")
        with pytest.raises(OSError, match="CERTIFICATE_VERIFY_FAILED"):
            mail.send(MailServer(port=port, starttls=True), message)  # the system's CAs
        with pytest.raises(smtplib.SMTPAuthenticationError):
            mail.send(
                MailServer(
                    port=port, starttls=True, username=USER, password="wrong", ca_file=str(ca)
                ),
                message,
            )
        assert box.received == []


def test_ac104_no_login_in_the_clear() -> None:
    with pytest.raises(ConfigError, match="smtp_starttls"):
        Settings.load(smtp_username="wall", smtp_password="x")
    with pytest.raises(ConfigError, match="together"):
        Settings.load(smtp_username="wall", smtp_starttls=True)
    server = Settings.load(
        smtp_username="wall", smtp_password="secret-pw", smtp_starttls=True
    ).mail_server()
    assert server.starttls and server.username == "wall" and "secret-pw" not in repr(server)


def test_ac105_every_message_gets_date_and_message_id() -> None:
    message = EmailMessage()
    message.set_content("x")
    prepared = mail.prepare(MailServer(sender="a@b.example"), message)
    assert prepared["From"] == "a@b.example"
    assert prepared["Message-ID"].endswith("@b.example>")
    assert parsedate_to_datetime(prepared["Date"]).tzinfo is not None
    kept = EmailMessage()
    kept["Message-ID"] = "<x@y>"
    assert mail.prepare(MailServer(), kept)["Message-ID"] == "<x@y>"
