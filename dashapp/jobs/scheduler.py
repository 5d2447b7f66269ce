"""Scheduled work in one process: a poller per source (later: reports, discovery, alerts).

Only ``feedbackwall run`` (one process) and ``feedbackwall scheduler`` start
this; ``gunicorn app:server`` never does, so jobs do not run once per worker.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import FollowupConfig
from dashapp.ingest.pipeline import IngestReport, Retention, ingest
from dashapp.ingest.validation import DEFAULT_BOUNDS, TimeBounds
from dashapp.store.lease import Lease
from dashapp.store.models import SourceState
from dashapp.store.upsert import upsert
from data_sources.base import Source, SourceError

log = logging.getLogger(__name__)

#: Longest wait between attempts while a source keeps failing, in seconds.
MAX_BACKOFF = 600.0
#: Pages one poll may read while catching up, so one source cannot hog the scheduler.
MAX_PAGES_PER_RUN = 50


def backoff_seconds(failures: int, interval: float) -> float:
    """Wait after *failures* consecutive failures: the interval doubled per failure, capped."""
    if failures <= 0:
        return 0.0
    # The exponent is capped: a week-long outage must not overflow a float.
    return min(MAX_BACKOFF, interval * 2 ** min(failures - 1, 32))


def _saving(save: Callable[[Session], None]) -> Callable[[Session, IngestReport], None]:
    """An ingest ``before_commit`` hook that saves the poller's cursor in the same transaction."""

    def hook(session: Session, _report: IngestReport) -> None:
        save(session)

    return hook


@dataclass(slots=True)
class Poller:
    """Polls one source into the store, resuming from its persisted cursor."""

    source: Source
    sessions: sessionmaker[Session]
    interval: float
    #: The configured retention, applied to what the source sends (see Retention).
    retention: Retention | None = None
    #: The settings' submitted_at bounds (:meth:`Settings.time_bounds`).
    bounds: TimeBounds = DEFAULT_BOUNDS
    #: The settings' follow-up rule (``Settings.followups``); None opens none.
    followups: FollowupConfig | None = None

    def run(self, now: dt.datetime | None = None) -> IngestReport | None:
        """One scheduled run; None when skipped for backoff. Never raises for source faults."""
        now = now or dt.datetime.now(dt.UTC)
        with self.sessions() as session:
            state = session.get(SourceState, self.source.name)
            cursor = state.cursor if state else None
            if state is not None and state.last_error_at is not None:
                wait = backoff_seconds(state.consecutive_failures, self.interval)
                if now < state.last_error_at + dt.timedelta(seconds=wait):
                    return None
        total = IngestReport()
        try:
            for _ in range(MAX_PAGES_PER_RUN):
                batch = self.source.poll(cursor)
                save = partial(self._save, cursor=batch.cursor, success=now)
                if batch.records:
                    # One page, one transaction: its rows and the cursor after
                    # them commit together, so a crash can neither skip nor
                    # repeat a record.
                    total.add(
                        ingest(
                            self.sessions,
                            self.source.name,
                            batch.records,
                            batch_size=len(batch.records),
                            retention=self.retention,
                            before_commit=_saving(save),
                            bounds=self.bounds,
                            followups=self.followups,
                        )
                    )
                else:
                    with self.sessions.begin() as session:
                        save(session)
                cursor = batch.cursor
                if not batch.more:
                    break
        except SourceError as exc:
            self._fail(now, str(exc))
        except Exception as exc:  # a poller must survive anything a source does
            log.exception("source %s failed", self.source.name)
            self._fail(now, f"{type(exc).__name__}: {exc}")
        return total

    def _update_state(self, session: Session, **values: Any) -> None:
        # Create the source's row on its first poll, then set what changed.
        upsert(
            session,
            SourceState.__table__,
            [
                {
                    "name": self.source.name,
                    "accepted_total": 0,
                    "rejected_total": 0,
                    "consecutive_failures": 0,
                }
            ],
            keys=("name",),
        )
        session.execute(
            update(SourceState).where(SourceState.name == self.source.name).values(**values)
        )

    def _save(
        self, session: Session, *, cursor: dict[str, Any] | None, success: dt.datetime
    ) -> None:
        self._update_state(
            session,
            cursor=cursor,
            last_poll_at=success,
            last_success_at=success,
            consecutive_failures=0,
            last_error=None,
            last_error_at=None,
        )

    def _fail(self, now: dt.datetime, message: str) -> None:
        log.warning("source %s: %s", self.source.name, message)
        with self.sessions.begin() as session:
            self._update_state(
                session,
                last_poll_at=now,
                last_error_at=now,
                last_error=message[:2000],
                consecutive_failures=SourceState.consecutive_failures + 1,
            )


def add_poller(scheduler: BaseScheduler, poller: Poller, lease: Lease) -> None:
    """Schedule *poller*: one instance at a time, missed runs coalesced, only while leased."""
    scheduler.add_job(
        when_leased(poller.run, lease),
        "interval",
        seconds=poller.interval,
        id=f"poll:{poller.source.name}",
        name=f"poll {poller.source.name}",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(poller.interval)),
        next_run_time=dt.datetime.now(dt.UTC),
        replace_existing=True,
    )


def when_leased(job: Callable[[], object], lease: Lease) -> Callable[[], None]:
    """*job*, run only while this process holds the scheduler lease."""

    def run() -> None:
        if lease.held():
            job()

    return run


def build_scheduler(pollers: list[Poller], lease: Lease) -> BackgroundScheduler:
    """A scheduler (not yet started) running *pollers* in UTC while *lease* is held."""
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    scheduler.add_job(
        _renew,
        "interval",
        args=(lease,),
        seconds=lease.ttl.total_seconds() / 3,
        id="lease",
        max_instances=1,
        coalesce=True,
    )
    for poller in pollers:
        add_poller(scheduler, poller, lease)
    return scheduler


def _renew(lease: Lease) -> None:
    try:
        lease.renew()
    except Exception:  # the store is down: jobs pause until the lease is back
        log.exception("could not renew the scheduler lease")
