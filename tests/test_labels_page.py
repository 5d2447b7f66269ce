"""The labels page and label drill-down in a real headless Chromium."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from dash.testing.composite import DashComposite
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from dashapp.ingest.pipeline import ingest
from dashapp.labels import discovered as themes
from dashapp.services import services_of
from dashapp.store import db
from tests.factories import located, record
from tests.test_labels_cli import themed_comments
from tests.test_wall import start

pytestmark = pytest.mark.browser
T = TypeVar("T")
NOW = dt.datetime.now(dt.UTC)
TEXTS = [
    ("en", "The delivery took over a week, the box was crushed"),
    ("de", "Der Kundenservice war sehr freundlich und hat sofort geholfen"),
    ("fr", "Le remboursement est toujours en attente"),
    ("en", "Great price, cheaper than elsewhere"),
    ("en", "<img src=x onerror=alert(1)> delivery late"),
]


def fresh(action: Callable[[], T], tries: int = 10) -> T:
    """*action*, again while the panel it reads is re-rendered under it (a poll tick)."""
    for _ in range(tries - 1):
        try:
            return action()
        except StaleElementReferenceException:
            time.sleep(0.2)
    return action()


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'labels.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    rng = random.Random(5)
    rows = []
    for i in range(400):
        lang, text = TEXTS[i % len(TEXTS)]
        at = NOW - dt.timedelta(minutes=5 + rng.randrange(40 * 24 * 60))
        rows.append(
            record(
                i,
                submitted_at=at.isoformat(),
                score=rng.randint(0, 10),
                comment=text,
                language=lang,
            )
        )
    ingest(sessions, "seed", located(rows))
    ingest(sessions, "seed-sv", located(themed_comments(240)))
    with sessions.begin() as session:
        themes.run_discovery(session)
    return url


def test_lpage001_labels_page_to_the_comments_behind_a_label(
    dash_duo: DashComposite, store: str
) -> None:
    app = start(dash_duo, store, "/labels")
    stats = {s.label: s for s in services_of(app.server).nps.labels(window=30)}
    dash_duo.wait_for_contains_text("#labels-table", "Delivery", timeout=15)
    dash_duo.wait_for_element("#labels-treemap .main-svg", timeout=10)
    # The wall's tiles: one per top-level label with its NPS and share.
    dash_duo.wait_for_contains_text("#panels-labels", "Delivery", timeout=10)
    tile = fresh(
        lambda: next(
            t.text
            for t in dash_duo.find_elements("#panels-labels .fw-tile")
            if t.find_element(By.CSS_SELECTOR, ".fw-tile-name").text == "Delivery"
        )
    )
    assert f"n = {stats['delivery'].volume:,}" in tile
    # The table row of a label shows the engine's figures.
    row = fresh(
        lambda: next(
            r.text
            for r in dash_duo.find_elements("#labels-table tbody tr")
            if r.text.startswith("Delivery ")
        )
    )
    assert f"{stats['delivery'].volume:,}" in row
    # Discovered themes are listed with their examples and a way to make them a label.
    dash_duo.wait_for_contains_text("#labels-themes", "comments", timeout=10)
    # Click through to the comments: the URL carries the label, the list shows its chips.
    fresh(lambda: dash_duo.find_element("#labels-table tbody tr a").click())
    dash_duo.wait_for_element(".fw-feed-item", timeout=15)
    assert "label=delivery" in dash_duo.driver.current_url
    chips = [c.text for c in dash_duo.find_elements(".fw-chip")]
    assert chips
    assert all(c for c in chips)
    assert any("Delivery" in c or "Delivery time" in c for c in chips)
    # The label's drill-down offers its children as the next level.
    dash_duo.wait_for_contains_text("#explore-breakdown", "Delivery time")
    breakdown = dash_duo.find_element("#explore-breakdown").text.lower()
    assert "by label (inside the chosen label)" in breakdown
    # Hostile markup in a comment stays text.
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".fw-feed img") == []
    assert dash_duo.get_logs() == []


def test_lpage002_theme_becomes_a_label(dash_duo: DashComposite, store: str) -> None:
    app = start(dash_duo, store, "/labels")
    scope = dash_duo.find_element("#labels-scope input[value='all']")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", scope)
    dash_duo.driver.execute_script("arguments[0].click()", scope)
    dash_duo.wait_for_contains_text("#labels-themes", "presentkort", timeout=15)

    def make() -> None:
        card = next(
            c for c in dash_duo.find_elements(".fw-theme") if "presentkort" in c.text.lower()
        )
        name = card.find_element(By.CSS_SELECTOR, "input")
        name.clear()
        name.send_keys("Gift cards")
        button = card.find_element(By.CSS_SELECTOR, "button")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
        dash_duo.driver.execute_script("arguments[0].click()", button)

    fresh(make)
    dash_duo.wait_for_contains_text("#labels-message", "Label “Gift cards” (gift-cards) added")
    taxonomy = services_of(app.server).nps.taxonomy()
    assert taxonomy.labels["gift-cards"].keywords["sv"]
    dash_duo.wait_for_contains_text("#labels-themes", "Label gift-cards made from this theme")
    assert dash_duo.get_logs() == []
