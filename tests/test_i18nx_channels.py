"""Slack and Teams alerts are read by people: written in their rule's language, as its mails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import AlertRule, Settings
from dashapp.ingest.pipeline import ingest
from dashapp.jobs.alerts import Deliverer, scan
from dashapp.masking import Masker
from dashapp.services import services_of
from dashapp.store import db
from tests.ac_receivers import receiving
from tests.access import client_as
from tests.factories import located, record

T0 = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Dash]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    made = create_app(Settings.load(database_url=url, cache_url="simple"))
    yield made
    services_of(made.server).engine.dispose()


def test_i18nx001_slack_and_teams_messages_in_the_rules_language(
    sessions: sessionmaker[Session],
) -> None:
    with receiving("slack") as slack, receiving("teams") as teams:
        rules = [
            AlertRule(name="de-slack", slack=slack.url, language="de"),
            AlertRule(name="en-teams", teams=teams.url, language="en"),
        ]
        ingest(sessions, "s", located([record(1, score=2)]))
        scan(sessions, rules, T0)  # the first scan marks history as seen
        fresh: dict[str, Any] = {"submitted_at": (T0 - dt.timedelta(hours=1)).isoformat()}
        ingest(sessions, "s", located([record(2, score=2, comment=None, **fresh)]))
        assert scan(sessions, rules, T0) == 2
        deliverer = Deliverer(sessions, rules, mask=Masker(), base_url="https://wall.example")
        assert deliverer.deliver(T0) == 2
        german, english = str(slack.bodies[-1]), str(teams.bodies[-1])
    for text in ("Bewertung", "Zelle", "Regel", "(kein Kommentar)", "In Erkunden öffnen"):
        assert text in german, text
    assert "Open in explore" not in german and "Score" not in german
    for text in ("Score", "Cell", "Rule", "(no comment)", "Open in explore"):
        assert text in english, text


def test_i18nx002_subscriptions_and_unsubscribe_pages_in_german(app: Dash) -> None:
    client: FlaskClient = client_as(app, Role.viewer)
    page = client.get("/subscriptions?lang=de").text
    assert "Ihre E-Mail-Adresse" in page and "Wöchentlich" in page and "Abonnieren" in page
    assert "Your e-mail address" not in page
    invalid = app.server.test_client().get("/unsubscribe?t=nonsense&lang=de")
    assert invalid.status_code == 400 and "Dieser Abmeldelink ist ungültig" in invalid.text


def test_i18nx_delivery_log_says_the_apps_own_sentences_in_the_readers_language() -> None:
    """The delivery log on /admin: what the app wrote reads in German; what a receiver or a
    library answered stays as it came."""
    from dashapp.i18n import use_locale
    from dashapp.jobs.alerts import last_problem
    from dashapp.store.models import AlertDelivery

    gone = AlertDelivery(attempts=1, last_error="the rule is no longer configured")
    theirs = AlertDelivery(attempts=2, last_error="ConnectError: [Errno 111] refused")
    with use_locale("de"):
        assert last_problem(gone) != "the rule is no longer configured"
        assert last_problem(theirs) == "ConnectError: [Errno 111] refused"
    assert last_problem(AlertDelivery(attempts=1, last_status=429)) == "429"
