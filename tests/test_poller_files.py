"""The poller on a real drop folder: resume from the cursor, back off on failure, recover."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.jobs.scheduler import Poller, backoff_seconds
from dashapp.store import db
from dashapp.store.models import Response, SourceState
from data_sources import build
from tests.factories import record, write_csv

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def _stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def _state(sessions: sessionmaker[Session]) -> SourceState:
    with sessions() as s:
        state = s.get(SourceState, "drop")
        assert state is not None
        return state


def test_poll001_drop_folder_resumes_and_recovers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    poller = Poller(build("files", "drop", {"path": str(folder)}), sessions, interval=60)

    # No folder yet: the failure is recorded and a run inside the backoff is skipped.
    assert poller.run(now=NOW) is not None
    state = _state(sessions)
    assert state.consecutive_failures == 1
    assert "does not exist" in (state.last_error or "")
    assert poller.run(now=NOW + dt.timedelta(seconds=30)) is None
    poller.run(now=NOW + dt.timedelta(seconds=61))
    assert _state(sessions).consecutive_failures == 2
    assert backoff_seconds(2, 60) == 120

    folder.mkdir()
    write_csv(folder / "a.csv", [record(i) for i in range(5)])
    write_csv(folder / "b.csv", [record(i) for i in range(5, 8)])
    report = poller.run(now=NOW + dt.timedelta(seconds=200))
    assert report is not None and report.accepted == 8
    state = _state(sessions)
    assert (state.consecutive_failures, state.last_error) == (0, None)
    assert set(state.cursor["files"]) == {"a.csv", "b.csv"}

    # A new poller object (a restart) reads nothing again; a new file only.
    restarted = Poller(build("files", "drop", {"path": str(folder)}), sessions, interval=60)
    assert restarted.run(now=NOW + dt.timedelta(seconds=300)).accepted == 0
    write_csv(folder / "c.csv", [record(100)])
    assert restarted.run(now=NOW + dt.timedelta(seconds=400)).accepted == 1
    assert _stored(sessions) == 9


def test_poll002_backoff_is_capped_even_after_a_long_outage() -> None:
    assert backoff_seconds(0, 30.0) == 0
    assert backoff_seconds(3, 30.0) == 120
    assert backoff_seconds(10_000, 30.0) == 600


def test_poll003_polled_records_pass_the_same_checks_with_the_settings_bounds(
    store_url: str, tmp_path: Path
) -> None:
    """A scheduled files source: bytes that are not UTF-8, an ESC in a brand and a time past
    FEEDBACKWALL_FUTURE_SKEW_HOURS are rejected; the rest of the file is stored."""
    from dashapp.config import Settings
    from dashapp.jobs.runtime import start_scheduler

    folder = tmp_path / "drop"
    folder.mkdir()
    now = dt.datetime.now(dt.UTC)
    rows = [
        record(1),
        record(2, comment="MARK"),
        record(3, brand="Vel\x1bora"),
        record(4, submitted_at=(now + dt.timedelta(hours=2)).isoformat()),
        record(5, submitted_at=(now + dt.timedelta(minutes=30)).isoformat()),
    ]
    path = write_csv(folder / "a.csv", rows)
    path.write_bytes(path.read_bytes().replace(b"MARK", b"caf\xe9"))
    source = {"name": "drop", "kind": "files", "options": {"path": str(folder)}}
    settings = Settings.load(database_url=store_url, future_skew_hours=1, sources=[source])
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    work = start_scheduler(settings)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as s:
                state = s.get(SourceState, "drop")
                if state is not None and state.accepted_total + state.rejected_total == 5:
                    break
            time.sleep(0.2)
    finally:
        work.stop()
    state = _state(sessions)
    assert (state.accepted_total, state.rejected_total, state.last_error) == (2, 3, None)
    assert _stored(sessions) == 2
