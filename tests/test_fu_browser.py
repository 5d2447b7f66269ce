"""The follow-up page in a browser: assign, note, contact and resolve; the wall's figures follow."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from dash.testing.composite import DashComposite

from dashapp import create_app
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.followups import service
from dashapp.followups.service import Change, QueueFilter
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store import db
from layouts.ids import FollowUps, Panels
from tests.access import PASSWORD, make_user
from tests.factories import located, record
from tests.servers import wait_for
from tests.test_access_browser import fill

pytestmark = pytest.mark.browser


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'followups.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    rows = [
        record(1, score=1, submitted_at=at, comment="Paket nie angekommen, bitte melden"),
        record(2, score=4, submitted_at=at, brand="Kvist", comment="Zu teuer"),
        record(3, score=10, submitted_at=at, comment="Perfekt"),
    ]
    ingest(sessions, "shop", located(rows), followups=Settings.load(config=None).followups)
    return url


def _sign_in(dash_duo: DashComposite, path: str) -> None:
    dash_duo.driver.get(dash_duo.server.url + path)
    dash_duo.wait_for_element("#login-name", timeout=10)
    fill(dash_duo, "#login-name", "ana")
    fill(dash_duo, "#login-password", PASSWORD)
    dash_duo.find_element("#login-submit").click()


def _wall_figures(dash_duo: DashComposite) -> list[str]:
    """The four big figures of the wall's follow-up panel, once it is filled."""
    content = f"#{Panels.part('followups', 'content')}"
    dash_duo.wait_for_element(f"{content} .fw-followup-kpi", timeout=20)
    return [e.text for e in dash_duo.find_elements(f"{content} .fw-followup-kpi .fw-kpi")]


def test_fu_browser001_assign_note_contact_resolve(dash_duo: DashComposite, store: str) -> None:
    app = create_app(Settings.load(database_url=store, cache_url="simple", config=None))
    make_user(app, Role.analyst, "ana")
    dash_duo.start_server(app, navigate=False)
    _sign_in(dash_duo, "/kiosk?pages=followups&interval=3600")
    # The wall before: two open, nobody contacted yet.
    assert _wall_figures(dash_duo) == ["2", "0", "–", "–"]
    dash_duo.driver.get(dash_duo.server.url + "/followups")
    dash_duo.wait_for_contains_text(f"#{FollowUps.QUEUE}", "Paket nie angekommen", timeout=15)
    assert "Perfekt" not in dash_duo.find_element(f"#{FollowUps.QUEUE}").text
    dash_duo.find_element(".fw-followup-link").click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Status: new", timeout=10)

    dash_duo.find_element(f"#{FollowUps.ASSIGN_ME}").click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Owner: ana", timeout=10)
    # Ben changes it meanwhile (the CRM, another desk): Ana's note is refused, not lost.
    svc = services_of(app.server)
    shown = service.queue(svc.sessions, QueueFilter(), limit=1)[0]
    service.update(
        svc.sessions,
        svc.settings.followups,
        shown.id,
        shown.version,
        "ben",
        Change(note="ich auch"),
    )
    fill(dash_duo, f"#{FollowUps.NOTE}", "Kundin angerufen, Paket neu verschickt")
    dash_duo.find_element(f"#{FollowUps.SAVE_NOTE}").click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.MESSAGE}", "changed meanwhile by ben", timeout=10)
    assert "Paket neu verschickt" in dash_duo.find_element(f"#{FollowUps.NOTE}").get_attribute(
        "value"
    )
    # The page now holds the new version: saving again goes through.
    dash_duo.wait_for_contains_text(f"#{FollowUps.HISTORY}", "ich auch", timeout=10)
    dash_duo.find_element(f"#{FollowUps.SAVE_NOTE}").click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.HISTORY}", "Paket neu verschickt", timeout=10)
    dash_duo.wait_for_contains_text(f"#{FollowUps.MESSAGE}", "Note saved.", timeout=10)
    assert dash_duo.find_element(f"#{FollowUps.NOTE}").get_attribute("value") == ""
    dash_duo.find_element('[id*="followups-move"][id*="contacted"]').click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Status: contacted", timeout=10)
    dash_duo.find_element('[id*="followups-move"][id*="resolved"]').click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Status: resolved", timeout=10)
    history = dash_duo.find_element(f"#{FollowUps.HISTORY}").text
    for line in ("status contacted → resolved", "status new → contacted", "owner nobody → ana"):
        assert line in history
    # The resolved one left the open queue; the filter lives in the URL.
    wait_for(lambda: len(dash_duo.find_elements(".fw-followup-row")) == 1, timeout=10)
    # The wall after: one open, one contacted and resolved (each time with its n).
    dash_duo.driver.get(dash_duo.server.url + "/kiosk?pages=followups&interval=3600")
    wait_for(lambda: _wall_figures(dash_duo)[0] == "1", timeout=20)
    shown = _wall_figures(dash_duo)
    assert shown[1] == "0" and shown[2] != "–" and shown[3] != "–"
    details = [e.text for e in dash_duo.find_elements(".fw-followup-kpi .fw-detail")]
    assert "n = 1" in details[2] and "n = 1" in details[3]
    assert "Velora · DE" in dash_duo.find_element(".fw-followup-cells").text
    # From a comment on explore, one click opens its follow-up.
    dash_duo.driver.get(dash_duo.server.url + "/explore?brand=Kvist")
    dash_duo.wait_for_contains_text(".fw-feed", "Zu teuer", timeout=15)
    dash_duo.find_element(".fw-feed .fw-followup-open").click()
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Zu teuer", timeout=15)
    dash_duo.wait_for_contains_text(f"#{FollowUps.DETAIL}", "Status: new", timeout=10)
    assert dash_duo.get_logs() == []
