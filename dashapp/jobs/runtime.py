"""Start the work of one process: configured pollers, the demo, and what its web server bound."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from flask_caching.backends import NullCache
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import FollowupConfig, Settings, TranslationConfig
from dashapp.figures.nps_engine import NpsEngine
from dashapp.i18n import days as local_days
from dashapp.i18n.core import LANGUAGES
from dashapp.ingest import rollups
from dashapp.ingest.erasure import apply_retention
from dashapp.ingest.pipeline import Retention
from dashapp.ingest.validation import TimeBounds
from dashapp.jobs import demo_seed
from dashapp.jobs.alerts import Deliverer, delivery_rules, rules_in_force, scan, scan_drops
from dashapp.jobs.scheduler import Poller, add_poller, build_scheduler, when_leased
from dashapp.labels import store as label_store
from dashapp.labels.discovered import run_discovery
from dashapp.masking import Masker
from dashapp.store.db import make_engine, make_sessionmaker
from dashapp.store.lease import Lease
from dashapp.translation.client import LibreTranslate
from dashapp.translation.job import translate_recent
from data_sources.base import build

log = logging.getLogger(__name__)
DEMO_SOURCE = "demo"
DEMO_HISTORY_DAYS = 120
#: Seconds between alert scans and between delivery rounds.
ALERT_INTERVAL = 5.0
#: Seconds between checks for significant drops (they move slowly).
DROP_INTERVAL = 60.0
#: Relabelling after a taxonomy change: a slice of work every few seconds, so
#: writers (ingest) never wait long for the store.
RELABEL_INTERVAL = 5.0
RELABEL_SLICE = 3.0
#: Seconds between theme discovery runs, and between retention runs.
DISCOVERY_INTERVAL = 3600.0
RETENTION_INTERVAL = 3600.0
#: Seconds between checks that the store keeps the display zone's days (at once on start,
#: then for a process that takes over the lease from one configured otherwise).
LOCAL_DAYS_INTERVAL = 600.0


@dataclass(slots=True)
class ScheduledWork:
    """A started scheduler and the lease it runs under."""

    scheduler: BackgroundScheduler
    lease: Lease
    #: Set on stop: long jobs (the demo history's backfill) end part-way.
    stopping: threading.Event = field(default_factory=threading.Event)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def unless_stopping(self, add: Callable[[], object]) -> None:
        """Run *add* (a job adding a job) unless stopping has begun.

        APScheduler's shutdown holds the job store's lock while it waits for
        running jobs: a job adding a job then would wait for ever, and so would
        the shutdown. The guard makes the two never overlap.
        """
        with self._guard:
            if not self.stopping.is_set():
                add()

    def stop(self) -> None:
        """Stop the jobs and hand the lease to whoever waits for it."""
        with self._guard:
            self.stopping.set()
        self.scheduler.shutdown(wait=True)
        try:
            self.lease.release()
        except Exception:  # the store is gone; the lease will simply expire
            log.warning("could not release the scheduler lease", exc_info=True)


def start_scheduler(settings: Settings, *, demo: bool = False) -> ScheduledWork:
    """Build pollers for the configured sources (and the demo), start and return the scheduler.

    Jobs run only while this process holds the store's scheduler lease, so
    several such processes (even on several hosts) never run a job twice.
    With *demo*, a job seeds an empty store with DEMO_HISTORY_DAYS of history,
    the newest day first, starts the demo poller, then backfills the rest
    (:mod:`dashapp.jobs.demo_seed`); the web app serves meanwhile.
    """
    sessions = make_sessionmaker(make_engine(settings.database_url))
    lease = Lease(sessions)
    leased = lease.renew()
    if not leased:
        log.info("another process holds the scheduler lease; this one stands by")
    scheduler = build_scheduler(pollers(settings, sessions), lease)
    work = ScheduledWork(scheduler, lease)
    # Rules come from the configuration and from /admin: asked again every round, so a
    # rule made, paused or deleted there takes effect without a restart.
    rules = partial(rules_in_force, sessions, settings.alerts)
    deliverer = Deliverer(
        sessions,
        # Follow-up changes go out through the same outbox (rule followup.updated).
        partial(rules_in_force, sessions, delivery_rules(settings)),
        settings.mail_server(),
        mask=Masker(tuple(settings.mask_words), tuple(settings.mask_patterns)),
        base_url=settings.public_url,
    )
    # Drops are rare and cheap to recompute; no cache to keep coherent.
    engine = NpsEngine(
        sessions,
        NullCache(),
        min_n=settings.min_n,
        zone=settings.timezone,
    )
    jobs = {
        "alerts:scan": (
            lambda: scan(
                sessions,
                rules,
                dt.datetime.now(dt.UTC),
                dt.timedelta(hours=settings.alert_horizon_hours),
            ),
            ALERT_INTERVAL,
        ),
        "alerts:drops": (
            lambda: scan_drops(engine, rules, dt.datetime.now(dt.UTC)),
            DROP_INTERVAL,
        ),
        "alerts:deliver": (deliverer.deliver, ALERT_INTERVAL),
    }
    for job_id, (job, seconds) in jobs.items():
        _every(scheduler, lease, job_id, job, seconds)
    _every(
        scheduler,
        lease,
        "store:local-days",
        partial(keep_local_days, sessions, settings.timezone),
        LOCAL_DAYS_INTERVAL,
        first=dt.datetime.now(dt.UTC),
    )
    if settings.report is not None:
        hour, minute = (int(part) for part in settings.report.time.split(":"))
        scheduler.add_job(
            when_leased(partial(_send_report, settings), lease),
            "cron",
            hour=hour,
            minute=minute,
            timezone=settings.report.timezone,
            id="report:daily",
            name="daily report",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
    hour, minute = (int(part) for part in settings.subscriptions_time.split(":"))
    scheduler.add_job(
        when_leased(partial(_send_subscriptions, settings), lease),
        "cron",
        hour=hour,
        minute=minute,
        timezone=settings.subscriptions_timezone,
        id="report:subscriptions",
        name="subscribed reports",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    _every(
        scheduler,
        lease,
        "labels:relabel",
        partial(relabel_for, sessions, RELABEL_SLICE),
        RELABEL_INTERVAL,
        first=soon,
    )
    # Discovery also runs soon after start, so a fresh wall has themes.
    _every(
        scheduler,
        lease,
        "labels:discover",
        partial(discover_themes, sessions, settings.discovery_backend),
        DISCOVERY_INTERVAL,
        first=soon,
    )
    if settings.translation is not None:
        _every(
            scheduler,
            lease,
            "translation:comments",
            partial(_translate, sessions, settings.translation),
            settings.translation.interval_seconds,
            first=soon,
        )
    if settings.retention_days is not None:
        _every(
            scheduler,
            lease,
            "privacy:retention",
            partial(retain, sessions, settings.retention_days, settings.retention_mode),
            RETENTION_INTERVAL,
            first=soon,
        )
    if demo and leased:
        # Before anything serves: a wall opened at once already says the history is loading.
        with sessions.begin() as session:
            demo_seed.begin(session, dt.datetime.now(dt.UTC), DEMO_HISTORY_DAYS)
    if demo:
        scheduler.add_job(
            when_leased(
                partial(
                    _start_demo,
                    work,
                    sessions,
                    settings.database_url,
                    settings.demo_interval,
                    settings.time_bounds(),
                    Retention.of(settings),
                    settings.followups,
                ),
                lease,
            ),
            id="demo:seed",
            name="seed demo history",
            next_run_time=dt.datetime.now(dt.UTC),
        )
    scheduler.start()
    return work


def pollers(settings: Settings, sessions: sessionmaker[Session]) -> list[Poller]:
    """A poller for each configured source that is polled (push sources are not)."""
    retention, bounds = Retention.of(settings), settings.time_bounds()
    return [
        Poller(
            build(s.kind, s.name, s.options),
            sessions,
            s.interval,
            retention,
            bounds,
            settings.followups,
        )
        for s in settings.sources
        if s.kind != "push"
    ]


def _every(
    scheduler: BackgroundScheduler,
    lease: Lease,
    job_id: str,
    job: Callable[[], object],
    seconds: float,
    *,
    first: dt.datetime | None = None,
) -> None:
    """Run *job* every *seconds* while this process holds the lease, never two at once."""
    scheduler.add_job(
        when_leased(job, lease),
        "interval",
        seconds=seconds,
        id=job_id,
        name=job_id,
        max_instances=1,
        coalesce=True,
        **({"next_run_time": first} if first else {}),
    )


def keep_local_days(sessions: sessionmaker[Session], zone: str) -> bool:
    """Have the store keep the local days of the display *zone*; whether it had to rebuild."""
    with sessions() as session:
        if rollups.kept(session, zone):
            return False
    started = time.monotonic()
    with sessions.begin() as session:
        changed = rollups.keep_zone(session, zone)
    if changed:
        log.info("rollups: local days of %s rebuilt in %.1f s", zone, time.monotonic() - started)
    return changed


def _translate(sessions: sessionmaker[Session], config: TranslationConfig) -> int:
    """One run of the translation job with the configured translator."""
    translator = LibreTranslate(config.url, config.api_key, config.timeout_seconds)
    try:
        return translate_recent(
            sessions,
            translator,
            config.languages or LANGUAGES,
            max_age=dt.timedelta(days=config.max_age_days),
            batch=config.batch,
            max_chars=config.max_chars,
        )
    finally:
        translator.close()


def retain(sessions: sessionmaker[Session], days: int, mode: str) -> int:
    """Anonymise or delete responses older than *days*, a chunk per transaction; how many."""
    done = 0
    while True:
        with sessions.begin() as session:
            step = apply_retention(session, dt.timedelta(days=days), mode)  # type: ignore[arg-type]
        if not step:
            break
        done += step
    if done:
        log.info("retention: %s %d responses older than %d days", mode, done, days)
    return done


def relabel_for(sessions: sessionmaker[Session], seconds: float) -> int:
    """Relabel stored comments in short transactions for about *seconds*; how many were done."""
    deadline = time.monotonic() + seconds
    done = 0
    with sessions.begin() as session:
        if label_store.relabel_if_upgraded(session):
            log.info("labelling changed with this release: relabelling stored comments")
    while time.monotonic() < deadline:
        with sessions.begin() as session:
            step = label_store.relabel_step(session)
        if not step:
            break
        done += step
    if done:
        log.info("relabelled %d comments with the taxonomy in force", done)
    return done


def discover_themes(sessions: sessionmaker[Session], backend: str = "tfidf") -> int:
    """One discovery run over recent comments; how many themes it stored."""
    with sessions.begin() as session:
        found = run_discovery(session, backend=backend)
    log.info("discovery: %d themes", found)
    return found


def _send_report(settings: Settings) -> None:
    from dashapp.jobs import report
    from dashapp.services import build_services

    assert settings.report is not None
    # Yesterday in the display zone: the report goes out in the morning of a local day.
    yesterday = local_days.today(settings.zone()) - dt.timedelta(days=1)
    engine = build_services(settings).nps
    report.send_all(engine, yesterday, settings.report, settings.mail_server(), settings.language)


def _send_subscriptions(settings: Settings) -> None:
    from dashapp.access.subscriptions import signing_key
    from dashapp.jobs import report
    from dashapp.services import build_services

    services = build_services(settings)
    report.send_subscriptions(
        services.nps,
        services.sessions,
        local_days.today(settings.zone()),
        settings.mail_server(),
        signing_key(settings, services.sessions),
        settings.public_url,
    )


def _start_demo(
    work: ScheduledWork,
    sessions: sessionmaker[Session],
    url: str,
    interval: float,
    bounds: TimeBounds,
    retention: Retention | None = None,
    followups: FollowupConfig | None = None,
) -> None:
    from data_sources.demo import DemoSource

    def start_live() -> None:
        # The seeded history opens no follow-ups (the rule's horizon passes it over); new
        # demo responses do.
        poller = Poller(DemoSource(DEMO_SOURCE), sessions, interval, retention, bounds, followups)
        work.unless_stopping(lambda: add_poller(work.scheduler, poller, work.lease))
        # The hourly discovery may have run on the empty store: a new wall shows themes at once.
        discover_themes(sessions)

    # Asked for again here: `feedbackwall scheduler --demo` does not pass start_scheduler's
    # check while another process held the lease (no-op when asked or when the store is in use).
    with sessions.begin() as session:
        seeding = demo_seed.begin(session, dt.datetime.now(dt.UTC), DEMO_HISTORY_DAYS)
    completed = demo_seed.seed_apart(
        url,
        DEMO_SOURCE,
        started=start_live,
        retention=retention,
        bounds=bounds,
        stopping=work.stopping,
    )
    if seeding is not None and completed:
        discover_themes(sessions)
