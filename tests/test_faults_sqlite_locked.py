"""The embedded store's file is locked by another process: reading goes on, writing is refused."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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

    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        started = time.monotonic()
        refused = client.post("/api/v1/responses", json=record(9001), headers=push)
        waited = time.monotonic() - started
        assert refused.status_code == 503
        assert "retry" in refused.json["error"]
        # Readers are not blocked by the writer's lock (WAL): the wall keeps its figures.
        reading = client.get("/api/v1/nps?window=30d", headers=figures)
        assert reading.status_code == 200 and reading.json == before.json
        assert waited < 15, waited  # one busy timeout (10 s), not a hung request
    finally:
        assert locker.stdin is not None
        locker.stdin.write("\n")
        locker.stdin.close()
        locker.wait(timeout=10)
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
