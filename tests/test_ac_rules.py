"""Alert rules made on /admin and through the API, validated as TOML rules (#20 part 2)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from dash.testing.composite import DashComposite
from selenium.webdriver.support.ui import Select
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import AlertRule, Settings
from dashapp.ingest.pipeline import ingest
from dashapp.jobs.alerts import Deliverer, rule_states, rules_in_force, scan
from dashapp.services import services_of
from dashapp.store import db
from dashapp.store.models import AlertDelivery
from layouts.ids import Admin
from tests.ac_receivers import receiving
from tests.access import client_as
from tests.factories import located, record
from tests.servers import wait_for

NOW = dt.datetime.now(dt.UTC)
SECRET = "a-long-shared-secret"
CONFIGURED = AlertRule(name="from-toml", email=["cx@example.com"])


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Dash]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple", alerts=[CONFIGURED]))
    yield app
    services_of(app.server).engine.dispose()


def fresh(i: int, **overrides: Any) -> dict[str, Any]:
    return record(i, **{"submitted_at": (NOW - dt.timedelta(minutes=30)).isoformat(), **overrides})


def test_ac201_api_creates_lists_edits_pauses_deletes(app: Dash) -> None:
    admin = client_as(app, Role.admin)
    sent = {
        "name": "hook-de",
        "country": ["DE"],
        "webhook": "https://hooks.example/x",
        "secret": SECRET,
    }
    made = admin.post("/api/v1/alert-rules", json=sent)
    assert made.status_code == 201, made.json
    # Validated by the TOML rules' model, naming the field.
    bad = admin.post("/api/v1/alert-rules", json={"name": "x", "slack": "ftp://nope"})
    assert bad.status_code == 422 and "slack" in bad.json["error"]
    bad = admin.post(
        "/api/v1/alert-rules",
        json={"name": "y", "slack": "https://h.example", "min_score": 9, "max_score": 2},
    )
    assert bad.status_code == 422 and "min_score" in bad.json["error"]
    clash = admin.post(
        "/api/v1/alert-rules", json={"name": "from-toml", "slack": "https://h.example"}
    )
    assert clash.status_code == 422 and "configuration" in clash.json["error"]
    again = admin.post("/api/v1/alert-rules", json=sent)
    assert again.status_code == 422 and "exists already" in again.json["error"]
    assert admin.post("/api/v1/alert-rules", data="nope").status_code == 400
    listed = admin.get("/api/v1/alert-rules").json["rules"]
    assert [(r["name"], r["read_only"]) for r in listed] == [
        ("from-toml", True),
        ("hook-de", False),
    ]
    assert SECRET not in str(listed) and "/x" not in str(listed)
    assert (
        listed[1]["rule"]["has_secret"] is True
        and listed[1]["rule"]["webhook"] == "https://hooks.example/…"
    )
    # An edit without the secret (and URL) keeps them.
    edited = admin.put(
        "/api/v1/alert-rules/hook-de",
        json={"name": "hook-de", "country": ["AT"], "channel": "webhook"},
    )
    assert edited.status_code == 200, edited.json
    sessions = services_of(app.server).sessions
    [stored] = [r for r in rules_in_force(sessions, [CONFIGURED]) if r.name == "hook-de"]
    assert (
        stored.secret == SECRET
        and stored.webhook == "https://hooks.example/x"
        and stored.country == ["AT"]
    )
    assert admin.put("/api/v1/alert-rules/from-toml", json=sent).status_code == 409
    assert admin.patch("/api/v1/alert-rules/hook-de", json={"paused": True}).status_code == 200
    assert [r.name for r in rules_in_force(sessions, [CONFIGURED])] == ["from-toml"]
    assert admin.patch("/api/v1/alert-rules/hook-de", json={"paused": "yes"}).status_code == 422
    assert admin.delete("/api/v1/alert-rules/hook-de").status_code == 200
    assert admin.delete("/api/v1/alert-rules/hook-de").status_code == 404
    # Analysts may not.
    analyst = client_as(app, Role.analyst)
    assert analyst.get("/api/v1/alert-rules").status_code == 403
    assert analyst.post("/api/v1/alert-rules", json=sent).status_code == 403


def test_ac202_stored_rules_alert_through_the_outbox_and_show_their_state(app: Dash) -> None:
    sessions = services_of(app.server).sessions
    admin = client_as(app, Role.admin)
    with receiving("slack") as slack:
        made = admin.post(
            "/api/v1/alert-rules",
            json={"name": "to-slack", "slack": slack.url, "cooldown_minutes": 60},
        )
        assert made.status_code == 201
        rules = lambda: rules_in_force(sessions, [])  # noqa: E731 - what the scheduler passes
        ingest(sessions, "s", located([record(1, score=2)]))
        scan(sessions, rules, NOW)
        ingest(sessions, "s", located([fresh(2, score=1), fresh(3, score=0)]))
        # The cooldown: two detractors, one alert.
        assert scan(sessions, rules, NOW) == 1
        assert Deliverer(sessions, rules).deliver(NOW) == 1
        assert len(slack.bodies) == 1
        ingest(sessions, "s", located([fresh(4, score=3)]))
        assert scan(sessions, rules, NOW + dt.timedelta(minutes=30)) == 0
        ingest(sessions, "s", located([fresh(5, score=3)]))
        assert scan(sessions, rules, NOW + dt.timedelta(minutes=61)) == 1
        tested = admin.post("/api/v1/alert-rules/to-slack/test")
        assert tested.json == {
            "name": "to-slack",
            "ok": True,
            "status": 200,
            "answer": "ok",
            "error": None,
        }
        assert slack.bodies[-1]["blocks"][0]["text"]["text"].startswith("[test] ")
    state = rule_states(sessions)["to-slack"]
    assert state.last_fired is not None and (state.delivered, state.pending) == (1, 1)
    listed = admin.get("/api/v1/alert-rules").json["rules"]
    assert listed[1]["name"] == "to-slack"
    assert listed[1]["deliveries"] == {"delivered": 1, "pending": 1, "failed": 0}
    with sessions() as s:
        assert len(s.scalars(select(AlertDelivery)).all()) == 2


def click(browser: DashComposite, selector: str) -> None:
    """Click *selector* where it is now: the page's tables redraw (and move it) as they load,
    so a pointer click aimed a moment earlier can land on something else."""
    element = browser.find_element(selector)
    browser.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    browser.driver.execute_script("arguments[0].click();", element)


@pytest.mark.browser
def test_ac203_browser_admin_makes_a_rule_and_sees_its_test_delivery(
    dash_duo: DashComposite, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    app = create_app(
        Settings.load(database_url=url, cache_url="simple", alerts=[CONFIGURED]), local_demo=True
    )
    with receiving("slack") as slack:
        dash_duo.start_server(app)
        dash_duo.driver.get(dash_duo.server.url + "/admin")
        dash_duo.wait_for_contains_text(f"#{Admin.RULES}", "from-toml", timeout=15)
        assert "read-only" in dash_duo.find_element(f"#{Admin.RULES}").text
        for ident, text in (
            (Admin.RULE_NAME, "slack-de"),
            (Admin.RULE_COUNTRY, "DE, AT"),
            (Admin.RULE_MAX_SCORE, "4"),
            (Admin.RULE_TARGET, slack.url),
        ):
            dash_duo.find_element(f"#{ident}").send_keys(text)
        Select(dash_duo.find_element(f"#{Admin.RULE_CHANNEL}")).select_by_value("slack")
        click(dash_duo, f"#{Admin.RULE_SAVE}")
        dash_duo.wait_for_contains_text(f"#{Admin.RULE_MESSAGE}", "Saved rule slack-de", timeout=10)
        dash_duo.wait_for_contains_text(f"#{Admin.RULES}", "slack-de", timeout=10)
        # The webhook URL is a credential: once saved, the form no longer shows it.
        dash_duo.wait_for_text_to_equal(f"#{Admin.RULE_TARGET}", "", timeout=5)
        assert dash_duo.find_element(f"#{Admin.RULE_TARGET}").get_attribute("value") == ""
        rules_text = dash_duo.find_element(f"#{Admin.RULES}").text
        assert "scores 0–4, DE, AT" in rules_text and slack.url not in rules_text
        test_button = '[id*="admin-rule-action"][id*="test"][id*="slack-de"]'
        click(dash_duo, test_button)
        dash_duo.wait_for_contains_text(
            f"#{Admin.RULE_MESSAGE}", "Test of slack-de: delivered", timeout=15
        )
        assert "200 ok" in dash_duo.find_element(f"#{Admin.RULE_MESSAGE}").text
        assert len(slack.bodies) == 1 and slack.invalid == []
        # Pausing says so; deleting asks first, and only the second click deletes.
        click(dash_duo, '[id*="admin-rule-action"][id*="pause"][id*="slack-de"]')
        dash_duo.wait_for_contains_text(
            f"#{Admin.RULE_MESSAGE}", "Paused rule slack-de", timeout=10
        )
        click(dash_duo, '[id*="admin-rule-action"][id*="\\"delete\\""][id*="slack-de"]')
        dash_duo.wait_for_contains_text(
            f"#{Admin.RULE_MESSAGE}", "Delete rule slack-de?", timeout=10
        )
        assert "slack-de" in dash_duo.find_element(f"#{Admin.RULES}").text  # not yet
        click(dash_duo, '[id*="admin-rule-action"][id*="confirm-delete"][id*="slack-de"]')
        dash_duo.wait_for_contains_text(
            f"#{Admin.RULE_MESSAGE}", "Deleted rule slack-de", timeout=10
        )
        wait_for(lambda: "slack-de" not in dash_duo.find_element(f"#{Admin.RULES}").text, 10)
        # A bad rule says which field.
        click(dash_duo, f"#{Admin.RULE_NEW}")
        dash_duo.wait_for_text_to_equal(f"#{Admin.RULE_NAME}", "", timeout=5)
        dash_duo.find_element(f"#{Admin.RULE_NAME}").send_keys("no target")
        click(dash_duo, f"#{Admin.RULE_SAVE}")
        dash_duo.wait_for_contains_text(f"#{Admin.RULE_MESSAGE}", "name:", timeout=10)
    assert dash_duo.get_logs() == []


def test_ac204_drop_rules_honour_min_n_threshold_and_cooldown_per_cell(
    sessions: sessionmaker[Session],
) -> None:
    from flask_caching.backends import NullCache

    from dashapp.figures.nps_engine import NpsEngine
    from dashapp.jobs.alerts import scan_drops
    from tests.test_engine_cache import _drop_scenario

    t0 = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    _drop_scenario(sessions, t0)
    engine = NpsEngine(
        sessions,
        NullCache(),
    )
    [drop] = engine.drops(("brand", "country"), window=7, as_of=t0)
    fall, fewest = -(drop.change.delta or 0), min(drop.current.n, drop.previous.n)

    names = iter(range(100))

    def rule(**extra: Any) -> AlertRule:
        # A rule of its own each time: each one's alerts are its own.
        return AlertRule(
            name=f"drops-{next(names)}", kind="drop", slack="https://h.example", **extra
        )

    assert scan_drops(engine, [rule(min_n=fewest + 1)], t0) == 0
    assert scan_drops(engine, [rule(drop_points=fall + 1)], t0) == 0
    assert scan_drops(engine, [rule(min_n=fewest, drop_points=fall - 1)], t0) == 1
    cooling = rule(cooldown_minutes=48 * 60)
    assert scan_drops(engine, [cooling], t0) == 1
    # The next day is a new event, but the cell is still in its cooldown.
    assert scan_drops(engine, [cooling], t0 + dt.timedelta(days=1)) == 0
    without = rule(window=7)
    assert scan_drops(engine, [without], t0) == 1
    assert scan_drops(engine, [without], t0 + dt.timedelta(days=1)) == 1
