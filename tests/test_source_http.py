"""The HTTP source against a real server on 127.0.0.1, through the poller into the store."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.models import Response, SourceState
from dashapp.scheduler import Poller
from data_sources import build
from data_sources.base import SourceError
from data_sources.http import HttpSource
from tests.factories import record

TOKEN = "s3cret-token"


class FeedbackApi:
    """A paginated API: pages of records by cursor, able to fail, lie and redirect."""

    def __init__(self, pages: list[list[Any]]) -> None:
        self.pages = pages
        self.fail_next: list[int] = []  # statuses to answer with before serving again
        self.garbage = False
        self.redirect = False
        self.requests: list[dict[str, list[str]]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                api.requests.append(query)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"error": "unauthorised"})
                if api.fail_next:
                    status = api.fail_next.pop(0)
                    return self._send(status, {"error": "try later"}, {"Retry-After": "0"})
                if api.redirect:
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.end_headers()
                    return None
                if api.garbage:
                    body = b"<html>maintenance</html>"
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return None
                index = int(query.get("cursor", ["0"])[0])
                items = api.pages[index] if index < len(api.pages) else []
                following = str(index + 1) if index + 1 < len(api.pages) else None
                return self._send(200, {"items": items, "next_cursor": following})

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/responses"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def api() -> Iterator[FeedbackApi]:
    server = FeedbackApi([[record(i) for i in range(p * 4, p * 4 + 4)] for p in range(3)])
    yield server
    server.server.shutdown()


def http_source(api: FeedbackApi, **options: Any) -> HttpSource:
    return HttpSource("surveys", url=api.url, token=TOKEN, backoff=0.01, **options)


def count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def state(sessions: sessionmaker[Session]) -> SourceState:
    with sessions() as s:
        found = s.get(SourceState, "surveys")
        assert found is not None
        return found


def test_http001_pages_through_and_resumes(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    report = Poller(http_source(api), sessions, interval=30).run()
    assert report is not None
    assert report.accepted == 12
    assert count(sessions) == 12
    # A restart (new source and poller) asks after the saved cursor and stores nothing twice.
    api.pages[2].append(record(100))
    asked_before = len(api.requests)
    again = Poller(http_source(api), sessions, interval=30).run()
    assert again is not None
    assert (again.accepted, again.duplicates) == (1, 4)
    assert api.requests[asked_before]["cursor"] == ["2"]
    assert count(sessions) == 13


def test_http002_retries_then_succeeds(sessions: sessionmaker[Session], api: FeedbackApi) -> None:
    api.fail_next = [503, 429, 502]
    report = Poller(http_source(api, retries=4), sessions, interval=30).run()
    assert report is not None
    assert report.accepted == 12
    assert state(sessions).consecutive_failures == 0


def test_http003_persistent_failure_backs_off(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.fail_next = [500] * 10
    poller = Poller(http_source(api, retries=2), sessions, interval=30)
    poller.run()
    assert state(sessions).consecutive_failures == 1
    assert "HTTP 500 after 3 attempts" in (state(sessions).last_error or "")
    asked = len(api.requests)
    assert poller.run() is None  # inside the backoff: not even asked
    assert len(api.requests) == asked
    assert count(sessions) == 0


def test_http004_garbage_redirects_and_auth(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.garbage = True
    with pytest.raises(SourceError, match="not JSON"):
        http_source(api).poll(None)
    api.garbage, api.redirect = False, True
    with pytest.raises(SourceError, match="redirect"):
        http_source(api).poll(None)
    api.redirect = False
    with pytest.raises(SourceError, match="HTTP 401"):
        HttpSource("surveys", url=api.url, token="wrong").poll(None)


def test_http005_bad_items_are_rejected_not_fatal(
    sessions: sessionmaker[Session], api: FeedbackApi
) -> None:
    api.pages = [[record(1), "oops", record(2, score=11), 42, record(3)]]
    report = Poller(http_source(api), sessions, interval=30).run()
    assert report is not None
    assert report.accepted == 2
    assert [r.location for r in report.rejected] == [
        "surveys page 1 index 1",
        "surveys page 1 index 2",
        "surveys page 1 index 3",
    ]


def test_http006_options_are_checked() -> None:
    with pytest.raises(SourceError, match="'mode'"):
        build("http", "x", {"url": "http://127.0.0.1/", "mode": "pages"})
    with pytest.raises(SourceError, match="'url'"):
        build("http", "x", {"url": "ftp://127.0.0.1/"})
