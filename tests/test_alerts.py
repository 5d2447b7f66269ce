"""Alerts reach a real webhook receiver exactly as often as it acknowledges, across restarts."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import AlertRule
from dashapp.ingest.pipeline import ingest
from dashapp.jobs.alerts import MAX_ATTEMPTS, Deliverer, retry_delay, scan
from dashapp.store.models import AlertDelivery
from tests.factories import located, record

SECRET = "a-long-shared-secret"
T0 = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


class Receiver:
    """A webhook endpoint that fails its first answers, checks signatures, counts acks."""

    def __init__(self, failures: int = 2) -> None:
        self.failures = failures
        self.acked: Counter[str] = Counter()
        self.bodies: list[dict[str, Any]] = []
        self.bad_signatures = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if self.headers.get("X-FeedbackWall-Signature") != expected:
                    receiver.bad_signatures += 1
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.acked[self.headers["X-FeedbackWall-Delivery"]] += 1
                receiver.bodies.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.server.shutdown()


def rule(url: str, **overrides: Any) -> AlertRule:
    return AlertRule(name="detractors-de", webhook=url, secret=SECRET, country=["DE"], **overrides)


def fresh(i: int, **overrides: Any) -> dict[str, Any]:
    """A record submitted an hour before T0: recent enough to alert."""
    return record(i, **{"submitted_at": (T0 - dt.timedelta(hours=1)).isoformat(), **overrides})


def test_alert001_exactly_once_per_ack_across_restarts(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    rules = [rule(receiver.url)]
    ingest(sessions, "s", located([record(1, score=2)]))
    assert scan(sessions, rules, T0) == 0  # the first scan marks history as seen
    ingest(
        sessions,
        "s",
        located(
            [
                fresh(2, score=3, comment="Paket kam nie an"),
                fresh(3, score=9),  # a promoter
                fresh(4, score=1, country="FR"),  # another country
                fresh(5, score=6, comment="Zu spät"),
            ]
        ),
    )
    assert scan(sessions, rules, T0) == 2
    assert scan(sessions, rules, T0) == 0  # nothing is enqueued twice
    first = Deliverer(sessions, rules)
    assert first.deliver(T0) == 0  # the receiver fails its first two answers
    # "Restart": new deliverer; retries wait their backoff, then succeed.
    second = Deliverer(sessions, rules)
    assert second.deliver(T0 + dt.timedelta(seconds=30)) == 0  # not due yet
    assert second.deliver(T0 + retry_delay(1)) == 2
    assert second.deliver(T0 + dt.timedelta(hours=2)) == 0
    assert sorted(receiver.acked.values()) == [1, 1]
    assert receiver.bad_signatures == 0
    ids = sorted(body["response"]["id"] for body in receiver.bodies)
    assert ids == ["r2", "r5"]
    assert receiver.bodies[0]["rule"] == "detractors-de"
    with sessions() as s:
        log = s.scalars(select(AlertDelivery)).all()
        assert all(d.delivered_at is not None and d.attempts == 2 for d in log)


def test_alert002_gives_up_after_about_an_hour(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    receiver.failures = 100
    rules = [rule(receiver.url)]
    scan(sessions, rules, T0)
    ingest(sessions, "s", located([fresh(1, score=0)]))
    scan(sessions, rules, T0)
    deliverer = Deliverer(sessions, rules)
    now = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        deliverer.deliver(now)
        now += retry_delay(attempt)
    with sessions() as s:
        [item] = s.scalars(select(AlertDelivery)).all()
        assert item.failed_at is not None
        assert item.attempts == MAX_ATTEMPTS
        assert item.last_status == 503
        assert dt.timedelta(minutes=55) < item.failed_at - T0 < dt.timedelta(minutes=70)
    assert receiver.acked == Counter()


def test_alert003_redirects_are_not_followed(sessions: sessionmaker[Session]) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        rules = [rule(f"http://127.0.0.1:{server.server_address[1]}/hook")]
        scan(sessions, rules, T0)
        ingest(sessions, "s", located([fresh(1, score=0)]))
        scan(sessions, rules, T0)
        assert Deliverer(sessions, rules).deliver(T0) == 0
        with sessions() as s:
            [item] = s.scalars(select(AlertDelivery)).all()
            assert item.last_status == 307
            assert item.delivered_at is None
    finally:
        server.shutdown()


def test_alert004_significant_drop_alerts_once_a_day(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    from flask_caching.backends import NullCache

    from dashapp.figures.nps_engine import NpsEngine
    from dashapp.jobs.alerts import scan_drops
    from tests.test_engine_cache import _drop_scenario

    receiver.failures = 0
    _drop_scenario(sessions, T0)
    drop_rule = AlertRule(name="drops", kind="drop", webhook=receiver.url, secret=SECRET)
    engine = NpsEngine(
        sessions,
        NullCache(),
    )
    assert scan_drops(engine, [drop_rule], T0) == 1
    assert scan_drops(engine, [drop_rule], T0 + dt.timedelta(hours=1)) == 1  # same day: no new row
    assert Deliverer(sessions, [drop_rule]).deliver(T0 + dt.timedelta(hours=1)) == 1
    [body] = receiver.bodies
    assert body["drop"]["brand"] == "Velora"
    assert body["drop"]["country"] == "DE"
    assert body["drop"]["nps_before"] > body["drop"]["nps_now"]
    with sessions() as s:
        assert len(s.scalars(select(AlertDelivery)).all()) == 1


def test_alert005_email_action(sessions: sessionmaker[Session]) -> None:
    from aiosmtpd.controller import Controller

    from dashapp.jobs.mail import MailServer
    from tests.servers import free_port
    from tests.test_report import Inbox

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mail_rule = AlertRule(name="team-de", country=["DE"], email=["cx-de@example.com"])
        scan(sessions, [mail_rule], T0)
        ingest(sessions, "s", located([fresh(1, score=1, comment="Nie wieder <script>")]))
        scan(sessions, [mail_rule], T0)
        assert Deliverer(sessions, [mail_rule], MailServer(port=port)).deliver(T0) == 1
        [message] = inbox.messages
        assert message["To"] == "cx-de@example.com"
        subject = str(make_header(decode_header(message["Subject"])))
        assert subject == "[Feedback Wall] 1/10: Velora · DE · delivery"
        assert "Nie wieder <script>" in message.get_payload(decode=True).decode()
    finally:
        controller.stop()


def test_alert006_a_rule_needs_one_action() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one of 'webhook'"):
        AlertRule(name="x")
    with pytest.raises(ValidationError, match="needs a 'secret'"):
        AlertRule(name="x", webhook="https://hooks.example/x")


def test_alert007_delivery_log_on_the_command_line(
    store_url: str, sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    from click.testing import CliRunner

    from dashapp.cli.main import main

    rules = [rule(receiver.url)]
    scan(sessions, rules, T0)
    ingest(sessions, "s", located([fresh(1, score=0)]))
    scan(sessions, rules, T0)
    Deliverer(sessions, rules).deliver(T0)  # the receiver fails this one
    out = CliRunner().invoke(main, ["alerts"], env={"FEEDBACKWALL_DATABASE_URL": store_url}).output
    assert "#1 detractors-de: pending, next try 12:01:00 UTC, 1 attempt(s) (last: 503)" in out


def test_alert008_label_rules_and_labels_in_the_payload(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    receiver.failures = 0
    rules = [rule(receiver.url, labels=["delivery"], with_comment=True)]
    ingest(sessions, "s", located([record(1, score=2)]))
    scan(sessions, rules, T0)
    ingest(
        sessions,
        "s",
        located(
            [
                fresh(2, score=2, comment="Die Lieferung kam zu spät, der Karton war kaputt"),
                fresh(3, score=2, comment="Die Rechnung war falsch"),  # payment only
            ]
        ),
    )
    assert scan(sessions, rules, T0) == 1
    assert Deliverer(sessions, rules).deliver(T0) == 1
    [body] = receiver.bodies
    assert body["response"]["id"] == "r2"
    labels = {lbl["id"]: lbl for lbl in body["labels"]}
    # The rule names a parent; the response carries the child and its parent.
    assert labels["delivery/time"] == {
        "id": "delivery/time",
        "name": "Delivery > Delivery time",
        "sentiment": "negative",
    }
    assert labels["packaging"]["sentiment"] == "negative"


def test_alert009_history_and_backfills_never_alert(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    """Only responses submitted within the horizon alert: a seed or backfill of history does not."""
    from data_sources.demo import history

    rules = [AlertRule(name="detractors", webhook=receiver.url, secret=SECRET)]
    assert scan(sessions, rules, T0) == 0  # a fresh store: the first scan marks nothing
    # The demo seed lands after that first scan, as it does under `feedbackwall run --demo`.
    seeded = list(history(10, T0, per_day=150))
    ingest(sessions, "demo", seeded)
    horizon = T0 - dt.timedelta(hours=24)
    detractors = [raw for _, raw in seeded if raw["score"] <= 6]
    recent = [r for r in detractors if dt.datetime.fromisoformat(r["submitted_at"]) > horizon]
    assert recent and len(recent) < len(detractors)  # both kinds are there to tell apart
    assert scan(sessions, rules, T0) == len(recent)
    with sessions() as s:
        rows = s.scalars(select(AlertDelivery)).all()
        assert {row.payload["response"]["id"] for row in rows} == {raw["id"] for raw in recent}
    # A backfill months old, with two responses of the last hour among it; a shorter horizon.
    months = T0 - dt.timedelta(days=90)
    backfill = [
        record(1000 + i, score=0, submitted_at=(months + dt.timedelta(hours=i)).isoformat())
        for i in range(50)
    ] + [fresh(2000, score=1), fresh(2001, score=2)]
    ingest(sessions, "import", located(backfill))
    assert scan(sessions, rules, T0, horizon=dt.timedelta(hours=2)) == 2
    assert scan(sessions, rules, T0) == 0  # the history was passed over, not left for later


def test_alert010_a_fresh_alert_is_not_queued_behind_a_backlog(
    sessions: sessionmaker[Session], receiver: Receiver
) -> None:
    """With many old deliveries pending, a fresh alert still goes out in the next delivery round."""
    from dashapp.jobs.alerts import DELIVER_BATCH

    receiver.failures = 0
    rules = [rule(receiver.url)]
    scan(sessions, rules, T0)
    # A backlog of old pending deliveries, due now (a receiver was down for hours).
    with sessions.begin() as s:
        s.execute(
            AlertDelivery.__table__.insert(),
            [
                {
                    "rule": "detractors-de",
                    "event": f"backlog|{i}",
                    "payload": {"rule": "detractors-de", "backlog": i},
                    "created_at": T0 - dt.timedelta(hours=3),
                    "next_attempt_at": T0 - dt.timedelta(minutes=30),
                    "attempts": 3,
                }
                for i in range(3 * DELIVER_BATCH)
            ],
        )
    ingest(sessions, "s", located([fresh(1, score=0, comment="Seit einer Woche kein Paket")]))
    assert scan(sessions, rules, T0) == 1
    Deliverer(sessions, rules).deliver(T0)
    delivered = [body["response"]["id"] for body in receiver.bodies if "response" in body]
    assert delivered == ["r1"]
