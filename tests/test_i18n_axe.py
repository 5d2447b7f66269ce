"""axe-core on every page, both themes, both languages (#18 item 5): no serious or critical
violation.

axe-core is the npm package's ``axe.min.js``, vendored under tests/vendor (pinned 4.11.0,
MPL-2.0, its licence beside it): tests must not download anything when they run, and
vendoring needs neither node nor npm on CI. It is injected into each page by Selenium.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest
from dash.testing.composite import DashComposite

from dashapp import create_app
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from tests.factories import located, random_records

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe-core-4.11.0" / "axe.min.js"
#: Every page a person opens, and the wall's light theme (the other pages are dark only).
PAGES = [
    "/",
    "/feed",
    "/labels",
    "/explore",
    "/compare",
    "/admin",
    "/followups",
    "/followups?id=1",  # one shown: its history and the analyst's buttons
    "/kiosk?pages=overview,feed,labels",
    "/kiosk?pages=followups",
    "/kiosk?pages=overview,feed,labels&theme=light",
    "/no-such-page",
    "/login",
    "/subscriptions",
    "/unsubscribe?t=not-a-token",
]
#: Flask's pages (no Dash content to wait for).
FLASK_PAGES = ("/login", "/subscriptions", "/unsubscribe?t=not-a-token")
SERIOUS = ("serious", "critical")


def _violations(dash_duo: DashComposite) -> list[dict[str, object]]:
    driver = dash_duo.driver
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations)))"
        ".catch(e => done(JSON.stringify([{id: 'axe-error', impact: 'critical',"
        " help: String(e), nodes: []}])));"
    )
    return [v for v in json.loads(found) if v.get("impact") in SERIOUS]


def test_i18n020_axe_every_page_both_languages(dash_duo: DashComposite, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'axe.db'}"
    db.upgrade(url)
    end = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    settings = Settings.load(database_url=url, cache_url="simple", poll_interval=2)
    ingest(
        db.make_sessionmaker(db.make_engine(url)),
        "seed",
        located(list(random_records(400, end=end, days=40))),
        followups=settings.followups,
    )
    dash_duo.start_server(create_app(settings, local_demo=True))
    problems = []
    for lang in ("en", "de"):
        for page in PAGES:
            joiner = "&" if "?" in page else "?"
            dash_duo.driver.get(f"{dash_duo.server_url}{page}{joiner}lang={lang}")
            dash_duo.wait_for_element(f"html[lang='{lang}']", timeout=10)
            if page not in FLASK_PAGES:
                # Panels filled (or said empty) before the check: axe reads what is shown.
                dash_duo.wait_for_element("#_pages_content > *", timeout=10)
                time.sleep(2)
            for v in _violations(dash_duo):
                nodes = [n.get("target") for n in v.get("nodes", [])][:3]  # type: ignore[attr-defined]
                problems.append(f"{lang} {page}: {v['id']} ({v['impact']}) {v['help']} {nodes}")
    assert problems == [], "\n".join(problems)
