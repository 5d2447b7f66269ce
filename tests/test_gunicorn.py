"""`gunicorn app:server -w 2` with a shared Redis cache: every worker serves, none runs jobs."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import func, select

from dashapp.access import tokens as access_tokens
from dashapp.access import users
from dashapp.access.users import Role
from dashapp.ingest.pipeline import ingest
from dashapp.store import counters as versions
from dashapp.store import db
from dashapp.store.models import SchedulerLease, SourceState
from tests.access import PASSWORD
from tests.factories import located, record
from tests.servers import free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
# Threads as in production (docs/deploy.md): they open Dash's start-up race (plotly/dash#3971).
GUNICORN = [sys.executable, "-m", "gunicorn", "app:server", "-w", "2", "--threads", "4"]
REDIS_URL = os.environ.get("FEEDBACKWALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_guni001_workers_share_cache_and_run_no_jobs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'wall.db'}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    ingest(
        sessions,
        "s",
        located([record(i, score=10, submitted_at="2026-11-20T10:00:00Z") for i in range(20)]),
    )
    with sessions.begin() as session:
        users.create(session, "ana", PASSWORD, Role.analyst)
        token = access_tokens.issue_api(session, users.by_name(session, "ana"), "test")  # type: ignore[arg-type]
    port = free_port()
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": url, "FEEDBACKWALL_CACHE_URL": REDIS_URL}
    proc = subprocess.Popen(
        [*GUNICORN, "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    query = f"{base}/api/v1/nps?window=30d&as_of=2026-11-21T00:00:00Z"
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 60)
        assert httpx.get(query).status_code == 401
        bearer = {"Authorization": f"Bearer {token}"}
        # Every worker serves the page's scripts, also one that never rendered the page.
        page = httpx.get(f"{base}/explore", headers={**bearer, "Accept": "text/html"}).text
        scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
        assert scripts
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(
                    lambda src: httpx.get(base + src, headers={"Connection": "close"}),
                    scripts * 6,
                )
            )
        failed = [(str(a.url), a.text[:150]) for a in answers if a.status_code != 200]
        if failed:
            # What the workers logged says why (a 500 seen once in CI, not reproduced).
            proc.terminate()
            log = proc.communicate(timeout=20)[0]
            raise AssertionError(f"{failed[:3]}\n--- gunicorn ---\n{log[-4000:]}")
        with httpx.Client(headers=bearer) as client:
            for _ in range(40):
                resp = client.get(query, headers={"Connection": "close"})
                assert resp.status_code == 200
                assert resp.json()["rows"][0]["n"] == 20
        # A sign-in made by one worker holds on every other: they share the session key.
        with httpx.Client() as browser:
            form = browser.get(f"{base}/login", headers={"Connection": "close"}).text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf is not None
            signed = browser.post(
                f"{base}/login",
                data={"name": "ana", "password": PASSWORD, "csrf_token": csrf[1], "next": "/"},
                headers={"Connection": "close"},
            )
            assert signed.status_code == 302
            for _ in range(20):
                page = browser.get(
                    f"{base}/explore", headers={"Accept": "text/html", "Connection": "close"}
                )
                assert page.status_code == 200
        # A new response reaches every worker within a second: each reads the data version
        # at most once a second (dashapp/store/counters.py), and it changed.
        ingest(sessions, "s", located([record(99, score=0, submitted_at="2026-11-20T11:00:00Z")]))
        time.sleep(versions.MAX_AGE)
        for _ in range(10):
            answer = httpx.get(query, headers={"Connection": "close", **bearer})
            assert answer.json()["rows"][0]["n"] == 21
        time.sleep(1)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(SchedulerLease)) == 0
            assert (
                s.scalar(
                    select(func.count()).select_from(SourceState).where(SourceState.name == "demo")
                )
                == 0
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
