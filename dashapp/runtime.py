"""Serve the app (`feedbackwall run`) and start the scheduled work of one process."""

from __future__ import annotations

import datetime as dt
import errno
import logging
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from flask_caching import Cache
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker
from waitress.adjustments import Adjustments
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

from dashapp import label_store
from dashapp.alerts import Deliverer, scan, scan_drops
from dashapp.api import MAX_BODY_BYTES
from dashapp.config import Settings
from dashapp.db import make_engine, make_sessionmaker
from dashapp.engine import NpsEngine
from dashapp.erasure import apply_retention
from dashapp.ingest import ingest
from dashapp.lease import Lease
from dashapp.models import Response
from dashapp.scheduler import Poller, add_poller, build_scheduler, when_leased
from dashapp.themes import run_discovery
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

#: Request threads of `feedbackwall run`; each wall screen's poll holds one briefly.
WEB_THREADS = 16
#: Open connections the server keeps in all (waitress's default of 100 let one client
#: holding 100 idle or half-sent connections shut everyone else out), and per client
#: address, so that no one address can take them all. A browser opens at most 6.
CONNECTION_LIMIT = 1000
PER_CLIENT_CONNECTIONS = 100
#: The server's settings: an idle connection (a kept-alive one, or one whose request
#: stopped arriving) is closed after CHANNEL_TIMEOUT seconds (a polling screen is never
#: idle that long), looked for every few seconds; a body over the API's limit is refused
#: from its Content-Length before it is read (waitress refuses at >=, Flask at >).
SERVER_OPTIONS: dict[str, object] = {
    "threads": WEB_THREADS,
    "connection_limit": CONNECTION_LIMIT,
    "channel_timeout": 30,
    "cleanup_interval": 5,
    "max_request_body_size": MAX_BODY_BYTES + 1,
    "max_request_header_size": 64 * 1024,
    # select() cannot watch descriptors above 1023: poll() can, for the connection limit.
    "asyncore_use_poll": True,
    "ident": "feedbackwall",
    # Keep proxy headers (waitress drops them by default): the app decides what to
    # trust (FEEDBACKWALL_PROXY_HOPS), and the demo sign-in must see that a proxy is there.
    "clear_untrusted_proxy_headers": False,
}


class _FairServer(TcpWSGIServer):
    """Waitress's server, refusing a client's connections beyond PER_CLIENT_CONNECTIONS."""

    def accept(self) -> tuple[socket.socket, object] | None:
        """The next connection, or None when there is none to serve (closed at once)."""
        try:
            pair: tuple[socket.socket, object] | None = super().accept()
        except OSError as exc:
            if exc.errno not in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                raise
            # Out of descriptors: waitress would close its listening socket for good;
            # leave the connection in the backlog until some are free again.
            log.warning("cannot accept a connection: %s", exc.strerror)
            return None
        if pair is None:
            return None
        conn, addr = pair
        peer = addr[0] if isinstance(addr, tuple) else addr
        held = sum(1 for ch in self.active_channels.values() if _peer(ch) == peer)
        if held >= PER_CLIENT_CONNECTIONS:
            conn.close()
            return None
        return pair


def _peer(channel: object) -> object:
    addr = getattr(channel, "addr", None)
    return addr[0] if isinstance(addr, tuple) else addr


def serve(app: Flask, host: str, port: int) -> None:
    """Serve *app* on *host*:*port* with waitress until interrupted, with SERVER_OPTIONS."""
    _raise_open_files(CONNECTION_LIMIT + 1000)
    adj = Adjustments(host=host, port=port, **SERVER_OPTIONS)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict[int, object] = {}
    # As waitress.create_server does, with the fairer server class: one per address
    # *host* resolves to (``localhost`` is two), sharing one socket map and threads.
    servers = [
        _FairServer(app, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=info)
        for info in adj.listen
    ]
    if len(servers) == 1:
        server: TcpWSGIServer | MultiSocketServer = servers[0]
    else:
        listening = [(s.effective_host, s.effective_port) for s in servers]
        server = MultiSocketServer(socket_map, adj, listening, dispatcher, servers[-1].log_info)
    server.print_listen("Serving on http://{}:{}")
    server.run()


def _raise_open_files(wanted: int) -> None:
    """Allow this process *wanted* open files if the hard limit permits (often 1024 soft)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@dataclass(slots=True)
class ScheduledWork:
    """A started scheduler and the lease it runs under."""

    scheduler: BackgroundScheduler
    lease: Lease

    def stop(self) -> None:
        """Stop the jobs and hand the lease to whoever waits for it."""
        self.scheduler.shutdown(wait=True)
        try:
            self.lease.release()
        except Exception:  # the store is gone; the lease will simply expire
            log.warning("could not release the scheduler lease", exc_info=True)


def start_scheduler(settings: Settings, *, demo: bool = False) -> ScheduledWork:
    """Build pollers for the configured sources (and the demo), start and return the scheduler.

    Jobs run only while this process holds the store's scheduler lease, so
    several such processes (even on several hosts) never run a job twice.
    With *demo*, a job first seeds an empty store with DEMO_HISTORY_DAYS of
    history and then starts the demo poller; the web app serves meanwhile.
    """
    sessions = make_sessionmaker(make_engine(settings.database_url))
    pollers = [
        Poller(build(s.kind, s.name, s.options), sessions, s.interval)
        for s in settings.sources
        if s.kind != "push"
    ]
    lease = Lease(sessions)
    if not lease.renew():
        log.info("another process holds the scheduler lease; this one stands by")
    scheduler = build_scheduler(pollers, lease)
    if settings.alerts:
        deliverer = Deliverer(sessions, settings.alerts, settings.mail_server())
        # Drops are rare and cheap to recompute; no cache to keep coherent.
        engine = NpsEngine(
            sessions,
            Cache(
                Flask(__name__), config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
            ),
        )
        jobs = {
            "alerts:scan": (
                lambda: scan(sessions, settings.alerts, dt.datetime.now(dt.UTC)),
                ALERT_INTERVAL,
            ),
            "alerts:drops": (
                lambda: scan_drops(engine, settings.alerts, dt.datetime.now(dt.UTC)),
                DROP_INTERVAL,
            ),
            "alerts:deliver": (deliverer.deliver, ALERT_INTERVAL),
        }
        for job_id, (job, seconds) in jobs.items():
            _every(scheduler, lease, job_id, job, seconds)
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
    if settings.retention_days is not None:
        _every(
            scheduler,
            lease,
            "privacy:retention",
            partial(retain, sessions, settings.retention_days, settings.retention_mode),
            RETENTION_INTERVAL,
            first=soon,
        )
    if demo:
        scheduler.add_job(
            when_leased(
                partial(_start_demo, scheduler, sessions, settings.demo_interval, lease), lease
            ),
            id="demo:seed",
            name="seed demo history",
            next_run_time=dt.datetime.now(dt.UTC),
        )
    scheduler.start()
    return ScheduledWork(scheduler, lease)


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
    from flask import Flask

    from dashapp import report
    from dashapp.services import build_services

    assert settings.report is not None
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    engine = build_services(settings, Flask(__name__)).nps
    report.send_all(engine, yesterday, settings.report, settings.mail_server())


def _start_demo(
    scheduler: BackgroundScheduler,
    sessions: sessionmaker[Session],
    interval: float,
    lease: Lease,
) -> None:
    from data_sources.demo import DemoSource, history

    with sessions() as session:
        empty = not session.scalar(select(exists().where(Response.id.is_not(None))))
    if empty:
        log.info("seeding %d days of demo history", DEMO_HISTORY_DAYS)
        report = ingest(sessions, DEMO_SOURCE, history(DEMO_HISTORY_DAYS, dt.datetime.now(dt.UTC)))
        log.info("demo history: %s", report.summary())
        # The hourly discovery may have run on the empty store: a new wall shows themes at once.
        discover_themes(sessions)
    add_poller(scheduler, Poller(DemoSource(DEMO_SOURCE), sessions, interval), lease)
