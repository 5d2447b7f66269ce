"""The daily report, mailed to a real SMTP server on 127.0.0.1, with the right figures."""

from __future__ import annotations

import datetime as dt
import email
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from click.testing import CliRunner

from dashapp.cli.main import main
from dashapp.config import ReportConfig, Settings
from dashapp.ingest.pipeline import ingest
from dashapp.ingest.validation import safe_text
from dashapp.jobs.mail import MailServer
from dashapp.services import build_services
from dashapp.store import db
from tests.factories import located, record
from tests.poison import COMMENT, brand_for, poison
from tests.servers import free_port

DAY = dt.date(2026, 11, 20)


class Inbox(MessageHandler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def handle_message(self, message: Message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    day = dt.datetime.combine(DAY, dt.time(10), dt.UTC)
    rows = [
        record(i, score=10, submitted_at=(day - dt.timedelta(days=3, minutes=i)).isoformat())
        for i in range(30)
    ]
    for i in range(10):
        at = (day + dt.timedelta(minutes=i)).isoformat()
        words = "Paket <b>kam</b> nie an" if i >= 6 else "Super"
        rows.append(record(100 + i, score=9 if i < 6 else 2, submitted_at=at, comment=words))
    ingest(sessions, "s", located(rows))
    return url


def test_rep001_report_arrives_with_figures_and_pdf(smtp: tuple[Inbox, int], store: str) -> None:
    inbox, port = smtp
    from dashapp.jobs import report

    settings = Settings.load(database_url=store)
    config = ReportConfig(recipients=["cx@example.com"])
    built = report.build(build_services(settings).nps, DAY)
    yesterday = built.totals[0]
    assert (yesterday.current.n, yesterday.current.promoters, yesterday.current.detractors) == (
        10,
        6,
        4,
    )
    report.send(built, config.recipients, MailServer(port=port))
    [message] = inbox.messages
    assert message["Subject"] == "Feedback Wall daily report 2026-11-20"
    assert message["To"] == "cx@example.com"
    parsed = email.message_from_bytes(message.as_bytes())
    html = (
        next(p for p in parsed.walk() if p.get_content_type() == "text/html")
        .get_payload(decode=True)
        .decode()
    )
    assert "Fri, 20 Nov 2026" in html  # the day, named by its date (CLDR en_GB)
    assert "+20" in html  # 6 promoters, 4 detractors of 10
    assert "Paket &lt;b&gt;kam&lt;/b&gt; nie an" in html  # comments are text in the mail too
    [pdf] = [p for p in parsed.walk() if p.get_content_type() == "application/pdf"]
    assert pdf.get_payload(decode=True).startswith(b"%PDF")


def test_rep002_cli(store: str, tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    out = tmp_path / "report.pdf"
    env = {"FEEDBACKWALL_DATABASE_URL": store}
    result = CliRunner().invoke(main, ["report", "--day", "2026-11-20", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    result = CliRunner().invoke(main, ["report", "--send"], env=env)
    assert result.exit_code == 1
    assert "[report]" in result.output
    config = tmp_path / "wall.toml"
    config.write_text(f'smtp_port = {port}\n[report]\nrecipients = ["a@example.com"]\n')
    result = CliRunner().invoke(
        main,
        ["report", "--day", "2026-11-20", "--send"],
        env={**env, "FEEDBACKWALL_CONFIG": str(config)},
    )
    assert result.exit_code == 0, result.output
    assert len(inbox.messages) == 1


def test_rep003_labels_that_moved_and_reports_per_brand(
    smtp: tuple[Inbox, int], store: str, tmp_path: Path
) -> None:
    inbox, port = smtp
    from dashapp.jobs import report

    sessions = db.make_sessionmaker(db.make_engine(store))
    # The week before: delivery comments from detractors; this week (the store's
    # 30 promoters and the day's comments) they praise it. Another brand stays put.
    before = dt.datetime.combine(DAY, dt.time(9), dt.UTC) - dt.timedelta(days=9)
    ingest(
        sessions,
        "s",
        located(
            [
                record(
                    500 + i,
                    score=2,
                    brand="Kvist",
                    comment="Die Lieferung kam viel zu spät",
                    submitted_at=(before - dt.timedelta(minutes=i)).isoformat(),
                )
                for i in range(20)
            ]
            + [
                record(
                    600 + i,
                    score=3,
                    submitted_at=(before - dt.timedelta(minutes=i)).isoformat(),
                )
                for i in range(20)
            ]
        ),
    )
    settings = Settings.load(database_url=store)
    engine = build_services(settings).nps
    built = report.build(engine, DAY)
    moved = {s.label: s for s in built.labels}
    delivery = moved["delivery"]
    assert delivery.change.significant
    assert delivery.change.delta is not None and delivery.change.delta > 50
    html = report.html(built)
    assert "Labels that moved most" in html
    assert "Delivery" in html
    config = ReportConfig(recipients=["all@example.com"], by_brand={"Kvist": ["kvist@example.com"]})
    report.send_all(engine, DAY, config, MailServer(port=port))
    everyone, kvist = inbox.messages
    assert everyone["To"] == "all@example.com"
    assert kvist["To"] == "kvist@example.com"
    assert str(make_header(decode_header(kvist["Subject"]))) == (
        "Feedback Wall daily report 2026-11-20 · Kvist"
    )
    body = (
        next(
            p
            for p in email.message_from_bytes(kvist.as_bytes()).walk()
            if p.get_content_type() == "text/html"
        )
        .get_payload(decode=True)
        .decode()
    )
    # Only Kvist's cells: the store's other responses are Velora's.
    assert "Kvist · DE" in body
    assert "Velora · DE" not in body


def pdf_text(data: bytes) -> str:
    """The text of a PDF, as poppler's pdftotext reads it, whitespace collapsed."""
    assert shutil.which("pdftotext"), "install poppler-utils (.ci/run does)"
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def test_rep004_the_days_own_comments_and_a_pdf_carrying_the_mail(
    store_url: str, settings: Settings
) -> None:
    """A busy day followed by busier ones: the day's comments are quoted, in mail and PDF alike."""
    from dashapp.jobs import report

    sessions = db.make_sessionmaker(db.make_engine(store_url))
    start = dt.datetime.combine(DAY, dt.time(), dt.UTC)
    rows = [
        # The day: 300 comments, a detractor every third.
        record(
            i,
            score=2 if i % 3 == 0 else 9,
            submitted_at=(start + dt.timedelta(minutes=4 * i + 1)).isoformat(),
            comment=f"Paket kam nie an, Tag {i}" if i % 3 == 0 else f"Schnell geliefert, Tag {i}",
        )
        for i in range(300)
    ]
    rows += [
        # More than 200 comments after the day, newer than all of its own.
        record(
            1000 + i,
            score=1 if i % 2 else 10,
            submitted_at=(start + dt.timedelta(days=1, minutes=5 * i)).isoformat(),
            comment=f"Danach {i}",
        )
        for i in range(400)
    ]
    rows += [
        # The week before: delivery was a complaint, so the label moved.
        record(
            2000 + i,
            score=1,
            submitted_at=(start - dt.timedelta(days=9, minutes=i)).isoformat(),
            comment="Die Lieferung kam viel zu spät",
        )
        for i in range(20)
    ]
    ingest(sessions, "s", located(rows))
    built = report.build(build_services(settings).nps, DAY)
    end = start + dt.timedelta(days=1)
    day_rows = sorted(
        (r for r in rows if start < dt.datetime.fromisoformat(r["submitted_at"]) <= end),
        key=lambda r: r["submitted_at"],
        reverse=True,
    )
    newest = [r["comment"] for r in day_rows if r["score"] <= 6][:3]
    assert [i.comment for i in built.detractors] == newest
    assert [i.comment for i in built.promoters] == [
        r["comment"] for r in day_rows if r["score"] >= 9
    ][:2]
    html = report.html(built)
    assert "No comments" not in html
    assert "20 Nov 2026" in html
    assert "22 Oct – 20 Nov 2026" in html  # the 30 days, named
    assert built.labels, "delivery moved: a label mover to show"
    text = pdf_text(report.pdf(built))
    for shown in (
        "20 Nov 2026",
        "14 – 20 Nov 2026",  # the 7 days (CLDR en_GB)
        "22 Oct – 20 Nov 2026",  # the 30 days
        "Velora · DE",  # a cell
        built.labels[0].path,  # a label mover
        *(i.comment for i in built.detractors + built.promoters),
    ):
        assert shown in text, shown


def test_rep006_control_characters_in_the_store_never_lose_the_day(
    smtp: tuple[Inbox, int], store_url: str, tmp_path: Path
) -> None:
    """A brand and comments with NUL, ESC or a vertical tab (stored before the rule): the report
    is written and mailed, each such character shown as U+FFFD; tabs and line breaks stay."""
    inbox, port = smtp
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    day = dt.datetime.combine(DAY, dt.time(10), dt.UTC)
    rows = [
        record(
            i, score=2 if i % 2 else 10, submitted_at=(day + dt.timedelta(minutes=i)).isoformat()
        )
        for i in range(12)
    ]
    # Through ingest: a comment with a tab and a line break is text and stays so.
    rows.append(record(99, score=1, submitted_at=day.isoformat(), comment="kam\tnie\nan"))
    ingest(sessions, "s", located(rows))
    brand = brand_for(sessions)
    poison(sessions, brand, comment=f"{COMMENT} kam nie an")
    out = tmp_path / "report.pdf"
    config = tmp_path / "wall.toml"
    config.write_text(f'smtp_port = {port}\n[report]\nrecipients = ["a@example.com"]\n')
    env = {"FEEDBACKWALL_DATABASE_URL": store_url, "FEEDBACKWALL_CONFIG": str(config)}
    result = CliRunner().invoke(
        main, ["report", "--day", "2026-11-20", "--out", str(out), "--send"], env=env
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    [message] = inbox.messages
    html = (
        next(
            p
            for p in email.message_from_bytes(message.as_bytes()).walk()
            if p.get_content_type() == "text/html"
        )
        .get_payload(decode=True)
        .decode()
    )
    assert safe_text(brand) in html
    assert safe_text(COMMENT) in html
    assert not any(c in html for c in "\x00\x0b\x1b\x7f\x85\ufffe")
    printed = CliRunner().invoke(main, ["report", "--day", "2026-11-20"], env=env)
    assert printed.exit_code == 0 and "\x1b" not in printed.output


def test_rep007_without_a_browser_the_mail_still_goes(
    smtp: tuple[Inbox, int], store: str, tmp_path: Path
) -> None:
    """No Chromium: the day's mail goes without its PDF and says why; --out still fails."""
    inbox, port = smtp
    config = tmp_path / "wall.toml"
    config.write_text(f'smtp_port = {port}\n[report]\nrecipients = ["a@example.com"]\n')
    env = {
        **os.environ,
        "FEEDBACKWALL_DATABASE_URL": store,
        "FEEDBACKWALL_CONFIG": str(config),
        "BROWSER_PATH": str(tmp_path / "no-such-browser"),
        "PATH": "/nonexistent",
    }
    command = [sys.executable, "-m", "dashapp.cli", "report", "--day", "2026-11-20"]
    out = subprocess.run(
        [*command, "--out", str(tmp_path / "r.pdf"), "--send"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stdout + out.stderr[-2000:]
    assert "sent to a@example.com" in out.stdout
    assert "printing a PDF needs Chromium" in out.stderr and "Traceback" not in out.stderr
    [message] = inbox.messages
    parsed = email.message_from_bytes(message.as_bytes())
    types = [p.get_content_type() for p in parsed.walk()]
    assert "text/html" in types and "application/pdf" not in types
    plain = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    assert (
        "its PDF could not be made: printing a PDF needs Chromium"
        in plain.get_payload(decode=True).decode()
    )
