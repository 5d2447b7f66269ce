"""Access as people meet it, in Chromium: sign in and out, first admin, screens, revocation."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dash.testing.composite import DashComposite
from selenium.webdriver.common.by import By

from dashapp import create_app
from dashapp.access import tokens as access_tokens
from dashapp.access.tokens import Kind
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from layouts.ids import Admin, Explore
from tests.access import PASSWORD, make_user
from tests.factories import located, random_records
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.browser
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'access.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    ingest(sessions, "seed", located(list(random_records(300, end=NOW, days=20))))
    return url


def fill(browser: DashComposite, selector: str, text: str) -> None:
    field = browser.find_element(selector)
    field.clear()
    field.send_keys(text)


def test_accb001_sign_in_see_your_pages_sign_out(dash_duo: DashComposite, store: str) -> None:
    app = create_app(Settings.load(database_url=store, cache_url="simple"))
    make_user(app, Role.analyst, "ana")
    # navigate=False: dash.testing would wait for Dash's page, and here comes a login form.
    dash_duo.start_server(app, navigate=False)
    base = dash_duo.server.url
    dash_duo.driver.get(base + "/explore?brand=Velora")
    dash_duo.wait_for_element("#login-name", timeout=10)
    fill(dash_duo, "#login-name", "ana")
    fill(dash_duo, "#login-password", "not it at all")
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_contains_text("#login-error", "Wrong name or password", timeout=10)
    # The refused sign-in is a 401, which the browser logs; nothing else may be logged.
    assert all("/login - " in entry["message"] for entry in dash_duo.get_logs())
    fill(dash_duo, "#login-password", PASSWORD)
    dash_duo.find_element("#login-submit").click()
    # Back where they wanted to go, with the filter they asked for.
    dash_duo.wait_for_contains_text(f"#{Explore.SUMMARY}", "n = ", timeout=15)
    assert dash_duo.driver.current_url.endswith("/explore?brand=Velora")
    nav = dash_duo.find_element(".navbar").text
    assert "ana · analyst" in nav and "Explore" in nav and "Admin" not in nav
    dash_duo.find_element(".navbar form button").click()
    dash_duo.wait_for_element("#login-name", timeout=10)
    dash_duo.driver.get(base + "/explore")
    dash_duo.wait_for_element("#login-name", timeout=10)
    assert dash_duo.get_logs() == []


@pytest.fixture
def served(store: str) -> Iterator[tuple[str, list[str]]]:
    """`feedbackwall run` on a fresh store with no users; its address and printed lines."""
    port = free_port()
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": store, "FEEDBACKWALL_POLL_INTERVAL": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30)
        assert proc.stdout is not None
        while not any("No users yet" in line for line in lines):
            lines.append(proc.stdout.readline())
        yield base, lines
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def test_accb002_first_admin_makes_a_screen_that_is_revoked(  # type: ignore[no-untyped-def]
    dash_br, served: tuple[str, list[str]], store: str
) -> None:
    """From the printed link to the first admin, display links, a wall screen, and revocation."""
    base, lines = served
    link = re.search(r"(http://\S+/setup\?token=fws_\S+)", "".join(lines))
    assert link, lines
    browser = dash_br.driver
    browser.get(link[1])
    dash_br.wait_for_element("#setup-name", timeout=10)
    fill(dash_br, "#setup-name", "root")
    fill(dash_br, "#setup-password", PASSWORD)
    fill(dash_br, "#setup-again", PASSWORD)
    dash_br.find_element("#setup-submit").click()
    dash_br.wait_for_contains_text(".navbar", "root · admin", timeout=15)
    browser.get(f"{base}/admin")
    links = {}
    for name in ("hall", "lobby"):
        fill(dash_br, f"#{Admin.SCREEN_NAME}", name)
        dash_br.find_element(f"#{Admin.SCREEN_ADD}").click()
        dash_br.wait_for_contains_text(f"#{Admin.SCREEN_MESSAGE}", f"for {name}", timeout=10)
        links[name] = dash_br.find_element(f"#{Admin.SCREEN_MESSAGE} code").text
        dash_br.wait_for_contains_text(f"#{Admin.SCREENS}", name, timeout=10)
    assert links["lobby"].startswith(f"{base}/kiosk?token=fwd_")
    # Revoke "hall" with its button (screens are listed newest first: hall is second).
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{Admin.SCREENS} tbody tr")
    hall = next(r for r in rows if r.text.startswith("hall"))
    hall.find_element(By.TAG_NAME, "button").click()
    wait_for(lambda: "hall" not in dash_br.find_element(f"#{Admin.SCREENS}").text, 10)

    # The screen's own browser: no admin session, just its display link, opened once.
    browser.delete_all_cookies()
    dash_br.get_logs()  # what the admin's pages logged is not the screen's
    browser.get(links["lobby"] + "&pages=overview,feed,labels&interval=5")
    dash_br.wait_for_element("#panels-heatmap .main-svg", timeout=15)
    time.sleep(6)  # a rotation and a few polls: every request the screen makes is allowed
    assert dash_br.get_logs() == []
    assert "token=" not in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, ".navbar") == []
    cookie = browser.get_cookie("fw_display")
    assert cookie and cookie["httpOnly"]

    # Revoked while it runs (as `feedbackwall displays revoke lobby` does): the screen
    # says so by itself within a few seconds, and is never sent to a login page.
    with db.make_sessionmaker(db.make_engine(store)).begin() as session:
        assert access_tokens.revoke_named(session, Kind.display, "lobby") == 1
    dash_br.wait_for_contains_text("#revoked", "Access revoked", timeout=20)
    assert "login" not in browser.current_url
    browser.get(links["hall"])
    dash_br.wait_for_contains_text("#revoked", "Access revoked", timeout=10)
