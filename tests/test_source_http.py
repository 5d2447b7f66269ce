"""The HTTP source against a real server on 127.0.0.1, through the real poller into the store.

The server pages by cursor (page index) or by ``since`` (records at or after a
timestamp, oldest first), and can fail, lie, redirect and repeat itself. Every
store test runs on both stores (the ``sessions`` fixture).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.jobs.scheduler import Poller
from dashapp.store.models import Response, SourceState
from data_sources import build
from data_sources.base import SourceError
from data_sources.http import HttpSource
from tests.factories import record
from tests.servers import free_port

TOKEN = "s3cret-token"
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


class FeedbackApi:
    """A paginated API on 127.0.0.1 that wants the bearer token and can misbehave on demand."""

    def __init__(self, pages: list[list[Any]] | None = None) -> None:
        #: Cursor mode: page i answers ``cursor=i`` (no cursor: page 0).
        self.pages: list[list[Any]] = pages or []
        #: Since mode: records served at or after ``since``, oldest first.
        self.timeline: list[dict[str, Any]] = []
        #: (status, Retry-After or None) to answer with, one per request, before serving.
        self.fail_next: list[tuple[int, str | None]] = []
        self.garbage: bytes | None = None
        self.redirect_to: str | None = None
        self.stuck = False  # answer with the cursor we were sent
        self.delay = 0.0
        self.requests: list[dict[str, str]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                api.requests.append(query)
                if api.delay:
                    time.sleep(api.delay)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": "unauthorised: bearer token required"})
                if api.fail_next:
                    status, retry_after = api.fail_next.pop(0)
                    extra = {"Retry-After": retry_after} if retry_after is not None else {}
                    return self._send(status, {"error": "try later"}, extra)
                if api.redirect_to:
                    return self._send(302, {}, {"Location": api.redirect_to})
                if api.garbage is not None:
                    return self._raw(200, api.garbage, "text/html")
                if "since" in query or api.timeline:
                    return self._send(200, {"items": api.since(query)})
                index = int(query.get("cursor", "0"))
                items = api.pages[index] if index < len(api.pages) else []
                following = str(index + 1) if index + 1 < len(api.pages) else None
                if api.stuck:
                    following = str(index)
                return self._send(200, {"items": items, "next_cursor": following})

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                self._raw(status, json.dumps(body).encode(), "application/json", headers)

            def _raw(
                self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/responses"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def since(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """Timeline records at or after ``since`` (inclusive, as many APIs are), oldest first."""
        since = dt.datetime.fromisoformat(query["since"]) if "since" in query else None
        ordered = sorted(
            self.timeline, key=lambda r: (dt.datetime.fromisoformat(r["submitted_at"]), r["id"])
        )
        after = [
            r
            for r in ordered
            if since is None or dt.datetime.fromisoformat(r["submitted_at"]) >= since
        ]
        return after[: int(query.get("limit", "500"))]

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api() -> Iterator[FeedbackApi]:
    """Three pages of four valid records (ids r0..r11)."""
    server = FeedbackApi([[record(i) for i in range(p * 4, p * 4 + 4)] for p in range(3)])
    yield server
    server.close()


def http_source(api: FeedbackApi, **options: Any) -> HttpSource:
    """A source on *api* with the right token and tiny backoff waits."""
    return HttpSource("surveys", url=api.url, token=TOKEN, backoff=0.01, **options)


def count(sessions: sessionmaker[Session]) -> int:
    """Responses in the store."""
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def state(sessions: sessionmaker[Session]) -> SourceState:
    """The surveys source's persisted state."""
    with sessions() as s:
        found = s.get(SourceState, "surveys")
        assert found is not None
        return found


def at(minutes: float) -> str:
    """T0 plus *minutes*, as the API writes timestamps."""
    return (T0 + dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def test_http001_cursor_pages_arrive_once_and_a_restart_resumes(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    report = Poller(http_source(api), sessions, interval=30).run()
    assert report is not None
    assert (report.accepted, report.duplicates) == (12, 0)
    assert count(sessions) == 12
    assert [r.get("cursor") for r in api.requests] == [None, "1", "2"]
    assert all(r["limit"] == "500" for r in api.requests)

    # A restart: a new source built from configuration, a new poller. It asks
    # for the last page again (the API gave no cursor after it) and nothing else.
    api.pages[2].append(record(100))
    api.requests.clear()
    options = {"url": api.url, "token": TOKEN, "backoff": 0.01}
    again = Poller(build("http", "surveys", options), sessions, interval=30).run()
    assert again is not None
    assert (again.accepted, again.duplicates) == (1, 4)
    assert api.requests == [{"cursor": "2", "limit": "500"}]
    assert count(sessions) == 13


def test_http002_repeated_pages_and_a_stuck_cursor(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.pages = [[record(1), record(2), record(3)], [record(3), record(4)], [record(4), record(5)]]
    report = Poller(http_source(api), sessions, interval=30).run()
    assert report is not None
    assert (report.accepted, report.duplicates) == (5, 2)
    assert count(sessions) == 5

    # An API that answers with the cursor it was sent must not make us spin.
    api.stuck = True
    api.requests.clear()
    source = http_source(api)
    batch = source.poll({"cursor": "1", "page": 7})
    assert batch.more is False
    assert batch.cursor == {"cursor": "1", "page": 8}
    assert "returned the cursor it was sent" in batch.notes[0]
    assert Poller(source, sessions, interval=30).run() is not None
    assert len(api.requests) == 2  # the direct poll and one page in the run


def test_http003_since_mode_keeps_the_boundary_and_resumes(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    # Two records share each instant, so page boundaries fall between them.
    api.timeline = [record(i, submitted_at=at(i // 2)) for i in range(10)]
    source = http_source(api, mode="since", page_size=3)
    report = Poller(source, sessions, interval=30).run()
    assert report is not None
    # The API repeats the boundary instant on every page; those ids are not handed on again.
    assert (report.accepted, report.duplicates) == (10, 0)
    assert count(sessions) == 10
    assert [r.get("since") for r in api.requests] == [
        None,
        "2026-11-20T10:01:00Z",
        "2026-11-20T10:02:00Z",
        "2026-11-20T10:03:00Z",
        "2026-11-20T10:04:00Z",
    ]
    saved = state(sessions).cursor
    assert saved is not None
    assert (saved["since"], saved["seen"]) == ("2026-11-20T10:04:00Z", ["r8", "r9"])

    # Restart: the new source asks after the saved mark and reads only what is new.
    api.timeline += [record(10, submitted_at=at(4)), record(11, submitted_at=at(9))]
    api.requests.clear()
    options = {"url": api.url, "token": TOKEN, "mode": "since", "page_size": 5}
    again = Poller(build("http", "surveys", options), sessions, interval=30).run()
    assert again is not None
    assert (again.accepted, again.duplicates) == (2, 0)
    assert api.requests == [{"since": "2026-11-20T10:04:00Z", "limit": "5"}]
    assert count(sessions) == 12


def test_http004_since_mode_stops_when_a_page_cannot_move_the_mark(api: FeedbackApi) -> None:
    api.timeline = [record(i, submitted_at=at(0)) for i in range(4)]  # 4 at one instant
    source = http_source(api, mode="since", page_size=3)
    first = source.poll(None)
    assert (len(first.records), first.more) == (3, True)  # the mark moved: ask again
    second = source.poll(first.cursor)
    # A full page at the mark again: asking once more would return the same page.
    assert (second.records, second.more) == ([], False)
    assert "raise page_size" in second.notes[0]
    assert second.cursor is not None
    assert second.cursor["seen"] == ["r0", "r1", "r2"]


def test_http005_retries_429_and_5xx_then_succeeds(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.fail_next = [(503, None), (429, "0"), (502, None)]
    report = Poller(http_source(api, retries=4), sessions, interval=30).run()
    assert report is not None
    assert report.accepted == 12
    assert len(api.requests) == 3 + 3
    assert state(sessions).consecutive_failures == 0


def test_http006_retry_after_is_honoured_within_the_time_budget(api: FeedbackApi) -> None:
    api.fail_next = [(429, "1")]
    started = time.monotonic()
    assert len(http_source(api).poll(None).records) == 4
    assert time.monotonic() - started >= 1.0  # not the 0.01 s backoff

    # An API asking for an hour gets an answer now; the poller's backoff takes over.
    api.fail_next = [(503, "3600")]
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"HTTP 503, asked to wait 3600 s; gave up after 1"):
        http_source(api, max_elapsed=5).poll(None)
    assert time.monotonic() - started < 1.0


def test_http007_timeouts_are_retried_within_max_elapsed(api: FeedbackApi) -> None:
    api.delay = 0.4
    started = time.monotonic()
    with pytest.raises(SourceError, match=r"ReadTimeout.*gave up after \d attempt"):
        http_source(api, timeout=0.1, retries=50, max_elapsed=1.0).poll(None)
    assert time.monotonic() - started < 2.0
    assert 2 <= len(api.requests) < 50


def test_http008_persistent_failure_backs_off_and_recovery_resets(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.fail_next = [(500, None)] * 6
    poller = Poller(http_source(api, retries=2), sessions, interval=30)
    t0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

    assert poller.run(now=t0) is not None
    failed = state(sessions)
    assert failed.consecutive_failures == 1
    assert "HTTP 500; gave up after 3 attempt(s)" in (failed.last_error or "")
    assert failed.last_error_at == t0
    assert len(api.requests) == 3

    assert poller.run(now=t0 + dt.timedelta(seconds=29)) is None  # inside the 30 s backoff
    assert len(api.requests) == 3  # not even asked
    poller.run(now=t0 + dt.timedelta(seconds=30))
    assert state(sessions).consecutive_failures == 2
    assert poller.run(now=t0 + dt.timedelta(seconds=89)) is None  # now 60 s
    assert count(sessions) == 0

    report = poller.run(now=t0 + dt.timedelta(seconds=90))  # the server is well again
    assert report is not None
    assert report.accepted == 12
    recovered = state(sessions)
    assert (recovered.consecutive_failures, recovered.last_error) == (0, None)
    assert recovered.last_success_at == t0 + dt.timedelta(seconds=90)
    assert count(sessions) == 12


def test_http009_unreachable_server_is_retried_then_reported(
    sessions: sessionmaker[Session],
) -> None:
    url = f"http://127.0.0.1:{free_port()}/responses"
    source = HttpSource("surveys", url=url, token=TOKEN, retries=2, backoff=0.01)
    Poller(source, sessions, interval=30).run()
    error = state(sessions).last_error or ""
    assert error.startswith(f"{url}: ConnectError")
    assert "gave up after 3 attempt(s)" in error
    assert TOKEN not in error


def test_http010_garbage_is_refused_whole(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.garbage = b"<html>maintenance</html>"
    poller = Poller(http_source(api), sessions, interval=30)
    t0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    poller.run(now=t0)
    assert "not JSON (garbage): '<html>maintenance</html>'" in (state(sessions).last_error or "")
    assert len(api.requests) == 1  # garbage is not retried

    api.garbage = b'{"items": {"id": "r1"}}'
    with pytest.raises(SourceError, match=r"no list under 'items' in the answer \(garbage\)"):
        http_source(api).poll(None)
    api.garbage = b'[{"id": "r1"}]'
    with pytest.raises(SourceError, match=r"\(garbage\)"):
        http_source(api).poll(None)
    api.garbage = b'{"items": [], "next_cursor": {"page": 2}}'
    with pytest.raises(SourceError, match=r"'next_cursor' is .* not a cursor \(garbage\)"):
        http_source(api).poll(None)
    assert count(sessions) == 0
    assert state(sessions).cursor is None


def test_http011_bad_items_are_rejected_alone(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.pages = [[record(1), "oops", record(2, score=11)], [42, record(3), None]]
    report = Poller(http_source(api), sessions, interval=30).run()
    assert report is not None
    assert report.accepted == 2
    assert [r.location for r in report.rejected] == [
        "surveys page 1 index 1",
        "surveys page 1 index 2",
        "surveys page 2 index 0",
        "surveys page 2 index 2",
    ]
    assert str(report.rejected[0]) == (
        "surveys page 1 index 1: record='\"oops\"': is not a JSON object"
    )
    assert count(sessions) == 2


def test_http012_token_is_required_and_4xx_fails_at_once(api: FeedbackApi) -> None:
    with pytest.raises(SourceError, match=r"HTTP 401: \{\"error\": \"unauthorised: bearer"):
        HttpSource("surveys", url=api.url, token="wrong", backoff=0.01).poll(None)
    with pytest.raises(SourceError, match="HTTP 401"):
        HttpSource("surveys", url=api.url, backoff=0.01).poll(None)
    assert len(api.requests) == 2  # no retries for 4xx
    api.fail_next = [(404, None)]
    with pytest.raises(SourceError, match="HTTP 404"):
        http_source(api).poll(None)
    assert len(api.requests) == 3


def test_http013_redirects_are_not_followed(api: FeedbackApi) -> None:
    elsewhere = FeedbackApi([[record(1)]])
    try:
        api.redirect_to = elsewhere.url + "?key=hidden"
        with pytest.raises(SourceError, match=r"HTTP 302 redirect to http://127\.0\.0\.1:\d+/resp"):
            http_source(api).poll(None)
        assert elsewhere.requests == []  # the token never went anywhere else
        with pytest.raises(SourceError) as caught:
            http_source(api).poll(None)
        assert "hidden" not in str(caught.value)
    finally:
        elsewhere.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "http://127.0.0.1/", "mode": "pages"}, "option 'mode'"),
        ({"url": "ftp://127.0.0.1/"}, "option 'url'"),
        ({"url": "http:///nohost"}, "option 'url'"),
        ({"url": "http://127.0.0.1/", "page_size": 0}, "option 'page_size'"),
        ({"url": "http://127.0.0.1/", "retries": -1}, "option 'retries'"),
        ({"url": "http://127.0.0.1/", "timeout": 0}, "option 'timeout'"),
        ({"url": "http://127.0.0.1/", "items_key": ""}, "option 'items_key'"),
        ({"url": "http://127.0.0.1/", "token": ""}, "option 'token'"),
        ({"url": "http://127.0.0.1/", "pagesize": 5}, "unexpected keyword argument 'pagesize'"),
    ],
)
def test_http014_options_are_checked_when_built(options: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError, match=message):
        build("http", "surveys", options)


def test_http015_query_string_and_page_size_param(api: FeedbackApi) -> None:
    source = HttpSource(
        "surveys",
        url=api.url + "?region=eu",
        token=TOKEN,
        page_size=2,
        page_size_param="per_page",
    )
    source.poll(None)
    source.close()
    assert api.requests == [{"region": "eu", "per_page": "2"}]
