"""Load: wall screens and analysts against gunicorn, PostgreSQL and Redis; and freshness.

Two steps, each bounded and targeting 127.0.0.1 only:

``build`` fills a PostgreSQL schema with ``--rows`` responses over 120 days
(COPY; 40% with a comment from the demo's phrase bank in the country's
language), their rollups (INSERT ... SELECT), and labels every comment with the
shipped labeller, in bulk: once per distinct phrase, joined to the responses
in SQL. It first builds a small store both that way and through ingest and
stops unless their labels, label rollups and rollups are equal.

``run`` starts ``gunicorn app:server -w 4 --threads 12`` (as docs/deploy.md
says; ``--workers``, ``--threads``) on that store with the shared Redis cache, records the
callback requests a real browser makes on the kiosk and explore pages
(headless Chromium), then for ``--minutes``:

- ``--screens`` wall screens, switched on one after another over ``--ramp``
  seconds, each running the kiosk with overview, live feed
  and labels (30 s a page) as the browser does: the page's callbacks once,
  then every 10 s the shown page's panel, the alert check and the heartbeat
  (``GET /api/v1/version``), and each next page's panel 2 s before it shows
  (hidden pages do not poll);
- ``--analysts`` people clicking through explore views (random brand, country,
  label, score order, deep pages) every 2-6 s, now and then asking the API for
  NPS and label figures;
- one response pushed to ``POST /api/v1/responses`` every 5 s, and the time
  until a screen's live-feed callback first returns it (freshness);
- CPU and memory of the gunicorn processes every 5 s.

Every request passes the access gate as in production: screens carry a
display link's cookie, analysts an analyst's API token (the browser that
records the requests opens the display link and signs in through the form).

Then the same load for ``--floor-minutes`` against ``benchmarks/floor_app.py``
(one callback returning a constant) under the same gunicorn settings: the
floor. Results: p50/p95/p99 per request kind, errors, CPU, memory, freshness.

    python -m benchmarks.load_test build --rows 10000000
    python -m benchmarks.load_test run --minutes 10 --floor-minutes 3
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import psutil
from sqlalchemy import func, select
from sqlalchemy import text as text_sql
from sqlalchemy.orm import Session

from benchmarks import offices
from benchmarks.common import drop_schema, fresh_schema, require, save, store_url
from benchmarks.query_speed import BUCKETS, CLASSES, RESPONSE_COLUMNS, bulk_rollups
from dashapp.access import ingest_tokens as tokens
from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.gate import DISPLAY_COOKIE
from dashapp.access.users import Role
from dashapp.ingest.pipeline import Located, ingest
from dashapp.labels import store as label_store
from dashapp.store import db
from dashapp.store.models import LabelRollup, Response, ResponseLabel, Rollup
from layouts.ids import Panels

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCHEMA = "fw_load"
REDIS = "redis://127.0.0.1:6379/14"
SCREEN_POLL = 10.0
SCREEN_ROTATE = 30.0
PAGES = ("overview", "feed", "labels")
#: The panel whose callback each page asks for (its first output).
PANELS = {"overview": "nps", "feed": "feed", "labels": "labels"}
#: How long before a page shows the kiosk asks for its panel (assets/kiosk.js).
PREFETCH = 2.0
#: Seconds past the end of a run that requests still in flight are given, then cancelled.
GRACE = 90.0
#: Seconds over which the screens are switched on, one after another (``--ramp``).
RAMP = 60.0
BRANDS = ("Velora", "Nordhem", "Casa Brio", "Lumen & Co", "Kvist")
COUNTRIES = ("DE", "AT", "CH", "FR", "BE", "NL", "SE", "DK", "NO", "FI", "IT", "ES")
PASSWORD = "load test password"
LABELS = ("delivery", "delivery/time", "packaging", "price", "service", "product", "returns")


def fill(url: str, rows: int, end: dt.datetime) -> dict[str, Any]:
    """Migrate *url* and fill it with *rows* responses (:func:`offices.generate`), their
    rollups and labels; timings.

    Labels are made in bulk: the shipped labeller runs once per distinct
    (comment, language) and SQL joins them to the responses and sums them into
    label rollups (what :func:`check_bulk_equals_ingest` compares with ingest's).
    """
    db.upgrade(url)
    engine = db.make_engine(url)
    started = time.perf_counter()
    naive = end.replace(tzinfo=None)
    phrases: set[tuple[str, str]] = set()
    with engine.begin() as conn:
        cursor = conn.connection.driver_connection.cursor()
        columns = RESPONSE_COLUMNS + ", comment, language"
        with cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:
            for i, at, b, c, t, s, text, lang in offices.generate(rows, end):
                if text is not None and lang is not None:
                    phrases.add((text, lang))
                copy.write_row(
                    (
                        "load",
                        str(i),
                        at.replace(tzinfo=None),
                        b,
                        c,
                        t,
                        s,
                        "{}",
                        "",
                        naive,
                        text,
                        lang,
                    )
                )
        bulk_rollups(conn, "postgresql")
    copied = time.perf_counter() - started
    print(f"{rows:,} responses and rollups in {copied:.0f} s", flush=True)
    sessions = db.make_sessionmaker(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        labelled = _bulk_labels(session, phrases)
    seconds = time.perf_counter() - started
    print(
        f"{labelled:,} comments ({len(phrases):,} distinct) labelled in {seconds:.0f} s", flush=True
    )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        shape = {
            name: conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
            for name in ("rollups", "label_rollups", "response_labels")
        }
    engine.dispose()
    return {
        "end": end.isoformat(),
        "copy_and_rollups_s": round(copied),
        "labelled": labelled,
        "distinct_comments": len(phrases),
        "labelling_s": round(seconds),
        **shape,
    }


def _bulk_labels(session: Session, phrases: set[tuple[str, str]]) -> int:
    """Label every stored comment from its phrase's labels, in SQL; how many comments."""
    worker = label_store.labeller(session)
    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE phrase_labels (comment text, language text,"
        " label text, sentiment smallint) ON COMMIT DROP"
    )
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy("COPY phrase_labels FROM STDIN") as copy:
        for text, lang in sorted(phrases):
            for label, sentiment in worker.label(text, lang):
                copy.write_row((text, lang, label, sentiment))
    conn.exec_driver_sql(
        f"INSERT INTO response_labels ({', '.join(label_store.RESPONSE_LABEL_COLUMNS)})"
        " SELECT r.id, p.label, p.sentiment, r.submitted_at, r.brand, r.country,"
        " r.touchpoint, r.score"
        " FROM responses r JOIN phrase_labels p USING (comment, language)"
    )
    day, hour, _ = BUCKETS["postgresql"]
    for grain, bucket in (("d", day), ("h", hour)):
        # The label "*" counts every commented response; its sentiment columns stay 0.
        conn.exec_driver_sql(
            f"INSERT INTO label_rollups ({', '.join(label_store.LABEL_ROLLUP_COLUMNS)})"
            f" SELECT '{grain}', {bucket}, '{label_store.ALL_COMMENTS}', brand, country,"
            f" touchpoint, {CLASSES}, 0, 0, 0"
            " FROM responses WHERE comment IS NOT NULL GROUP BY 2, 4, 5, 6"
        )
        conn.exec_driver_sql(
            f"INSERT INTO label_rollups ({', '.join(label_store.LABEL_ROLLUP_COLUMNS)})"
            f" SELECT '{grain}', {bucket}, label, brand, country, touchpoint, {CLASSES},"
            " sum(CASE WHEN sentiment = 1 THEN 1 ELSE 0 END),"
            " sum(CASE WHEN sentiment = 0 THEN 1 ELSE 0 END),"
            " sum(CASE WHEN sentiment = -1 THEN 1 ELSE 0 END)"
            " FROM response_labels GROUP BY 2, 3, 4, 5, 6"
        )
    label_store.mark_labelled(session)
    return session.scalar(text_sql("SELECT count(*) FROM responses WHERE comment IS NOT NULL"))


def _label_rows(url: str) -> list[list[tuple[Any, ...]]]:
    """The label rows (by external id, with their copies of the response's fields), label
    rollups and rollups of the store at *url*, sorted."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        copied = [c for c in ResponseLabel.__table__.c if c.name != "response_id"]
        labels = select(Response.external_id, *copied).join(
            Response, Response.id == ResponseLabel.response_id
        )
        found = [
            sorted(tuple(r) for r in conn.execute(query))
            for query in (labels, select(LabelRollup.__table__), select(Rollup.__table__))
        ]
    engine.dispose()
    return found


def records(rows: int, end: dt.datetime) -> Iterator[Located]:
    """The responses :func:`offices.generate` makes, as records for ``ingest``."""
    for i, at, b, c, t, s, text, lang in offices.generate(rows, end):
        record: dict[str, Any] = {
            "id": str(i),
            "submitted_at": at.isoformat().replace("+00:00", "Z"),
            "brand": b,
            "country": c,
            "touchpoint": t,
            "score": str(s),
        }
        if text is not None:
            record |= {"comment": text, "language": lang}
        yield f"row {i}", record


def check_bulk_equals_ingest(base: str, end: dt.datetime, rows: int = 20_000) -> int:
    """The bulk build's labels and rollups equal ingest's for the same *rows*; label rows."""
    bulk, ingested = fresh_schema(base, "fw_load_bulk"), fresh_schema(base, "fw_load_ingest")
    fill(bulk, rows, end)
    db.upgrade(ingested)
    engine = db.make_engine(ingested)
    report = ingest(db.make_sessionmaker(engine), "load", records(rows, end))
    engine.dispose()
    require(report.accepted == rows and not report.rejected, report.summary())
    built, made = _label_rows(bulk), _label_rows(ingested)
    require(built[0], "no labels made")
    for name, one, other in zip(("labels", "label rollups", "rollups"), built, made, strict=True):
        require(one == other, f"bulk-built {name} differ from ingest's")
    drop_schema(base, "fw_load_bulk")
    drop_schema(base, "fw_load_ingest")
    return len(built[0])


def build(args: argparse.Namespace) -> None:
    """Fill the load-test schema (dropped first if it exists), after checking the bulk labels.

    The store ends at the start of this hour, so the wall's windows (which end
    now) see the newest days when the run follows soon after.
    """
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    checked = check_bulk_equals_ingest(args.url, end)
    print(f"bulk labels and rollups equal ingest's ({checked:,} label rows)", flush=True)
    timings = fill(fresh_schema(args.url, args.schema), args.rows, end)
    save("load_store", {"rows": args.rows, **timings})


# --- serving -------------------------------------------------------------------------


def start_gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    workers: int = 4,
    threads: int = 12,
    wait: float = 240,  # a loaded 2-core host boots 4 workers slowly
) -> subprocess.Popen[bytes]:
    """gunicorn with *workers* x *threads* on 127.0.0.1:*port*, ready to serve within *wait* s."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "-w",
            str(workers),
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        env={**os.environ, **env},
        start_new_session=True,
    )
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code < 500:
                return process
        except httpx.HTTPError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit(f"gunicorn {app} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn and its workers."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who the load signs in as: screens with a display link, analysts with a user of their own."""

    display: str
    analyst: str
    api: str

    def screen_headers(self) -> dict[str, str]:
        """A wall screen's request headers: its display cookie."""
        return {"Cookie": f"{DISPLAY_COOKIE}={self.display}"}

    def analyst_headers(self) -> dict[str, str]:
        """An analyst's request headers: an API token acting as the analyst."""
        return {"Authorization": f"Bearer {self.api}"}


def make_credentials(session: Session) -> Credentials:
    """A display link and an analyst (with an API token) for this run."""
    suffix = uuid.uuid4().hex[:8]
    user = users.create(session, f"load-{suffix}", PASSWORD, Role.analyst)
    return Credentials(
        display=access_tokens.issue_display(session, f"load-{suffix}"),
        analyst=user.name,
        api=access_tokens.issue_api(session, user, "load test"),
    )


def _sign_in(driver: Any, base: str, creds: Credentials) -> None:
    from selenium.webdriver.common.by import By

    driver.get(base + "/login")
    driver.find_element(By.ID, "login-name").send_keys(creds.analyst)
    driver.find_element(By.ID, "login-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    time.sleep(2)


def capture(base: str, creds: Credentials) -> dict[str, list[dict[str, Any]]]:
    """The callback requests headless Chromium sends on each kiosk page and on explore.

    The kiosk is opened with its display link, explore after signing in, as
    people do; the requests are replayed with the same kinds of credentials.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1920,1080"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        kiosk = f"/kiosk?token={creds.display}&pages={','.join(PAGES)}"
        # The kiosk for a whole rotation and a little more, so that every page's
        # panel has been asked for (hidden pages ask only just before they show).
        for name, path, seconds in [
            ("kiosk", f"{kiosk}&interval={SCREEN_ROTATE:.0f}", 3 * SCREEN_ROTATE + 5),
            ("explore", "/explore?brand=Velora&country=DE", 8),
        ]:
            if name == "explore":
                driver.delete_all_cookies()
                _sign_in(driver, base, creds)
            driver.get_log("performance")
            driver.get(base + path)
            time.sleep(seconds)
            bodies = []
            for entry in driver.get_log("performance"):
                message = json.loads(entry["message"])["message"]
                request = message.get("params", {}).get("request", {})
                if message[
                    "method"
                ] == "Network.requestWillBeSent" and "_dash-update" in request.get("url", ""):
                    bodies.append(json.loads(request["postData"]))
            found[name] = bodies
    finally:
        driver.quit()
    return found


@dataclass(frozen=True, slots=True)
class KioskRequests:
    """What a kiosk screen asks: on load, then per poll and per page of the rotation."""

    #: On load, before the shown page's panel.
    load: list[dict[str, Any]]
    #: The alert check, asked every poll whatever page shows.
    alert: dict[str, Any]
    #: Each page's panel callback, asked while it shows and just before.
    pages: list[dict[str, Any]]

    @classmethod
    def from_capture(cls, bodies: list[dict[str, Any]]) -> KioskRequests:
        """Sort the requests a browser sent from a kiosk (see :func:`capture`)."""
        by_output: dict[str, dict[str, Any]] = {}
        for body in bodies:
            by_output.setdefault(body["output"], body)
        panels = {name: f"panels-{panel}.children" for name, panel in PANELS.items()}
        pages = [next(b for o, b in by_output.items() if panels[p] in o) for p in PAGES]
        alert = next(b for o, b in by_output.items() if "panels-alert.children" in o)
        # Everything else is asked once, as the page loads (router, heatmap link, ...).
        load = [b for b in by_output.values() if b is not alert and b not in pages]
        return cls(load=[*load, alert], alert=alert, pages=pages)

    def for_wall(self, wall: offices.FilterSet) -> KioskRequests:
        """The same requests as a screen showing *wall* sends them: its filters, its pages."""
        filters = {"brand": wall.brand, "country": wall.country}

        def mend(body: dict[str, Any]) -> dict[str, Any]:
            body = json.loads(json.dumps(body))
            for item in [*body.get("inputs", []), *body.get("state", [])]:
                if item.get("id") == Panels.FILTERS and item.get("property") == "data":
                    item["value"] = dict(filters)
                elif item.get("property") == "search" and isinstance(item.get("value"), str):
                    query = dict(parse_qsl(item["value"].lstrip("?")))
                    query |= {"pages": ",".join(wall.pages), **filters}
                    item["value"] = "?" + urlencode({k: v for k, v in query.items() if v})
            return body

        return KioskRequests(
            load=[mend(b) for b in self.load],
            alert=mend(self.alert),
            pages=[mend(self.pages[PAGES.index(p)]) for p in wall.pages],
        )


# --- load ------------------------------------------------------------------------------

#: The floor callback's ids (benchmarks/floor_app.py): no page shows them; screens ask directly.
FLOOR_OUT, FLOOR_TICK = "floor-out", "floor-tick"
#: Readable names of the views, by the callback's first output (see :func:`view_of`).
VIEWS = {
    "panels-nps": "wall: overview panel",
    "panels-feed": "wall: live feed panel",
    "panels-labels": "wall: labels panel",
    "panels-alert": "wall: alert check",
    "panels-history": "wall: demo history line",
    "explore-summary": "explore: drill-down view",
    FLOOR_OUT: "floor: constant callback (same gate, answer cache, workers)",
}
#: The views the issue's goals are about, and each goal: (p95 ms, p99 ms or None).
GOALS = {
    "explore: drill-down view": (200.0, 500.0),
    "explore: pickers": (200.0, 500.0),
    "wall panels (overview, feed, labels)": (100.0, None),
}
WALL_PANELS = ("wall: overview panel", "wall: live feed panel", "wall: labels panel")


class Recorder:
    """Latencies and errors per view (kind of request), and freshness samples."""

    def __init__(self, steady_after: float) -> None:
        #: Seconds from the start after which every screen has loaded its page.
        self.steady_after = steady_after
        #: (view, when it was sent, seconds) of every request.
        self.timeline: list[tuple[str, float, float]] = []
        self.began = time.monotonic()
        self.errors: dict[str, int] = defaultdict(int)
        #: What each failed request got: its HTTP status, or the client's exception.
        self.failures: Counter[str] = Counter()
        self.pushed: dict[str, float] = {}
        self.seen: dict[str, float] = {}

    async def send(
        self, client: httpx.AsyncClient, kind: str, method: str, path: str, **kw: Any
    ) -> str:
        """Send one request, timing it; its body as text (empty when it failed)."""
        start = time.perf_counter()
        try:
            response = await client.request(method, path, **kw)
            text = response.text
            failure = None if response.status_code in (200, 204) else str(response.status_code)
        except httpx.HTTPError as exc:
            text, failure = "", type(exc).__name__
        took = time.perf_counter() - start
        self.timeline.append((kind, time.monotonic() - took - self.began, took))
        if failure is not None:
            self.errors[kind] += 1
            self.failures[f"{kind}: {failure}"] += 1
        return text

    @staticmethod
    def figures(values: list[float]) -> dict[str, Any]:
        """n, p50, p95, p99 (ms) of *values* in seconds."""

        def pct(q: float) -> float:
            ordered = sorted(values)
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        return {"n": len(values), "p50_ms": pct(0.5), "p95_ms": pct(0.95), "p99_ms": pct(0.99)}

    def by_view(self, since: float = 0.0) -> dict[str, dict[str, Any]]:
        """Figures per view for requests sent after *since* s, and the wall's panels together."""
        seconds: dict[str, list[float]] = defaultdict(list)
        for kind, at, took in self.timeline:
            if at >= since:
                seconds[kind].append(took)
        found = {kind: self.figures(v) for kind, v in sorted(seconds.items())}
        panels = [t for kind in WALL_PANELS for t in seconds.get(kind, [])]
        if panels:
            found["wall panels (overview, feed, labels)"] = self.figures(panels)
        return found

    def summary(self) -> dict[str, Any]:
        """Every view apart (whole run and steady state); pooled figures only as context."""
        views = self.by_view()
        for kind, figures in views.items():
            figures["errors"] = self.errors.get(kind, 0)
        lags = [self.seen[m] - self.pushed[m] for m in self.seen]
        every = [took for _, _, took in self.timeline]
        return {
            "requests": len(every),
            "errors": sum(self.errors.values()),
            "failures": dict(self.failures),
            "views": views,
            # Once every screen has been switched on and loaded, the wall runs as it does all day.
            "steady_after_s": self.steady_after,
            "steady_views": self.by_view(self.steady_after),
            "pooled": self.figures(every),
            "freshness": {
                "pushed": len(self.pushed),
                "seen": len(lags),
                "p50_s": round(statistics.median(lags), 2) if lags else None,
                "p95_s": round(sorted(lags)[int(0.95 * (len(lags) - 1))], 2) if lags else None,
            },
        }


def view_of(body: dict[str, Any]) -> str:
    """The view a callback request belongs to, by its first output."""
    output = body["output"].strip(".").split("...")[0].split("@")[0]
    component = output.split(".")[0]
    if component in VIEWS:
        return VIEWS[component]
    if component.startswith("explore-"):
        return "explore: pickers"
    return "wall: page load (" + output + ")"


async def screen(
    client: httpx.AsyncClient,
    rec: Recorder,
    kiosk: KioskRequests,
    floor: dict[str, Any],
    end: float,
    creds: Credentials,
    switch_on: float,
) -> None:
    """One wall screen, switched on after *switch_on* s, running its kiosk until *end*.

    On load the page's callbacks; then every poll interval the shown page's
    panel, the alert check, the heartbeat and the floor callback; and each
    page's panel ``PREFETCH`` seconds before the rotation shows it, as the
    browser asks. Each starts at a random point of its rotation (screens
    started together would all show the same page at once).
    """
    await asyncio.sleep(switch_on)
    started = time.monotonic()
    page = random.randrange(len(kiosk.pages))
    for body in [*kiosk.load, kiosk.pages[page]]:
        await _ask(client, rec, body, creds)
    next_poll = started + SCREEN_POLL
    next_page = started + random.uniform(0, SCREEN_ROTATE) - PREFETCH
    single = len(kiosk.pages) == 1
    while True:
        at = next_poll if single else min(next_poll, next_page)
        if at >= end:
            return
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        if not single and at == next_page:
            page = (page + 1) % len(kiosk.pages)
            await _ask(client, rec, kiosk.pages[page], creds)
            next_page += SCREEN_ROTATE
            continue
        shown = page if time.monotonic() >= next_page - SCREEN_ROTATE + PREFETCH else page - 1
        await _ask(client, rec, kiosk.pages[shown % len(kiosk.pages)], creds)
        await _ask(client, rec, kiosk.alert, creds)
        await rec.send(
            client, "wall: heartbeat", "GET", "/api/v1/version", headers=creds.screen_headers()
        )
        # The floor, interleaved: the same screen, gate, cache and workers, nothing read.
        await _ask(client, rec, floor, creds)
        next_poll += SCREEN_POLL


async def _ask(
    client: httpx.AsyncClient, rec: Recorder, body: dict[str, Any], creds: Credentials
) -> None:
    """Send one of a screen's callback requests; note any pushed response the feed now shows."""
    text = await rec.send(
        client,
        view_of(body),
        "POST",
        "/_dash-update-component",
        json=body,
        headers=creds.screen_headers(),
    )
    if "panels-feed" in body["output"]:
        for marker in list(rec.pushed):
            if marker not in rec.seen and marker in text:
                rec.seen[marker] = time.monotonic()


def _with_search(body: dict[str, Any], search: str) -> dict[str, Any]:
    request = json.loads(json.dumps(body))
    for item in request.get("inputs", []):
        if item["property"] == "search":
            item["value"] = search
    return request


def deeper(rng: random.Random, search: str) -> str | None:
    """The view one click further down the breakdown (country, then touchpoint); None at the end.

    What the breakdown's links do: the next level's value added to the URL.
    """
    params = dict(parse_qsl(search.lstrip("?")))
    if "country" not in params:
        brand = params["brand"]
        home = list(offices.BRANDS[brand][1])
        params["country"] = rng.choice(home if rng.random() < 0.8 else list(offices.COUNTRIES))
    elif "touchpoint" not in params:
        params["touchpoint"] = rng.choice(list(offices.TOUCHPOINTS))
    else:
        return None
    return "?" + urlencode(params)


async def analyst(
    client: httpx.AsyncClient,
    rec: Recorder,
    explore: list[dict[str, Any]],
    last_day: dt.date,
    end: float,
    seed: int,
    creds: Credentials,
) -> None:
    """One analyst until *end*: opens a drill-down view, clicks down it a level or two.

    Each view is what the browser asks when the URL changes: the pickers
    (filled from the URL) and the view. Between views 2-6 s; now and then an
    API figure. Filters and periods: :func:`offices.drilldown_search`.
    """
    rng = random.Random(seed)
    auth = creds.analyst_headers()
    while time.monotonic() < end:
        search: str | None = offices.drilldown_search(rng, last_day)
        clicks = rng.choice((0, 1, 1, 2))
        while search is not None and clicks >= 0 and time.monotonic() < end:
            for body in explore:
                request = _with_search(body, search)
                await rec.send(
                    client,
                    view_of(request),
                    "POST",
                    "/_dash-update-component",
                    json=request,
                    headers=auth,
                )
            roll = rng.random()
            if roll < 0.1:
                by = rng.choice(("brand", "brand,country", "country,touchpoint"))
                await rec.send(
                    client, "api: GET /api/v1/nps", "GET", f"/api/v1/nps?by={by}", headers=auth
                )
            elif roll < 0.15:
                await rec.send(
                    client,
                    "api: GET /api/v1/labels",
                    "GET",
                    "/api/v1/labels?window=30d",
                    headers=auth,
                )
            await asyncio.sleep(rng.uniform(2, 6))
            search, clicks = deeper(rng, search), clicks - 1


async def pusher(client: httpx.AsyncClient, rec: Recorder, token: str, end: float) -> None:
    """One new response every 5 s, each with a unique comment to look for in the feed."""
    while time.monotonic() < end - 30:
        marker = f"freshness-{uuid.uuid4().hex[:10]}"
        body = {
            "id": marker,
            "submitted_at": dt.datetime.now(dt.UTC).isoformat(),
            "brand": "Velora",
            "country": "DE",
            "touchpoint": "delivery",
            "score": 3,
            "comment": f"Lieferung kam zu spät {marker}",
            "language": "de",
        }
        rec.pushed[marker] = time.monotonic()
        await rec.send(
            client,
            "api: POST /api/v1/responses (push)",
            "POST",
            "/api/v1/responses",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        await asyncio.sleep(5)


class Usage:
    """CPU (% of one core) of groups of processes between two readings."""

    def __init__(self) -> None:
        self.known: dict[int, psutil.Process] = {}

    def cpu(self, procs: list[psutil.Process]) -> float:
        """CPU of *procs* since the last call (a process seen first counts from now)."""
        total = 0.0
        for p in procs:
            try:
                if p.pid in self.known:
                    total += self.known[p.pid].cpu_percent(None)
                else:
                    self.known[p.pid] = p
                    p.cpu_percent(None)
            except psutil.NoSuchProcess:
                self.known.pop(p.pid, None)
        return total


def _named(name: str) -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith(name)]


def _rss(p: psutil.Process) -> int:
    try:
        return int(p.memory_info().rss)
    except psutil.NoSuchProcess:
        return 0


async def sample_usage(root: psutil.Process, samples: list[dict[str, float]], end: float) -> None:
    """Every 5 s: CPU and RSS of gunicorn and its workers, and CPU of everything else measured.

    The generator itself, PostgreSQL and Redis share the machine with the
    server; their shares say where the cores went.
    """
    usage = Usage()
    me = psutil.Process()

    def groups() -> dict[str, list[psutil.Process]]:
        return {
            "cpu_pct": [root, *root.children(recursive=True)],
            "generator_cpu_pct": [me],
            "postgres_cpu_pct": _named("postgres"),
            "redis_cpu_pct": _named("redis-server"),
        }

    for procs in groups().values():
        usage.cpu(procs)
    psutil.cpu_percent(None)
    while time.monotonic() < end:
        await asyncio.sleep(5)
        now = groups()
        sample = {name: usage.cpu(procs) for name, procs in now.items()}
        sample["rss_mib"] = sum(_rss(p) for p in now["cpu_pct"]) / 2**20
        sample["system_cpu_pct"] = psutil.cpu_percent(None)
        samples.append(sample)


async def load(
    base: str,
    kiosk: KioskRequests,
    explore: list[dict[str, Any]],
    floor: dict[str, Any],
    last_day: dt.date,
    args: argparse.Namespace,
    token: str,
    root: psutil.Process,
    creds: Credentials,
) -> tuple[dict[str, Any], list[offices.FilterSet]]:
    """Run the screens, analysts and pusher for ``args.minutes``; their summary and walls."""
    # Screens are switched on one after another over the ramp, as a load generator's
    # spawn rate does; all 200 within the same seconds is a cold start (measured apart).
    rec = Recorder(steady_after=args.ramp + SCREEN_POLL)
    end = time.monotonic() + 60 * args.minutes
    usage: list[dict[str, float]] = []
    walls = offices.assign_screens(args.screens, offices.filter_sets())
    # Idle connections are dropped before gunicorn's 2-s keep-alive closes them: a
    # client reusing one the server is closing gets a ReadError where a browser
    # would quietly retry, and that is not the server failing.
    limits = httpx.Limits(max_connections=args.screens + args.analysts + 10, keepalive_expiry=1.5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        tasks = [
            screen(
                client,
                rec,
                kiosk.for_wall(wall),
                floor,
                end,
                creds,
                args.ramp * i / args.screens,
            )
            for i, wall in enumerate(walls)
        ]
        tasks += [
            analyst(client, rec, explore, last_day, end, seed, creds)
            for seed in range(args.analysts)
        ]
        tasks.append(pusher(client, rec, token, end))
        tasks.append(sample_usage(root, usage, end))
        # Bounded whatever the server does: past the end and a grace for requests in flight,
        # whatever is still waiting is cancelled and the figures recorded so far are kept.
        running = [asyncio.ensure_future(t) for t in tasks]
        _, late = await asyncio.wait(running, timeout=60 * args.minutes + GRACE)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    result = rec.summary()
    result["cancelled_tasks"] = len(late)
    usage = usage or [dict.fromkeys(("cpu_pct", "rss_mib", "system_cpu_pct"), 0.0)]
    for sample in usage:
        for name in ("generator_cpu_pct", "postgres_cpu_pct", "redis_cpu_pct"):
            sample.setdefault(name, 0.0)
    result["cpu_pct_median"] = round(statistics.median(u["cpu_pct"] for u in usage), 1)
    for name in ("generator_cpu_pct", "postgres_cpu_pct", "redis_cpu_pct"):
        result[f"{name}_median"] = round(statistics.median(u[name] for u in usage), 1)
    result["cpu_pct_max"] = round(max(u["cpu_pct"] for u in usage), 1)
    result["system_cpu_pct_median"] = round(
        statistics.median(u["system_cpu_pct"] for u in usage), 1
    )
    result["rss_mib_max"] = round(max(u["rss_mib"] for u in usage))
    return result, walls


def goals(result: dict[str, Any]) -> dict[str, Any]:
    """Each goal of issue #17 part 6 against the steady state's figures: met or not."""
    steady = result["steady_views"]
    found: dict[str, Any] = {}
    for view, (p95, p99) in GOALS.items():
        got = steady.get(view)
        if got is None:
            continue
        met = got["p95_ms"] < p95 and (p99 is None or got["p99_ms"] < p99)
        found[view] = {
            "p95_ms": got["p95_ms"],
            "p99_ms": got["p99_ms"],
            "goal_p95_ms": p95,
            "goal_p99_ms": p99,
            "met": met,
        }
    found["errors"] = {"errors": result["errors"], "met": result["errors"] == 0}
    return found


def run(args: argparse.Namespace) -> None:
    """Serve the load store under the honest load (floor interleaved); save the figures."""
    url = store_url(args.url, args.schema)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:
        token = tokens.issue(session, "load")
        creds = make_credentials(session)
        newest = session.scalar(select(func.max(Response.submitted_at)))
        stored = session.scalar(select(func.count()).select_from(Response))
    engine.dispose()
    require(newest is not None, "the load store is empty: run the build step first")
    assert newest is not None
    import redis

    redis.Redis.from_url(args.redis).flushdb()
    env = {
        "FEEDBACKWALL_DATABASE_URL": url,
        "FEEDBACKWALL_CACHE_URL": args.redis,
        "FEEDBACKWALL_POLL_INTERVAL": str(SCREEN_POLL),
    }
    port = 8790
    base = f"http://127.0.0.1:{port}"
    server = start_gunicorn("benchmarks.floor_app:server", port, env, args.workers, args.threads)
    try:
        payloads = capture(base, creds)
        require(payloads["kiosk"] and payloads["explore"], f"no callbacks seen: {payloads}")
        print({k: [view_of(b) for b in v] for k, v in payloads.items()}, flush=True)
        kiosk = KioskRequests.from_capture(payloads["kiosk"])
        explore = _explore_requests(payloads["explore"])
        floor = floor_callback(base, creds)
        result, walls = asyncio.run(
            load(
                base,
                kiosk,
                explore,
                floor,
                newest.date(),
                args,
                token,
                psutil.Process(server.pid),
                creds,
            )
        )
    finally:
        stop(server)
    result["goals"] = goals(result)
    floor_p95 = result["views"][VIEWS[FLOOR_OUT]]["p95_ms"]
    result["drilldown_p95_vs_floor"] = round(
        result["views"]["explore: drill-down view"]["p95_ms"] / max(0.1, floor_p95), 1
    )
    result["settings"] = {
        "screens": args.screens,
        "walls": len(set(walls)),
        "screens_per_wall": Counter(w.name + " " + "+".join(w.pages) for w in walls).most_common(),
        "analysts": args.analysts,
        "ramp_s": args.ramp,
        "minutes": args.minutes,
        "gunicorn": f"-w {args.workers} --threads {args.threads}",
        "store": f"PostgreSQL schema {args.schema}, {stored:,} responses to {newest:%Y-%m-%d}",
        "cache": args.redis,
    }
    print(json.dumps({k: v for k, v in result.items() if k != "settings"}, indent=2), flush=True)
    save("load_test", result)


def _explore_requests(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The explore page's callbacks that follow its URL (pickers, then the view), once each."""
    by_output: dict[str, dict[str, Any]] = {}
    for body in bodies:
        if any(i.get("property") == "search" for i in body.get("inputs", [])):
            by_output.setdefault(body["output"], body)
    found = sorted(by_output.values(), key=lambda b: view_of(b) == "explore: drill-down view")
    require(
        any(view_of(b) == "explore: drill-down view" for b in found), f"no drill-down: {bodies}"
    )
    return found


def floor_callback(base: str, creds: Credentials) -> dict[str, Any]:
    """The floor callback's request (benchmarks/floor_app.py), as a screen sends it."""
    body = {
        "output": f"{FLOOR_OUT}.children",
        "outputs": {"id": FLOOR_OUT, "property": "children"},
        "inputs": [{"id": FLOOR_TICK, "property": "n_intervals", "value": 1}],
        "changedPropIds": [f"{FLOOR_TICK}.n_intervals"],
    }
    answer = httpx.post(base + "/_dash-update-component", json=body, headers=creds.screen_headers())
    require(answer.status_code == 200 and "constant" in answer.text, f"floor: {answer.text}")
    return body


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="step", required=True)
    b = sub.add_parser("build")
    b.add_argument("--rows", type=int, default=10_000_000)
    r = sub.add_parser("run")
    r.add_argument("--minutes", type=float, default=10)
    r.add_argument("--screens", type=int, default=200)
    r.add_argument("--analysts", type=int, default=20)
    r.add_argument("--ramp", type=float, default=RAMP, help="seconds to switch the screens on")
    r.add_argument("--redis", default=REDIS)
    r.add_argument("--workers", type=int, default=4)
    r.add_argument("--threads", type=int, default=12)
    for p in (b, r):
        p.add_argument("--url", default=PG)
        p.add_argument("--schema", default=SCHEMA)
    args = parser.parse_args()
    build(args) if args.step == "build" else run(args)


if __name__ == "__main__":
    main()
