"""The embedded store's file is locked by another process: reading goes on, writing is refused."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from dash import Dash
from sqlalchemy import func, select

from dashapp import create_app
from dashapp.access import ingest_tokens as tokens
from dashapp.access.users import Role
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.services import services_of
from dashapp.store import db
from dashapp.store.models import Response
from tests.access import api_token
from tests.factories import located, random_records, record

LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another process holds *path*'s write lock for the block."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        yield
    finally:
        assert locker.stdin is not None
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(timeout=10)


def _with_detractors(tmp_path: Path, count: int) -> tuple[Path, Dash]:
    """A store file with *count* detractors from an hour ago, each with its follow-up; an app."""
    path = tmp_path / "wall.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    svc = services_of(app.server)
    at = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    rows = [
        record(i, score=2, submitted_at=at, comment="Never arrived") for i in range(1, count + 1)
    ]
    ingest(svc.sessions, "shop", located(rows), followups=svc.settings.followups)
    return path, app


def test_fault002_locked_sqlite_file(tmp_path: Path) -> None:
    """Another process holds the write lock: the wall reads on, pushes get 503, then all resumes."""
    path = tmp_path / "wall.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple"))
    svc = services_of(app.server)
    ingest(svc.sessions, "seed", located(list(random_records(200, end=dt.datetime.now(dt.UTC)))))
    with svc.sessions.begin() as session:
        push_token = tokens.issue(session, "shop")
    figures = {"Authorization": f"Bearer {api_token(app, Role.analyst)}"}
    push = {"Authorization": f"Bearer {push_token}"}
    client = app.server.test_client()
    before = client.get("/api/v1/nps?window=30d", headers=figures)
    assert before.status_code == 200

    with locked(path):
        started = time.monotonic()
        refused = client.post("/api/v1/responses", json=record(9001), headers=push)
        waited = time.monotonic() - started
        assert refused.status_code == 503
        assert "retry" in refused.json["error"]
        # Readers are not blocked by the writer's lock (WAL): the wall keeps its figures.
        reading = client.get("/api/v1/nps?window=30d", headers=figures)
        assert reading.status_code == 200 and reading.json == before.json
        assert waited < 15, waited  # one busy timeout (10 s), not a hung request
    # The sender retries what was refused: stored once, counted once.
    again = client.post("/api/v1/responses", json=record(9001), headers=push)
    assert again.status_code == 200 and again.json["accepted"] == 1
    assert client.post("/api/v1/responses", json=record(9001), headers=push).json["duplicates"] == 1
    with svc.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 201
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    check.close()
    svc.engine.dispose()


def test_fault003_changes_while_locked_answer_busy_and_change_nothing(tmp_path: Path) -> None:
    """The store's write lock held elsewhere (the demo's history loading, a backup): every
    change — API or page — answers "busy, retry" (503 with Retry-After, or a notice on the
    page), never a 500, and writes nothing; the same change succeeds once the lock is gone."""
    from concurrent.futures import ThreadPoolExecutor

    from dashapp.store.models import FollowupEvent
    from layouts.ids import FollowUps, Shell
    from tests.access import callback_call, client_as

    path, app = _with_detractors(tmp_path, 1)
    svc = services_of(app.server)
    analyst = client_as(app, Role.analyst)
    [followup] = analyst.get("/api/v1/followups").json["followups"]
    act = next(o for o in app.callback_map if f"{FollowUps.MESSAGE}.children" in o)

    def patch() -> Any:
        return analyst.patch(
            f"/api/v1/followups/{followup['id']}",
            json={"note": "called back"},
            headers={"If-Match": '"1"'},
        )

    def annotate() -> Any:
        return analyst.post("/api/v1/annotations", json={"starts_on": "2026-11-03", "text": "x"})

    def note_on_page() -> Any:
        body = callback_call(app, act)
        # A pattern input (the status buttons) is sent as the list of what it matched.
        body["inputs"] = [[] if p["id"].startswith("{") else p for p in body["inputs"]]
        [save] = [p for p in body["inputs"] if p and p["id"] == FollowUps.SAVE_NOTE]
        save["value"] = 1
        body["changedPropIds"] = [f"{FollowUps.SAVE_NOTE}.n_clicks"]
        states = {p["id"]: p for p in body["state"]}
        states[FollowUps.SHOWN]["value"] = {"id": followup["id"], "version": 1}
        states[FollowUps.NOTE]["value"] = "called back"
        return analyst.post("/_dash-update-component", json=body)

    with locked(path):
        with ThreadPoolExecutor(3) as pool:  # each waits one busy timeout; together, one
            *refused, on_page = [
                f.result() for f in [pool.submit(c) for c in (patch, annotate, note_on_page)]
            ]
        for answer in refused:
            assert answer.status_code == 503, answer.text
            assert answer.is_json and "retry" in answer.json["error"]
            assert int(answer.headers["Retry-After"]) > 0
        # The page's callback answers normally, its outputs untouched, and the page's
        # notice says what happened.
        assert on_page.status_code == 200, on_page.text
        update = on_page.json
        assert FollowUps.MESSAGE not in update.get("response", {})
        notice = str(update["sideUpdate"][Shell.NOTICE])
        assert "Nothing was saved" in notice and "Traceback" not in notice
    with svc.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FollowupEvent)) == 1  # opened
    assert patch().status_code == 200
    assert annotate().status_code == 201
    with svc.sessions() as session:
        assert session.scalar(select(func.count()).select_from(FollowupEvent)) == 2
    svc.engine.dispose()


def test_fault004_a_defect_is_a_500_with_its_trace_not_a_busy_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A database error that is not the store's state (here a column the code expects and
    the store lacks, as after a forgotten migration) is a 500 with its stack trace in the
    log: never dressed up as "busy, retry", which would hide it for ever."""
    from tests.access import client_as

    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    analyst = client_as(app, Role.analyst)
    with sqlite3.connect(tmp_path / "wall.db") as raw:
        raw.execute("ALTER TABLE annotations RENAME COLUMN text TO words")
    answer = analyst.post("/api/v1/annotations", json={"starts_on": "2026-11-03", "text": "x"})
    assert answer.status_code == 500 and "Retry-After" not in answer.headers
    assert "words" not in answer.text and "Traceback" not in answer.text  # nothing leaks
    [failed] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert failed.exc_info is not None and "no column named text" in str(failed.exc_info[1])
    services_of(app.server).engine.dispose()


def test_fault005_bulk_assign_says_what_the_busy_store_left(tmp_path: Path) -> None:
    """Bulk assign while the store's lock is held elsewhere: nothing is claimed as done,
    and every follow-up left is named, so the person knows what to do again."""
    from dashapp.access import users
    from dashapp.followups import service
    from tests.access import make_user

    path, app = _with_detractors(tmp_path, 2)
    svc = services_of(app.server)
    make_user(app, Role.analyst, "ana")
    with svc.sessions() as session:
        ana = users.by_name(session, "ana")
        assert ana is not None
    with locked(path):
        moved, problems = service.bulk_assign(
            svc.sessions, svc.settings.followups, [(1, 1), (2, 1)], ana.id, "ana"
        )
    assert (moved, problems) == (0, ["#1, #2: the store is busy; try again"])
    svc.engine.dispose()
