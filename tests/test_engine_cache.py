"""The NPS engine's cache: one computation per data change, shared by workers through Redis."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from dash import Dash
from sqlalchemy import delete, event, select

from dashapp import cache
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.erasure import erase
from dashapp.ingest.pipeline import ingest
from dashapp.metrics import queries
from dashapp.services import Services, build_services, services_of
from dashapp.store import counters as versions
from dashapp.store.models import Response, StoreMeta
from tests.access import callback_call, client_as, make_user
from tests.factories import located, random_records, record
from tests.servers import free_port, wait_for

REDIS_URL = os.environ.get("FEEDBACKWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
END = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


class StatementCounter:
    def __init__(self, services: Services) -> None:
        self.count = 0
        event.listen(services.engine, "before_cursor_execute", self._hit)

    def _hit(self, *_args: object) -> None:
        self.count += 1


def worker(store_url: str, cache_url: str) -> Services:
    """What one gunicorn worker builds: its own engine and cache client."""
    return build_services(Settings.load(database_url=store_url, cache_url=cache_url))


@pytest.fixture
def redis_url() -> Iterator[str]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # Redis on 127.0.0.1:6379 is part of the test environment: fail, don't skip.
    yield REDIS_URL
    for key in client.scan_iter("fw:*"):
        client.delete(key)


def test_cache001_second_call_reads_at_most_the_version(store_url: str) -> None:
    svc = worker(store_url, "simple")
    ingest(svc.sessions, "s", located(list(random_records(300, end=END))))
    counter = StatementCounter(svc)
    first = svc.nps.nps_by(("brand",), window=30, as_of=END)
    cold = counter.count
    second = svc.nps.nps_by(("brand",), window=30, as_of=END)
    assert second == first
    assert counter.count == cold  # within a second of the last look: not even the version
    svc.versions.forget()
    assert svc.nps.nps_by(("brand",), window=30, as_of=END) == first
    assert counter.count == cold + 1  # the data-version lookup, nothing else


def test_cache002_new_response_changes_the_answer(store_url: str) -> None:
    svc = worker(store_url, "simple")
    ingest(svc.sessions, "s", located([record(1, score=10, submitted_at="2026-11-20T11:00:00Z")]))
    assert svc.nps.total(window=30, as_of=END).n == 1
    ingest(svc.sessions, "s", located([record(2, score=0, submitted_at="2026-11-20T11:30:00Z")]))
    fresh = svc.nps.total(window=30, as_of=END)
    assert (fresh.n, fresh.nps) == (2, 0.0)


def test_cache003_workers_share_redis(store_url: str, redis_url: str) -> None:
    a, b = worker(store_url, redis_url), worker(store_url, redis_url)
    ingest(
        a.sessions, "s", located(list(random_records(300, end=END, seed=uuid.uuid4().int % 1000)))
    )
    expected = a.nps.nps_by(("country",), window=30, as_of=END)
    counter = StatementCounter(b)
    assert b.nps.nps_by(("country",), window=30, as_of=END) == expected
    assert counter.count == 1  # worker b computed nothing: a's result came from Redis
    ingest(
        b.sessions,
        "s",
        located([record(99999, country="FR", score=0, submitted_at="2026-11-20T11:59:00Z")]),
    )
    # Worker a notices another process's change within a second (versions.MAX_AGE).
    time.sleep(versions.MAX_AGE)
    after = {r.group["country"]: r.nps.n for r in a.nps.nps_by(("country",), window=30, as_of=END)}
    before = {r.group["country"]: r.nps.n for r in expected}
    assert after["FR"] == before.get("FR", 0) + 1


def test_cache004_rolling_matches_window_totals(store_url: str) -> None:
    svc = worker(store_url, "simple")
    ingest(svc.sessions, "s", located(list(random_records(1500, end=END, days=60))))
    points = svc.nps.rolling(("brand",), window=7, days=20, as_of=END)
    # The point for day D covers whole UTC days D-6..D, i.e. [D-6 00:00, D+1 00:00): the
    # window (start, end] ending one microsecond before D+1 (factories put rows on midnights).
    for point in points[:: max(1, len(points) // 10)]:
        day_end = dt.datetime.combine(point.day, dt.time(), dt.UTC) + dt.timedelta(days=1)
        [row] = [
            r
            for r in svc.nps.nps_by(
                ("brand",), window=7, as_of=day_end - dt.timedelta(microseconds=1)
            )
            if r.group == point.group
        ]
        assert (row.nps.promoters, row.nps.passives, row.nps.detractors) == (
            point.nps.promoters,
            point.nps.passives,
            point.nps.detractors,
        )


def test_cache005_trailing_sliding_sum_matches_direct_sum() -> None:
    from dashapp.figures.nps_engine import trailing

    day0 = dt.date(2026, 1, 1)
    by_day = {day0 + dt.timedelta(days=i): (i % 3, i % 5, i % 7) for i in range(0, 90, 2)}
    days = [day0 + dt.timedelta(days=i) for i in range(20, 80)]
    for window in (1, 7, 30):
        direct = [
            tuple(
                sum(by_day.get(day - dt.timedelta(days=k), (0, 0, 0))[j] for k in range(window))
                for j in range(3)
            )
            for day in days
        ]
        assert trailing(by_day, days, window) == direct


def _drop_scenario(sessions_factory, end: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    """Velora DE falls from promoters to detractors; Velora FR stays the same."""
    rows = []
    for i in range(160):
        before = end - dt.timedelta(days=10, minutes=i)
        after = end - dt.timedelta(days=2, minutes=i)
        rows.append(
            record(i, country="DE", score=10 if i % 5 else 3, submitted_at=before.isoformat())
        )
        late = f"Paket kam zu spät {i}"
        score = 2 if i % 4 else 9
        rows.append(
            record(
                1000 + i, country="DE", score=score, submitted_at=after.isoformat(), comment=late
            )
        )
        rows.append(
            record(2000 + i, country="FR", score=9 if i % 3 else 5, submitted_at=before.isoformat())
        )
        rows.append(
            record(3000 + i, country="FR", score=9 if i % 3 else 5, submitted_at=after.isoformat())
        )
    ingest(sessions_factory, "s", located(rows))


def test_cache006_significant_drops_only(store_url: str) -> None:
    svc = worker(store_url, "simple")
    _drop_scenario(svc.sessions, END)
    drops = svc.nps.drops(("brand", "country"), window=7, as_of=END)
    assert [d.group for d in drops] == [{"brand": "Velora", "country": "DE"}]
    [drop] = drops
    assert drop.previous.nps is not None and drop.current.nps is not None
    assert drop.previous.nps > 50 > 0 > drop.current.nps
    assert drop.change.significant
    detractors = svc.nps.feed(limit=3, filters=queries.Filters(("Velora",), ("DE",)), max_score=6)
    assert len(detractors) == 3
    assert all(item.score <= 6 for item in detractors)


def test_cache008_versions_read_once_a_second_and_own_changes_at_once(store_url: str) -> None:
    svc, other = worker(store_url, "simple"), worker(store_url, "simple")
    counter = StatementCounter(svc)
    seen = svc.versions.current()
    assert [svc.versions.current() for _ in range(50)] == [seen] * 50
    assert counter.count == 1  # fifty requests, one look at the store
    ingest(svc.sessions, "s", located([record(1)]))
    assert svc.versions.current().data > seen.data  # this process's own write: at once
    mine = svc.versions.current()
    ingest(other.sessions, "s", located([record(2)]))
    deadline = time.monotonic() + versions.MAX_AGE + 0.5
    while svc.versions.current() == mine and time.monotonic() < deadline:
        time.sleep(0.05)
    assert svc.versions.current().data > mine.data  # another process's: within a second


def test_cache009_one_builder_per_version_others_get_the_last_built(store_url: str) -> None:
    """While a new version of a panel is built, other callers get the previous one at once."""
    svc = worker(store_url, "simple")
    builds: list[str] = []
    release = threading.Event()

    def slow(label: str) -> str:
        builds.append(label)
        release.wait(10)
        return label

    assert svc.nps.memo("panel", ("x",), lambda: "first") == "first"
    ingest(svc.sessions, "s", located([record(1)]))  # a new data version
    builder = threading.Thread(target=lambda: svc.nps.memo("panel", ("x",), lambda: slow("new")))
    builder.start()
    while not builds:
        time.sleep(0.01)
    started = time.monotonic()
    assert svc.nps.memo("panel", ("x",), lambda: slow("again")) == "first"
    assert time.monotonic() - started < 1  # did not wait for the builder
    release.set()
    builder.join()
    assert builds == ["new"]  # built once
    assert svc.nps.memo("panel", ("x",), lambda: "unused") == "new"
    # With nothing built before, a caller builds rather than wait with nothing to show.
    other = svc.nps.memo_key("other", svc.nps.data_version(), ("y",)) + ":building"
    assert svc.cache.add(other, 1, timeout=60)  # someone else is building it
    assert svc.nps.memo("other", ("y",), lambda: "built") == "built"


def test_cache012_a_settled_build_stands_for_newer_data_until_it_is_due(store_url: str) -> None:
    """With *settle*, a new data version within the settle time is served the last build;
    after it, or when the last build showed nothing, it is built anew."""
    svc = worker(store_url, "simple")
    assert svc.nps.memo("panel", ("x",), lambda: "first", settle=60) == "first"
    ingest(svc.sessions, "s", located([record(1)]))  # a new data version
    assert svc.nps.memo("panel", ("x",), lambda: "second", settle=60) == "first"
    # Without a settle time the same panel follows every data version.
    assert svc.nps.memo("panel", ("x",), lambda: "second") == "second"
    # Due: the settle time has passed since the last build began.
    assert svc.nps.memo("due", ("x",), lambda: "first", settle=0.3) == "first"
    ingest(svc.sessions, "s", located([record(2)]))
    time.sleep(0.4)
    assert svc.nps.memo("due", ("x",), lambda: "second", settle=0.3) == "second"
    # Its window moved on (the next minute): the build stands for its lineage too.
    first = svc.nps.memo("moving", ("x", 1), lambda: "minute 1", settle=60, lineage=("x",))
    assert first == "minute 1"
    assert svc.nps.memo("moving", ("x", 2), lambda: "2", settle=60, lineage=("x",)) == "minute 1"
    assert svc.nps.memo("moving", ("x", 2), lambda: "minute 2", lineage=("x",)) == "minute 2"
    # A build that showed nothing never stands: the first data shows at the next poll.
    assert svc.nps.memo("empty", ("x",), lambda: "", settle=60, settles=bool) == ""
    ingest(svc.sessions, "s", located([record(3)]))
    assert svc.nps.memo("empty", ("x",), lambda: "data", settle=60, settles=bool) == "data"
    ingest(svc.sessions, "s", located([record(4)]))
    assert svc.nps.memo("empty", ("x",), lambda: "more", settle=60, settles=bool) == "data"


def test_cache013_the_walls_figures_settle_its_feed_follows_every_response(
    store_url: str,
) -> None:
    """A new response within a minute of the figures' build: the feed shows it at the next
    poll, the overview's figures at their next build (a stream of pushes costs one a minute)."""
    from tests.test_access import screen_client

    app, token = _wall(store_url, "simple")
    screen, _ = screen_client(app)
    api = app.server.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    happy = [record(i, score=10, submitted_at=recent) for i in range(20)]
    assert api.post("/api/v1/responses", json=happy, headers=auth).status_code == 200

    def poll(part: str) -> Any:
        output = next(o for o in app.callback_map if f"{part}.children" in o)
        body = callback_call(app, output)
        body["inputs"][0]["value"] = time.time()
        answer = screen.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json["response"][part]["children"]

    assert poll("panels-nps") == "+100"
    late = record(99, score=0, submitted_at=recent, comment="Paket kam nie an, settle-check")
    assert api.post("/api/v1/responses", json=late, headers=auth).status_code == 200
    assert "settle-check" in json.dumps(poll("panels-feed"))
    assert poll("panels-nps") == "+100"  # the figures' build stands for up to a minute
    # The alert page's question (did a cell fall?) too: a drop over 7 days joins within it.
    alert = next(o for o in app.callback_map if "panels-alert.children" in o)
    body = callback_call(app, alert)
    body["inputs"][0]["value"] = 1

    def alerts() -> int:
        answer = screen.post("/_dash-update-component", json=body)
        assert answer.status_code == 200, answer.text
        return int(answer.json["response"]["kiosk-alerts"]["data"])

    assert alerts() == 0
    _drop_scenario(services_of(app.server).sessions, dt.datetime.now(dt.UTC))
    assert alerts() == 0
    # A change to what was shown (here an erasure) never waits for the figures to be due.
    with services_of(app.server).sessions.begin() as session:
        source = session.scalar(select(Response.source).where(Response.external_id == "r0"))
        assert erase(session, source=source, external_id="r0") == 1
    assert poll("panels-nps") != "+100"
    assert alerts() == 1


def test_cache014_dimensions_in_one_read_as_the_responses_have_them(store_url: str) -> None:
    """The brands, countries and touchpoints the pickers offer: each once, sorted, in one
    statement (the pickers and every filtered panel ask after each new data version)."""
    svc = worker(store_url, "simple")
    records = list(random_records(300, end=END, days=30))
    ingest(svc.sessions, "s", located(records))
    counter = StatementCounter(svc)
    with svc.sessions() as session:
        found = queries.dimensions(session)
    assert counter.count == 1
    assert found == {
        name: sorted({str(r[name]) for r in records}, key=lambda v: (v.casefold(), v))
        for name in queries.GROUP_COLUMNS
    }
    # Names in any case, as a reader orders them (code points put "casa" after "Zeta").
    more = [record(900 + i, brand=b) for i, b in enumerate(("casa", "Zeta", "Casa", "Ölund"))]
    ingest(svc.sessions, "s", located(more))
    with svc.sessions() as session:
        brands = queries.dimensions(session)["brand"]
    assert [b for b in brands if b in ("casa", "Zeta", "Casa")] == ["Casa", "casa", "Zeta"]


def test_cache015_a_store_without_the_edit_counter_starts_it(store_url: str) -> None:
    """A backup of an older release restored lacks ``edit_version``: the first edit starts it."""
    svc = worker(store_url, "simple")
    with svc.sessions.begin() as session:
        session.execute(delete(StoreMeta).where(StoreMeta.key == versions.EDITS))
    with svc.sessions.begin() as session:
        assert versions.read(session).edits == 0
        versions.edited(session)
    with svc.sessions() as session:
        first = versions.read(session).edits
    with svc.sessions.begin() as session:
        versions.edited(session)
    with svc.sessions() as session:
        assert first != 0 and versions.read(session).edits == first + 1


def test_cache016_what_changes_shown_data_moves_the_edit_counter(store_url: str) -> None:
    """Annotations and retention end a settle as an erasure does (README: at the next poll);
    a new response does not."""
    from dashapp.ingest.erasure import apply_retention
    from dashapp.metrics import annotations
    from dashapp.metrics.annotations import Mark

    svc = worker(store_url, "simple")

    def edits() -> int:
        with svc.sessions() as session:
            return versions.read(session).edits

    before = edits()
    ingest(svc.sessions, "s", located([record(1, submitted_at="2020-01-01T10:00:00Z")]))
    assert edits() == before  # new responses settle
    day = dt.date(2026, 11, 20)
    mark = annotations.create(svc.sessions, Mark(0, day, day, "Price change"))
    assert edits() == before + 1
    assert annotations.remove(svc.sessions, mark.id)
    assert edits() == before + 2
    with svc.sessions.begin() as session:
        assert apply_retention(session, dt.timedelta(days=365), "delete") == 1
    assert edits() == before + 3


# --- the cache goes away ------------------------------------------------------------


class OwnRedis:
    """A throw-away redis-server on a free port in a temporary directory (never :6379)."""

    def __init__(self, tmp: Path) -> None:
        self.dir, self.port = tmp, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.dir), "--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _answers(self.url), 10)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def keys(self) -> int:
        return len(list(redis.Redis.from_url(self.url).scan_iter("fw:*")))


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _everything_answers(app: Dash, token: str, n: int) -> dict[str, Any]:
    """Sign-in, a screen's poll, a push and readiness all answer (no 500); /readyz's body."""
    from tests.test_access import screen_client, sign_in

    client = app.server.test_client()
    assert sign_in(client, "ana").status_code == 302
    assert sign_in(app.server.test_client(), "ana", "wrong password").status_code == 401
    screen, _ = screen_client(app, f"lobby-{n}")
    feed = next(o for o in app.callback_map if "panels-feed.children" in o)
    body = callback_call(app, feed)
    body["inputs"][0]["value"] = 1
    assert screen.post("/_dash-update-component", json=body).status_code == 200
    push = client.post(
        "/api/v1/responses", json=record(1000 + n), headers={"Authorization": f"Bearer {token}"}
    )
    assert push.status_code == 200, push.text
    ready = app.server.test_client().get("/readyz")
    assert ready.status_code == 200
    return dict(ready.json)


def _wall(
    store_url: str, cache_url: str, *, user: bool = True, **settings: str
) -> tuple[Dash, str]:
    """An app on *store_url* with the cache at *cache_url*, a push token, and the user ana."""
    from dashapp import create_app
    from dashapp.access import ingest_tokens as tokens

    app = create_app(
        Settings.load(database_url=store_url, cache_url=cache_url, config=None, **settings)
    )
    if user:
        make_user(app, Role.analyst, "ana")
    with services_of(app.server).sessions.begin() as session:
        token = tokens.issue(session, "shop")
    return app, token


def test_cache010_unreachable_redis_degrades_to_a_local_cache(
    store_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis configured but nothing listening: everything answers, readiness says degraded
    (why, to admins only), and a warning is logged."""
    app, token = _wall(store_url, f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level(logging.WARNING):
        ready = _everything_answers(app, token, 1)
    assert ready["status"] == "degraded"
    assert ready["cache"]["ok"] is False and "error" not in ready["cache"]
    admin = client_as(app, Role.admin).get("/readyz").json["cache"]
    assert admin["ok"] is False and "Connection" in admin["error"]
    assert any("cache" in r.getMessage().lower() for r in caplog.records)
    services_of(app.server).engine.dispose()
    # Limits still hold meanwhile, counted in this process (not waved through, not a 500).
    unreachable = f"redis://127.0.0.1:{free_port()}/0"
    app, token = _wall(store_url, unreachable, user=False, push_rate_limit="2/minute")
    auth = {"Authorization": f"Bearer {token}"}
    client = app.server.test_client()
    answers = [client.post("/api/v1/responses", json=record(i), headers=auth) for i in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    services_of(app.server).engine.dispose()


def test_cache011_redis_going_away_and_back(
    store_url: str, own_redis: OwnRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Redis of the test's own is stopped mid-run and started again: the wall answers
    throughout, readiness says degraded meanwhile, and Redis is used again once back."""
    monkeypatch.setattr(cache, "RETRY_AFTER", 0.5)
    app, token = _wall(store_url, own_redis.url)
    assert _everything_answers(app, token, 1)["status"] == "ok"
    assert own_redis.keys() > 0  # the shared cache is in use
    own_redis.stop()
    ready = _everything_answers(app, token, 2)
    assert ready["status"] == "degraded" and ready["cache"]["ok"] is False
    own_redis.start()
    time.sleep(1)
    assert own_redis.keys() == 0  # a fresh, empty Redis
    ready = wait_for(lambda: _everything_answers(app, token, 3)["cache"]["ok"], 10)
    assert ready is True
    assert own_redis.keys() > 0
    assert _everything_answers(app, token, 4)["status"] == "ok"
    services_of(app.server).engine.dispose()
