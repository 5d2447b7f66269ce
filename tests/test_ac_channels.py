"""Alerts reach local fake Slack and Teams receivers in their published formats (#20 part 1)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import jsonschema
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import AlertRule
from dashapp.figures.nps_engine import Drop
from dashapp.ingest.pipeline import ingest
from dashapp.jobs import channels
from dashapp.jobs.alerts import Deliverer, drop_payload, retry_after, scan
from dashapp.masking import Masker
from dashapp.metrics import nps
from dashapp.store.models import AlertDelivery
from tests.ac_receivers import check_slack, check_teams, receiving
from tests.factories import located, record

T0 = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
BASE = "https://wall.example"
WORDS = "Paket <kam> nie an & keiner rief an: max@example.com, Mist!"


def fresh(i: int, **overrides: Any) -> dict[str, Any]:
    return record(i, **{"submitted_at": (T0 - dt.timedelta(hours=1)).isoformat(), **overrides})


def _queue(sessions: sessionmaker[Session], rules: list[AlertRule]) -> None:
    ingest(sessions, "s", located([record(1, score=2)]))
    scan(sessions, rules, T0)  # the first scan marks history as seen
    ingest(sessions, "s", located([fresh(2, score=2, comment=WORDS, country="DE")]))
    assert scan(sessions, rules, T0) == len(rules)


def test_ac001_slack_and_teams_get_their_formats_masked_with_a_link(
    sessions: sessionmaker[Session],
) -> None:
    with receiving("slack") as slack, receiving("teams") as teams:
        rules = [
            AlertRule(name="to-slack", slack=slack.url, country=["DE"]),
            AlertRule(name="to-teams", teams=teams.url, country=["DE"]),
        ]
        _queue(sessions, rules)
        mask = Masker(words=("mist",))
        deliverer = Deliverer(sessions, rules, mask=mask, base_url=BASE)
        assert deliverer.deliver(T0) == 2
        assert slack.invalid == [] and teams.invalid == []
        [to_slack], [to_teams] = slack.bodies, teams.bodies
    blocks = to_slack["blocks"]
    text = str(blocks)
    # Masked as on the wall (e-mail address and the configured word), escaped for mrkdwn.
    assert "max@example.com" not in str(to_slack) and "Mist" not in str(to_slack)
    assert "&lt;kam&gt;" in text and "&amp;" in text
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "2/10 · Velora · DE · delivery"},
    }
    [button] = blocks[-1]["elements"]
    assert button["url"].startswith(f"{BASE}/explore?from=2026-11-24&to=2026-11-24&brand=Velora")
    card = to_teams["attachments"][0]["content"]
    assert card["version"] == "1.4"
    facts = {f["title"]: f["value"] for f in card["body"][1]["facts"]}
    assert facts["Score"] == "2/10 (detractor)" and facts["Rule"] == "to-teams"
    assert facts["Submitted"] == "24 Nov 2026, 11:00 UTC"  # read by people, not parsers
    assert "max@example.com" not in str(card) and "<kam>" in card["body"][2]["text"]
    assert card["actions"][0]["url"] == button["url"]
    with sessions() as s:
        assert {d.last_status for d in s.scalars(select(AlertDelivery))} == {200, 202}


def test_ac002_slack_429_is_honoured(sessions: sessionmaker[Session]) -> None:
    script = [(429, "rate_limited", {"Retry-After": "30"})]
    with receiving("slack", script) as slack:
        rules = [AlertRule(name="to-slack", slack=slack.url)]
        _queue(sessions, rules)
        deliverer = Deliverer(sessions, rules, base_url=BASE)
        assert deliverer.deliver(T0) == 0
        with sessions() as s:
            [row] = s.scalars(select(AlertDelivery)).all()
        # Retry-After, not the 1-minute backoff, and nothing asked of Slack meanwhile.
        assert row.next_attempt_at == T0 + dt.timedelta(seconds=30)
        assert row.last_status == 429 and row.failed_at is None
        assert deliverer.deliver(T0 + dt.timedelta(seconds=10)) == 0
        assert deliverer.deliver(T0 + dt.timedelta(seconds=30)) == 1
        assert len(slack.bodies) == 1


def test_ac003_a_body_off_the_format_is_refused_by_the_fake() -> None:
    """The fake receivers' checks can fail: a Block Kit header over 150 characters, a 1.5 card."""
    good = channels.slack_message(channels.Summary("x" * 149))
    check_slack(good)
    with pytest.raises(jsonschema.ValidationError):
        check_slack(
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
            }
        )
    card = channels.teams_message(channels.Summary("t"))
    check_teams(card)
    card["attachments"][0]["content"]["body"][0]["style"] = "heading"  # 1.5 only
    with pytest.raises(jsonschema.ValidationError):
        check_teams(card)


def test_ac004_long_titles_are_cut_to_slack_limits() -> None:
    summary = channels.Summary(
        "y" * 400,
        facts=[(f"k{i}", "v" * 3000) for i in range(14)],
        quote="q" * 5000,
        link=BASE + "/explore",
    )
    check_slack(channels.slack_message(summary))
    check_teams(channels.teams_message(summary))


def test_ac005_drop_and_follow_up_events_render() -> None:
    rule = AlertRule(name="drops", kind="drop", slack="https://hooks.example/x")
    now, before = nps.compute(10, 10, 30, min_n=1), nps.compute(30, 10, 10, min_n=1)
    drop = Drop({"brand": "Velora", "country": "DE"}, now, before, nps.compare(now, before))
    summary = channels.summarise(drop_payload(rule, drop), str, BASE)
    assert summary.title.startswith("NPS drop: Velora · DE")
    assert summary.link and "country=DE" in summary.link
    followup = {
        "rule": "fu",
        "event": "followup.updated",
        "followup": {"id": 7, "state": "closed", "owner": "ana"},
    }
    summary = channels.summarise(followup, str, BASE)
    assert summary.title == "followup.updated"
    assert ("followup state", "closed") in summary.facts
    for message in (channels.slack_message(summary),):
        check_slack(message)
    check_teams(channels.teams_message(summary))


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("30", 30.0), ("0", 1.0), ("99999", 3600.0), ("soon", None), (None, None)],
)
def test_ac006_retry_after_is_read_and_bounded(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds


def test_ac007_webhook_urls_never_reach_the_log(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """A Slack or Teams webhook URL is a credential (its path is the secret): a delivery
    logs the receiver's host at most, whatever the log level."""
    caplog.set_level(logging.DEBUG)
    with receiving("slack") as slack, receiving("teams") as teams:
        secret = "T0SECRET/B0SECRET/xoxSECRETPART"
        rules = [
            AlertRule(name="to-slack", slack=f"{slack.url}/{secret}", country=["DE"]),
            AlertRule(name="to-teams", teams=f"{teams.url}/{secret}", country=["DE"]),
        ]
        _queue(sessions, rules)
        assert Deliverer(sessions, rules, base_url=BASE).deliver(T0) == 2
        assert len(slack.bodies) == len(teams.bodies) == 1
    assert "SECRET" not in caplog.text  # httpx logged each URL in full at INFO
