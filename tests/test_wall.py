"""The wall in a real headless Chromium: figures, live feed, hostile comments, kiosk, faults."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import httpx
import pytest
from dash import Dash
from dash.testing.composite import DashComposite
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashapp import create_app
from dashapp.access import tokens as access_tokens
from dashapp.config import Settings
from dashapp.figures.charts import signed
from dashapp.ingest.pipeline import ingest
from dashapp.metrics.params import parse_filters
from dashapp.services import services_of
from dashapp.store import db
from layouts.ids import Compare, Explore, Panels
from tests.factories import located, random_records, record
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.browser
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    return url


def seed(url: str, n: int = 600) -> None:
    sessions = db.make_sessionmaker(db.make_engine(url))
    ingest(
        sessions,
        "seed",
        located(list(random_records(n, end=NOW - dt.timedelta(minutes=5), days=55))),
    )


def start(dash_duo: DashComposite, url: str, path: str = "/") -> Dash:
    """Serve a fresh app on *url*'s store (1 s polls) and open *path* in the browser.

    The browser is signed in the way `make run` signs in a local browser (the
    local demo admin); tests/test_access.py covers signing in and roles.
    """
    settings = Settings.load(database_url=url, cache_url="simple", poll_interval=1)
    app = create_app(settings, local_demo=True)
    dash_duo.start_server(app)
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)
    return app


def test_wall001_overview_matches_engine(dash_duo: DashComposite, store: str) -> None:
    seed(store)
    app = start(dash_duo, store)
    total = services_of(app.server).nps.total(window=30)
    dash_duo.wait_for_text_to_equal("#panels-nps", signed(total.nps), timeout=10)
    detail = dash_duo.find_element("#panels-nps-detail").text
    assert f"n = {total.n:,}" in detail
    assert f"{signed(total.ci_low)} to {signed(total.ci_high)}" in detail
    assert "previous 30 days" in dash_duo.find_element("#panels-change").text
    # The heatmap draws one cell label per brand x country with data.
    dash_duo.wait_for_element("#panels-heatmap .main-svg", timeout=10)
    assert dash_duo.find_element("#shell-updated").text.startswith("updated ")
    # Every chart has its export menu; the files are real.
    links = {a.text + a.get_attribute("href") for a in dash_duo.find_elements("#panels-exports a")}
    assert len(links) == 16
    png = dash_duo.find_element("#panels-exports a").get_attribute("href")
    assert httpx.get(png, timeout=60).content.startswith(b"\x89PNG")
    assert dash_duo.get_logs() == []


def test_wall002_empty_store_is_friendly(dash_duo: DashComposite, store: str) -> None:
    start(dash_duo, store)
    dash_duo.wait_for_text_to_equal("#panels-nps", "–", timeout=10)
    dash_duo.wait_for_contains_text("#panels-nps-detail", "No responses", timeout=10)
    dash_duo.driver.get(dash_duo.server_url + "/feed")
    dash_duo.wait_for_contains_text("#panels-feed", "No comments yet", timeout=10)
    assert dash_duo.get_logs() == []


def test_wall003_new_comment_reaches_the_feed(dash_duo: DashComposite, store: str) -> None:
    seed(store, 100)
    start(dash_duo, store, "/feed")
    dash_duo.wait_for_element(".fw-feed-item", timeout=10)
    sessions = db.make_sessionmaker(db.make_engine(store))
    ingest(
        sessions,
        "live",
        located(
            [
                record(
                    1,
                    comment="Fresh off the press: quick delivery",
                    submitted_at=dt.datetime.now(dt.UTC).isoformat(),
                )
            ]
        ),
    )
    # Polls are 1 s apart: it shows at a next poll, without a reload. The bound leaves room
    # for a loaded CI machine (how fast it shows is a benchmark's business, not a test's).
    dash_duo.wait_for_contains_text("#panels-feed", "Fresh off the press", timeout=8)
    assert dash_duo.get_logs() == []


def test_wall004_hostile_comment_is_shown_as_text(dash_duo: DashComposite, store: str) -> None:
    hostile = (
        '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
        " call +49 170 1234567"
    )
    sessions = db.make_sessionmaker(db.make_engine(store))
    ingest(
        sessions,
        "s",
        located(
            [record(1, comment=hostile, submitted_at=(NOW - dt.timedelta(minutes=1)).isoformat())]
        ),
    )
    start(dash_duo, store, "/feed")
    dash_duo.wait_for_contains_text(
        "#panels-feed", "<script>window.__pwned = 1</script>", timeout=10
    )
    text = dash_duo.find_element(".fw-comment").text
    assert '<img src=x onerror="window.__pwned = 2">' in text
    assert "1234567" not in text  # the phone number is masked before it leaves the server
    assert dash_duo.driver.execute_script("return window.__pwned === undefined")
    assert dash_duo.driver.find_elements(By.CSS_SELECTOR, ".fw-feed img") == []
    assert dash_duo.get_logs() == []


def _visible_page(dash_duo: DashComposite) -> str:
    # One script, so a page re-rendered between lookup and check cannot go stale.
    shown: str = dash_duo.driver.execute_script(
        "for (const name of arguments[0]) {"
        '  const page = document.querySelector(`[data-page="${name}"]`);'
        "  if (page !== null && page.getClientRects().length > 0) return name;"
        "}"
        "return '';",
        ["overview", "feed", "labels", "alert"],
    )
    return shown


def test_kiosk001_rotates_in_order_and_pauses(dash_duo: DashComposite, store: str) -> None:
    seed(store, 200)
    start(dash_duo, store, "/kiosk?pages=feed,labels,overview&interval=5")
    seen = [wait_for(lambda: _visible_page(dash_duo), 10)]
    deadline = time.monotonic() + 20
    while len(seen) < 4 and time.monotonic() < deadline:
        page = _visible_page(dash_duo)
        if page and page != seen[-1]:
            seen.append(page)
        time.sleep(0.2)
    assert seen == ["feed", "labels", "overview", "feed"]
    # Space pauses: the page stays put for longer than the interval.
    dash_duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.SPACE)
    paused_on = _visible_page(dash_duo)
    time.sleep(7)
    assert _visible_page(dash_duo) == paused_on
    assert "fw-paused" in dash_duo.find_element("#kiosk-root").get_attribute("class")
    # An arrow steps on; the position is kept in the URL.
    dash_duo.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)
    wait_for(lambda: _visible_page(dash_duo) != paused_on, 3)
    assert "#page=" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_kiosk002_no_navigation_or_scrollbars(dash_duo: DashComposite, store: str) -> None:
    seed(store, 300)
    for width, height in ((1366, 768), (1920, 1080), (3840, 2160)):
        dash_duo.driver.set_window_size(width, height)
        start(
            dash_duo, store, "/kiosk?pages=overview,feed&interval=30"
        ) if width == 1366 else dash_duo.driver.refresh()
        dash_duo.wait_for_element("#panels-heatmap .main-svg", timeout=10)
        assert dash_duo.driver.find_elements(By.CSS_SELECTOR, "nav, .navbar") == []
        overflow = dash_duo.driver.execute_script(
            "const e = document.documentElement;"
            "return [e.scrollHeight - e.clientHeight, e.scrollWidth - e.clientWidth,"
            " getComputedStyle(document.body).overflow]"
        )
        assert overflow[0] <= 0 and overflow[1] <= 0 and overflow[2] == "hidden", (width, overflow)
    assert dash_duo.get_logs() == []


def test_kiosk003_offline_banner_and_recovery(dash_br, store: str) -> None:  # type: ignore[no-untyped-def]
    seed(store, 200)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": store, "FEEDBACKWALL_POLL_INTERVAL": "1"}
    cmd = [sys.executable, "-m", "dashapp.cli", "run", "--port", str(port), "--no-scheduler"]

    def launch() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30)
        return proc

    with db.make_sessionmaker(db.make_engine(store)).begin() as session:
        screen = access_tokens.issue_display(session, "lobby")
    server = launch()
    try:
        # A screen as it hangs in an office: opened once with its display link.
        dash_br.driver.get(f"{base}/kiosk?token={screen}&pages=overview&interval=30")
        dash_br.wait_for_element("#panels-heatmap .main-svg", timeout=15)
        big = dash_br.find_element("#panels-nps").text
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)
        banner = wait_for(
            lambda: dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-offline"), 10
        )
        assert "Offline since" in banner[0].text
        assert dash_br.find_element("#panels-nps").text == big  # the last data stays up
        server = launch()
        # The restarted server answers again: the banner goes (a new build would reload the
        # screen once, test_kiosk006).
        wait_for(
            lambda: not dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-offline"), 70
        )
        dash_br.wait_for_text_to_equal("#panels-nps", big, timeout=15)
        # Still the wall after the restart and the reload: never a login page.
        assert urlparse(dash_br.driver.current_url).path == "/kiosk"
        assert "token=" not in dash_br.driver.current_url
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def test_kiosk004_significant_drop_inserts_an_alert_page(
    dash_duo: DashComposite, store: str
) -> None:
    from tests.test_engine_cache import _drop_scenario

    _drop_scenario(db.make_sessionmaker(db.make_engine(store)), NOW - dt.timedelta(minutes=1))
    start(dash_duo, store, "/kiosk?pages=overview&interval=5")
    wait_for(lambda: _visible_page(dash_duo) == "alert", 15)
    dash_duo.wait_for_contains_text("#panels-alert", "Velora · DE", timeout=5)
    text = dash_duo.find_element("#panels-alert").text
    assert "→" in text
    assert "Paket kam zu spät" in text
    assert "FR" not in text.split("\n")[0]
    wait_for(lambda: _visible_page(dash_duo) == "overview", 10)
    assert dash_duo.get_logs() == []


def test_wall005_three_clicks_from_a_figure_to_its_comments(
    dash_duo: DashComposite, store: str
) -> None:
    seed(store, 400)
    start(dash_duo, store, "/explore")
    dash_duo.wait_for_contains_text(f"#{Explore.BREAKDOWN}", "BY BRAND", timeout=10)
    dash_duo.find_element(f"#{Explore.BREAKDOWN} a").click()  # 1: a brand
    dash_duo.wait_for_contains_text(f"#{Explore.BREAKDOWN}", "BY COUNTRY", timeout=10)
    brand = dict(parse_qsl(urlparse(dash_duo.driver.current_url).query))["brand"]
    dash_duo.find_element(f"#{Explore.BREAKDOWN} a").click()  # 2: a country
    dash_duo.wait_for_contains_text(f"#{Explore.BREAKDOWN}", "BY TOUCHPOINT", timeout=10)
    dash_duo.find_element(f"#{Explore.BREAKDOWN} a").click()  # 3: a touchpoint
    wait_for(lambda: "touchpoint=" in dash_duo.driver.current_url, 10)
    params = dict(parse_qsl(urlparse(dash_duo.driver.current_url).query))
    assert params["brand"] == brand
    metas = wait_for(
        lambda: [e.text for e in dash_duo.find_elements(f"#{Explore.LIST} .fw-meta")], 10
    )
    expected = f"{brand} · {params['country']} · {params['touchpoint']}"
    assert all(m.startswith(expected) for m in metas)
    # The view is a link: opening it again shows the same list.
    dash_duo.driver.get(dash_duo.driver.current_url)
    wait_for(
        lambda: [e.text for e in dash_duo.find_elements(f"#{Explore.LIST} .fw-meta")] == metas, 10
    )
    assert dash_duo.get_logs() == []


def test_wall006_compare_two_brands(dash_duo: DashComposite, store: str) -> None:
    seed(store, 500)
    start(dash_duo, store, "/compare?by=brand&a=Velora&b=Kvist&window=30")
    dash_duo.wait_for_contains_text(f"#{Compare.RESULT}", "A − B =", timeout=10)
    text = dash_duo.find_element(f"#{Compare.RESULT}").text
    assert "A: VELORA, LAST 30 DAYS" in text
    assert "B: KVIST, LAST 30 DAYS" in text
    assert ("real difference" in text) or ("within noise" in text) or ("too few" in text)
    dash_duo.wait_for_element(f"#{Compare.TRENDS} .main-svg", timeout=10)
    links = [a.get_attribute("href") for a in dash_duo.find_elements(f"#{Compare.EXPORTS} a")]
    assert any("/export/chart/compare.pdf?by=brand&a=Velora&b=Kvist&window=30" in h for h in links)
    assert any("/export/data/compare.xlsx?by=brand&a=Velora&b=Kvist" in h for h in links)
    assert dash_duo.get_logs() == []


def test_kiosk005_only_the_shown_page_asks_and_the_next_is_fetched_before_it_shows(
    dash_duo: DashComposite, store: str
) -> None:
    """A kiosk's hidden pages cost the server nothing; the next one arrives already filled."""
    from flask import request

    seed(store, 200)
    settings = Settings.load(database_url=store, cache_url="simple", poll_interval=1)
    app = create_app(settings, local_demo=True)
    asked: list[tuple[float, str]] = []

    def note() -> None:
        if request.path == "/_dash-update-component":
            output = (request.get_json(silent=True) or {}).get("output", "")
            asked.append((time.monotonic(), output))

    # First of all, before kept answers are served without running later hooks.
    app.server.before_request_funcs.setdefault(None, []).insert(0, note)

    def asks(panel: str) -> list[float]:
        return [at for at, output in asked if f"{panel}.children" in output]

    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/kiosk?pages=overview,feed&interval=8")
    wait_for(lambda: _visible_page(dash_duo) == "overview", 10)
    wait_for(lambda: len(asks("panels-nps")) >= 4, 10)  # the shown page polls every second
    assert asks("panels-feed") == []  # the hidden page has not asked once
    wait_for(lambda: _visible_page(dash_duo) == "feed", 10)
    switched = time.monotonic()
    fetched = asks("panels-feed")
    assert fetched and fetched[0] < switched - 1  # asked for ahead of showing (2 s lead)
    # Looked up and checked in one script: the shown feed re-renders every second, so a
    # element found in one call may be replaced before the next.
    shown = dash_duo.driver.execute_script(
        "const c = document.querySelector('#panels-feed .fw-comment');"
        "return c !== null && c.getClientRects().length > 0;"
    )
    assert shown  # filled the moment it shows
    polls = len(asks("panels-nps"))
    time.sleep(3)
    assert len(asks("panels-nps")) == polls  # the overview, now hidden, stopped asking
    assert len(asks("panels-feed")) >= len(fetched) + 2  # the feed, shown, polls
    assert dash_duo.get_logs() == []


def test_wall007_explore_without_dates_lists_what_its_pickers_show(
    dash_duo: DashComposite, store: str
) -> None:
    """/explore without from/to: the pickers' window drives the list, the summary and the export."""
    rng = random.Random(7)
    recent = [
        record(i, submitted_at=(NOW - dt.timedelta(days=rng.uniform(0.1, 25))).isoformat())
        for i in range(40)
    ]
    older = [
        record(100 + i, submitted_at=(NOW - dt.timedelta(days=rng.uniform(35, 50))).isoformat())
        for i in range(30)
    ]
    ingest(db.make_sessionmaker(db.make_engine(store)), "s", located(recent + older))
    start(dash_duo, store, "/explore")
    dash_duo.wait_for_contains_text(f"#{Explore.SUMMARY}", "n = ", timeout=10)
    pickers = dash_duo.find_elements(".dash-datepicker-input")
    first, last = (e.get_attribute("value") for e in pickers)
    today = NOW.date()
    assert (first, last) == (str(today - dt.timedelta(days=29)), str(today))
    assert "n = 40" in dash_duo.find_element(f"#{Explore.SUMMARY}").text
    cards = wait_for(lambda: dash_duo.find_elements(f"#{Explore.LIST} .fw-feed-item"), 10)
    assert len(cards) == 40
    [csv_link] = [
        a.get_attribute("href")
        for a in dash_duo.find_elements(f"#{Explore.EXPORTS} a")
        if a.text == "CSV"
    ]
    assert dict(parse_qsl(urlparse(csv_link).query)) == {"from": first, "to": last}
    exported = httpx.get(csv_link, timeout=30).text.splitlines()
    assert len(exported) == 1 + 40
    assert dash_duo.get_logs() == []


def test_wall008_unknown_addresses_show_the_sites_not_found_page(
    dash_duo: DashComposite, store: str
) -> None:
    """Typed or navigated to in the page, an unknown address shows the site's 404 page."""
    start(dash_duo, store, "/no/such/page")
    dash_duo.wait_for_contains_text("#_pages_content", "Page not found", timeout=10)
    assert "Back to the overview" in dash_duo.find_element("#_pages_content").text
    assert httpx.get(f"{dash_duo.server_url}/no/such/page").status_code == 404
    dash_duo.find_element("#_pages_content a").click()
    dash_duo.wait_for_element("#panels-nps", timeout=10)
    # Navigating inside the page (no request for the address): the same page.
    dash_duo.driver.execute_script(
        "window.history.pushState({}, '', '/nowhere');"
        "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));"
    )
    dash_duo.wait_for_contains_text("#_pages_content", "Page not found", timeout=10)
    assert "404 - Page not found" not in dash_duo.find_element("#_pages_content").text
    # The browser notes the 404 of the address itself; nothing else went wrong.
    logs = dash_duo.get_logs()
    assert [e["message"].split(" - ")[0] for e in logs] == [f"{dash_duo.server_url}/no/such/page"]


def test_kiosk006_a_screen_reloads_once_when_the_build_changes(
    dash_duo: DashComposite, store: str
) -> None:
    """The server reports a new build (an upgrade): each screen reloads itself, exactly once."""
    from flask import request

    from dashapp.web.build import CONFIG_KEY

    seed(store, 100)
    settings = Settings.load(database_url=store, cache_url="simple", poll_interval=1)
    app = create_app(settings, local_demo=True)
    loads: list[str] = []

    def note() -> None:
        if request.path == "/kiosk":
            loads.append(request.path)

    app.server.before_request_funcs.setdefault(None, []).insert(0, note)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/kiosk?pages=feed&interval=30")
    dash_duo.wait_for_element("#panels-feed .fw-feed-item", timeout=10)
    dash_duo.driver.execute_script("window.fwBefore = 1")
    time.sleep(3)  # three heartbeats with the same build: the screen stays as it is
    assert dash_duo.driver.execute_script("return window.fwBefore") == 1
    app.server.config[CONFIG_KEY] = "9.9.9+upgraded"
    wait_for(lambda: dash_duo.driver.execute_script("return window.fwBefore") is None, 10)
    dash_duo.wait_for_element("#panels-feed .fw-feed-item", timeout=10)
    dash_duo.driver.execute_script("window.fwAfter = 1")
    time.sleep(4)  # the reloaded page carries the new build: no second reload
    assert dash_duo.driver.execute_script("return window.fwAfter") == 1
    assert len(loads) == 2
    assert urlparse(dash_duo.driver.current_url).path == "/kiosk"
    assert dash_duo.get_logs() == []


#: Each chart text's fill (each caption's colour) and the colour behind it: the first
#: ancestor with a background (Plotly's own paper is transparent). Heatmap cell labels sit
#: on their cell's colour instead, checked in tests/test_figures.py.
CHART_TEXT = """
const found = [];
const shown = '.fw-graph svg text, .fw-kiosk-page .fw-label, .fw-detail, .fw-kiosk-updated';
for (const text of document.querySelectorAll(shown)) {
  if (!text.textContent.trim() || text.closest('.heatmap-label')) continue;
  if (!text.getClientRects().length) continue;  // not drawn (a chart the wall leaves out)
  let el = text.closest('.fw-graph') || text, bg = 'rgba(0, 0, 0, 0)';
  while (el && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg)) {
    bg = getComputedStyle(el).backgroundColor; el = el.parentElement;
  }
  const style = getComputedStyle(text);
  const svg = text instanceof SVGElement;
  found.push([text.textContent, svg ? style.fill : style.color, bg,
              svg ? style.fillOpacity : style.opacity]);
}
return found;
"""


def _rgba(css: str) -> tuple[float, ...]:
    parts = [float(p) for p in css[css.index("(") + 1 : -1].replace("/", ",").split(",")]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def contrast(fill: str, background: str, opacity: float = 1.0) -> float:
    """WCAG contrast of *fill* (with its alpha and *opacity*) drawn over *background*."""

    def luminance(rgb: tuple[float, ...]) -> float:
        lin = [c / 255 / 12.92 if c <= 10.31 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    *front, alpha = _rgba(fill)
    back = _rgba(background)[:3]
    alpha *= opacity
    drawn = tuple(alpha * f + (1 - alpha) * b for f, b in zip(front, back, strict=True))
    light, dark = sorted((luminance(drawn), luminance(back)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_kiosk007_chart_text_is_legible_in_either_theme(
    dash_duo: DashComposite, store: str, theme: str
) -> None:
    """Axes, legends and labels of every chart (and the panels' captions) reach 4.5:1
    against what is behind them: on the wall (heatmap and trends) and on the overview
    page, which also has the daily volume (dark: the pages' theme)."""
    seed(store, 600)
    screens = [(f"/kiosk?pages=overview&interval=300&theme={theme}", ("heatmap", "trends"))]
    if theme == "dark":
        screens.append(("/", ("heatmap", "trends", "volume")))
    for path, graphs in screens:
        if path == screens[0][0]:
            start(dash_duo, store, path)
        else:
            dash_duo.driver.get(dash_duo.server_url + path)
        for graph in graphs:
            dash_duo.wait_for_element(f"#panels-{graph} .main-svg .xtick", timeout=15)
        time.sleep(1)  # let the last chart finish drawing its legend
        texts = dash_duo.driver.execute_script(CHART_TEXT)
        assert len(texts) > 20  # ticks and legends of the charts
        poor = [
            (text, fill, bg, round(contrast(fill, bg, float(opacity)), 2))
            for text, fill, bg, opacity in texts
            if contrast(fill, bg, float(opacity)) < 4.5
        ]
        assert poor == [], path
    assert dash_duo.get_logs() == []


def test_kiosk008_filters_in_any_case_and_unknown_ones_said_on_screen(
    dash_duo: DashComposite, store: str
) -> None:
    """/kiosk?brand=velora shows Velora; a brand that does not exist is said on the screen."""
    seed(store, 600)
    app = start(dash_duo, store, "/kiosk?pages=overview&interval=300&brand=velora&country=de")
    engine = services_of(app.server).nps
    velora = engine.total(window=30, filters=parse_filters({"brand": "Velora", "country": "DE"}))
    assert velora.n > 0
    dash_duo.wait_for_text_to_equal("#panels-nps", signed(velora.nps), timeout=10)
    assert f"n = {velora.n:,}" in dash_duo.find_element("#panels-nps-detail").text
    assert not dash_duo.find_element(f"#{Panels.FILTER_NOTE}").text
    dash_duo.driver.get(dash_duo.server_url + "/kiosk?pages=overview&interval=300&brand=Velorra")
    dash_duo.wait_for_contains_text(
        f"#{Panels.FILTER_NOTE}", "No brand 'Velorra' — known: Kvist, Nordhem, Velora", timeout=10
    )
    dash_duo.wait_for_text_to_equal("#panels-nps", "–", timeout=10)
    # The drill-down resolves its filters with the same resolver.
    dash_duo.driver.get(dash_duo.server_url + "/explore?brand=VELORA&country=de")
    dash_duo.wait_for_contains_text(f"#{Explore.SUMMARY}", "n = ", timeout=10)
    metas = wait_for(lambda: dash_duo.find_elements(f"#{Explore.LIST} .fw-meta"), 10)
    assert all(m.text.startswith("Velora · DE") for m in metas), (
        dash_duo.driver.current_url,
        [m.text for m in metas],
    )
    dash_duo.driver.get(dash_duo.server_url + "/explore?brand=Velorra")
    dash_duo.wait_for_contains_text(f"#{Explore.SUMMARY}", "No brand 'Velorra'", timeout=10)
    assert dash_duo.get_logs() == []
