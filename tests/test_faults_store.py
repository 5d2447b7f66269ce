"""The store goes away while the app runs: a PostgreSQL of the test's own is stopped and started.

Never the machine's own server: the test runs ``initdb`` in a temporary
directory, starts that instance on a free port and stops only it.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By

from dashapp.access import ingest_tokens as tokens
from dashapp.access import tokens as access_tokens
from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from tests.factories import located, random_records, record
from tests.servers import children, free_port, wait_for

pytestmark = pytest.mark.browser
BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)


class OwnPostgres:
    """A throw-away PostgreSQL instance: initdb, start, stop, start again."""

    def __init__(self) -> None:
        assert BIN is not None, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) needed"
        self.dir = Path(tempfile.mkdtemp(prefix="fw-pg-", dir="/tmp"))
        self.port = free_port()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(BIN / tool), *args], check=True, capture_output=True)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-o",
            opts,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run(
            [
                *self.as_postgres,
                str(BIN / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    pg = OwnPostgres()
    pg.start()
    try:
        yield pg
    finally:
        pg.remove()


def test_fault001_store_down_and_back(dash_br, own_postgres: OwnPostgres) -> None:  # type: ignore[no-untyped-def]
    now = dt.datetime.now(dt.UTC)
    db.upgrade(own_postgres.url)
    sessions = db.make_sessionmaker(db.make_engine(own_postgres.url))
    ingest(sessions, "seed", located(list(random_records(300, end=now, days=20))))
    with sessions.begin() as session:
        token = tokens.issue(session, "shop")
        screen = access_tokens.issue_display(session, "lobby")
    sessions.kw["bind"].dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FEEDBACKWALL_DATABASE_URL": own_postgres.url,
        "FEEDBACKWALL_POLL_INTERVAL": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    auth = {"Authorization": f"Bearer {token}"}
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30)
        # A wall screen with its display link, as it hangs in an office.
        dash_br.driver.get(f"{base}/kiosk?token={screen}&pages=overview&interval=30")
        dash_br.wait_for_element("#panels-heatmap .main-svg", timeout=20)
        big = dash_br.find_element("#panels-nps").text
        own_postgres.stop()
        # The screen keeps the last figures and says they are stale.
        banner = wait_for(
            lambda: dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-stale"), 20
        )
        assert "Data stale since" in banner[0].text
        assert dash_br.find_element("#panels-nps").text == big
        # Nothing offered meanwhile is lost: the push API refuses it so the sender retries.
        down = httpx.post(f"{base}/api/v1/responses", json=record(7001), headers=auth, timeout=30)
        assert down.status_code == 503
        assert "retry" in down.json()["error"] and int(down.headers["Retry-After"]) > 0
        # Someone the gate has never seen: the same answer (one handler), and a person's
        # page that comes back by itself.
        stranger = httpx.get(f"{base}/explore", headers={"Accept": "text/html"}, timeout=30)
        assert stranger.status_code == 503 and int(stranger.headers["Retry-After"]) > 0
        assert 'http-equiv="refresh"' in stranger.text and "<html" in stranger.text
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 503
        own_postgres.start()
        wait_for(lambda: httpx.get(f"{base}/readyz", timeout=30).status_code == 200, 30)
        up = httpx.post(f"{base}/api/v1/responses", json=record(7001), headers=auth, timeout=30)
        assert up.status_code == 200
        assert up.json()["accepted"] == 1
        # The screen recovers by itself, still on its wall (never sent to a login page).
        wait_for(lambda: not dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-stale"), 30)
        assert "/kiosk" in dash_br.driver.current_url
        assert dash_br.find_element("#panels-nps").text
    finally:
        server.terminate()
        server.wait(timeout=15)


def _postgres_processes(pg: OwnPostgres) -> list[int]:
    """The instance's postmaster and every process it started."""
    postmaster = int((pg.dir / "data" / "postmaster.pid").read_text().split()[0])
    return [postmaster, *children(postmaster)]


def _timed(call: Callable[[], httpx.Response]) -> tuple[int, float]:
    started = time.monotonic()
    status = call().status_code
    return status, time.monotonic() - started


def test_fault002_hung_store_reads_like_a_down_one(dash_br, own_postgres: OwnPostgres) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL frozen (SIGSTOP): liveness at once, pushes and readiness 503 within 12 s,
    screens keep their figures with the stale banner; all well again after SIGCONT."""
    now = dt.datetime.now(dt.UTC)
    db.upgrade(own_postgres.url)
    sessions = db.make_sessionmaker(db.make_engine(own_postgres.url))
    ingest(sessions, "seed", located(list(random_records(300, end=now, days=20))))
    with sessions.begin() as session:
        token = tokens.issue(session, "shop")
        screen = access_tokens.issue_display(session, "lobby")
    sessions.kw["bind"].dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": own_postgres.url}
    server = subprocess.Popen(
        [sys.executable, "-m", "dashapp.cli", "run", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    auth = {"Authorization": f"Bearer {token}"}
    frozen: list[int] = []
    try:
        wait_for(lambda: httpx.get(f"{base}/healthz").status_code == 200, 30)
        assert httpx.post(f"{base}/api/v1/responses", json=record(7000), headers=auth).is_success
        dash_br.driver.get(f"{base}/kiosk?token={screen}&pages=overview&interval=30")
        dash_br.wait_for_element("#panels-heatmap .main-svg", timeout=20)
        big = dash_br.find_element("#panels-nps").text
        frozen = _postgres_processes(own_postgres)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        frozen_at = time.monotonic()
        # Liveness never asks the store.
        for _ in range(5):
            status, took = _timed(lambda: httpx.get(f"{base}/healthz", timeout=5))
            assert (status, took < 1.0) == (200, True), took
        # A push hears "retry" within the deadlines (not 60 s, not a 500); so does readiness.
        status, took = _timed(
            lambda: httpx.post(
                f"{base}/api/v1/responses", json=record(7001), headers=auth, timeout=30
            )
        )
        assert status == 503 and took < 12.0, (status, took)
        status, took = _timed(lambda: httpx.get(f"{base}/readyz", timeout=30))
        assert status == 503 and took < 12.0, (status, took)
        for _ in range(5):  # and liveness still at once, while the store hangs
            status, took = _timed(lambda: httpx.get(f"{base}/healthz", timeout=5))
            assert (status, took < 1.0) == (200, True), took
        # The screen keeps the last figures and says they are stale.
        banner = wait_for(
            lambda: dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-stale"), 40
        )
        assert "Data stale since" in banner[0].text
        assert dash_br.find_element("#panels-nps").text == big
        assert time.monotonic() - frozen_at < 60
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
        frozen = []
        wait_for(lambda: httpx.get(f"{base}/readyz", timeout=30).status_code == 200, 30)
        up = httpx.post(f"{base}/api/v1/responses", json=record(7001), headers=auth, timeout=30)
        assert up.status_code == 200 and up.json()["accepted"] == 1
        wait_for(lambda: not dash_br.driver.find_elements(By.CSS_SELECTOR, ".fw-banner-stale"), 30)
        assert "/kiosk" in dash_br.driver.current_url
    finally:
        for pid in frozen:  # never leave the instance stopped: it could not be shut down
            os.kill(pid, signal.SIGCONT)
        server.terminate()
        server.wait(timeout=15)
