"""Start the scheduled work of one process: configured pollers and the demo."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import Settings
from dashapp.db import make_engine, make_sessionmaker
from dashapp.ingest import ingest
from dashapp.models import Response
from dashapp.scheduler import Poller, add_poller, build_scheduler
from data_sources.base import build

log = logging.getLogger(__name__)
DEMO_SOURCE = "demo"
DEMO_HISTORY_DAYS = 120


def start_scheduler(settings: Settings, *, demo: bool = False) -> BackgroundScheduler:
    """Build pollers for the configured sources (and the demo), start and return the scheduler.

    With *demo*, a job first seeds an empty store with DEMO_HISTORY_DAYS of
    history and then starts the demo poller; the web app serves meanwhile.
    """
    sessions = make_sessionmaker(make_engine(settings.database_url))
    pollers = [
        Poller(build(s.kind, s.name, s.options), sessions, s.interval)
        for s in settings.sources
        if s.kind != "push"
    ]
    scheduler = build_scheduler(pollers)
    if demo:
        scheduler.add_job(
            _start_demo,
            args=(scheduler, sessions, settings.demo_interval),
            id="demo:seed",
            next_run_time=dt.datetime.now(dt.UTC),
        )
    scheduler.start()
    return scheduler


def _start_demo(
    scheduler: BackgroundScheduler, sessions: sessionmaker[Session], interval: float
) -> None:
    from data_sources.demo import DemoSource, history

    with sessions() as session:
        empty = not session.scalar(select(exists().where(Response.id.is_not(None))))
    if empty:
        log.info("seeding %d days of demo history", DEMO_HISTORY_DAYS)
        report = ingest(sessions, DEMO_SOURCE, history(DEMO_HISTORY_DAYS, dt.datetime.now(dt.UTC)))
        log.info("demo history: %s", report.summary())
    add_poller(scheduler, Poller(DemoSource(DEMO_SOURCE), sessions, interval))
