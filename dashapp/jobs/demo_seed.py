"""The demo's history: the last day first, the rest in the background, its progress in the store.

A new demo wall must show data within seconds, not after the whole history
(about 180,000 responses over 120 days) is ingested. So the history is
seeded newest first: the last day at once, then the live demo starts, then
earlier days one at a time. How far it has come is kept in ``store_meta``
(``demo_history_start``, ``_end``, ``_reached``: epoch minutes), so every
process and every screen reads the same figure (:func:`loading`), and a
restart carries on where it stopped. The facts are removed when it is done.

The seeding runs in a process of its own (:func:`seed_apart`): detecting the
language of comments sent without one loads lingua's models, which holds
Python's interpreter lock for seconds per language, and the web server
sharing that interpreter would not answer meanwhile.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.pipeline import Retention, ingest
from dashapp.ingest.validation import TimeBounds
from dashapp.labels.store import mark_labelled
from dashapp.records import DEFAULT_BOUNDS
from dashapp.store.db import make_engine, make_sessionmaker
from dashapp.store.models import Response, StoreMeta
from dashapp.store.upsert import upsert
from data_sources.demo import history_between

log = logging.getLogger(__name__)
START, END, REACHED = "demo_history_start", "demo_history_end", "demo_history_reached"
#: Seeded first, before the live demo starts: what the wall shows within seconds.
FIRST = dt.timedelta(days=1)
#: Each later piece of the backfill (one transaction per 5,000 rows inside ingest).
PIECE = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Progress:
    """The history being seeded: from *start* to *end*, stored back to *reached* (epoch minutes)."""

    start: int
    end: int
    reached: int

    @property
    def percent(self) -> int:
        """How much of the history is stored, 0-100, rounded down (100 only when all is)."""
        return (self.end - self.reached) * 100 // max(1, self.end - self.start)

    @property
    def done(self) -> bool:
        """Whether every day is stored."""
        return self.reached <= self.start


def _minute(at: dt.datetime) -> int:
    return int(at.timestamp()) // 60


def _instant(minute: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(minute * 60, dt.UTC)


def progress(session: Session) -> Progress | None:
    """The history being seeded, or None (none asked for, or it is complete)."""
    facts = dict(
        session.execute(
            select(StoreMeta.key, StoreMeta.value).where(StoreMeta.key.in_((START, END, REACHED)))
        ).all()
    )
    if len(facts) < 3:
        return None
    return Progress(facts[START], facts[END], facts[REACHED])


def loading(sessions: sessionmaker[Session]) -> int | None:
    """Percent of the demo history stored while it is being seeded; None otherwise (one read)."""
    with sessions() as session:
        found = progress(session)
    return None if found is None else found.percent


def begin(session: Session, now: dt.datetime, days: int) -> Progress | None:
    """Ask for *days* of history before *now* if the store is empty; the history under way.

    Writes nothing when the store has responses and no history is under way
    (a store in use is never seeded). Two processes beginning at once agree:
    the first one's facts stand.
    """
    found = progress(session)
    if found is not None:
        return found
    if session.scalar(select(exists().where(Response.id.is_not(None)))):
        return None
    end = _minute(now)
    facts = {START: end - days * 1440, END: end, REACHED: end}
    rows = [{"key": k, "value": v} for k, v in facts.items()]
    upsert(session, StoreMeta.__table__, rows, keys=("key",))
    # Every comment the seed stores is labelled on the way in: an empty store has nothing
    # to relabel (else the relabelling job would walk the history as it arrives, twice the work).
    mark_labelled(session)
    return progress(session)


def _reach(sessions: sessionmaker[Session], minute: int) -> None:
    with sessions.begin() as session:
        upsert(
            session,
            StoreMeta.__table__,
            [{"key": REACHED, "value": minute}],
            keys=("key",),
            replace=("value",),
        )


def seed(
    sessions: sessionmaker[Session],
    source: str,
    *,
    started: Callable[[], None] = lambda: None,
    retention: Retention | None = None,
    bounds: TimeBounds = DEFAULT_BOUNDS,
) -> int:
    """Seed the history asked for by :func:`begin`, newest first; responses accepted.

    Calls *started* once the newest day is stored (the live demo starts then),
    or at once when there is nothing to seed. A piece is marked reached only
    after its rows are committed; a piece seeded twice (a crash in between) is
    deduplicated by its ids.
    """
    with sessions() as session:
        found = progress(session)
    if found is None:
        started()
        return 0
    accepted = 0
    reached = found.reached
    first = reached == found.end
    if not first:  # a restart part-way: the newest day is already there
        started()
    while reached > found.start:
        piece = FIRST if first else PIECE
        since = max(found.start, reached - int(piece.total_seconds()) // 60)
        report = ingest(
            sessions,
            source,
            history_between(_instant(since), _instant(reached)),
            retention=retention,
            bounds=bounds,
        )
        accepted += report.accepted
        reached = since
        _reach(sessions, reached)
        if first:
            log.info("demo history: the newest day stored (%s); the rest follows", report.summary())
            started()
            first = False
    with sessions.begin() as session:
        session.execute(delete(StoreMeta).where(StoreMeta.key.in_((START, END, REACHED))))
    log.info("demo history complete: %d responses", accepted)
    return accepted


def _seed_child(url: str, source: str, retention: Retention | None, bounds: TimeBounds) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = make_engine(url)
    try:
        seed(make_sessionmaker(engine), source, retention=retention, bounds=bounds)
    finally:
        engine.dispose()


def seed_apart(
    url: str,
    source: str,
    *,
    started: Callable[[], None] = lambda: None,
    retention: Retention | None = None,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    poll: float = 0.25,
    stopping: threading.Event | None = None,
) -> bool:
    """:func:`seed` in a process of its own on the store at *url*; whether it completed.

    Calls *started* here once the store says the newest day is in (or the child
    has ended), then waits for the child. Setting *stopping* ends the child
    (the process is shutting down; what it stored stays, a restart carries on).
    """
    stopping = stopping or threading.Event()
    sessions = make_sessionmaker(make_engine(url))
    with sessions() as session:
        found = progress(session)
    if found is None:
        started()
        return True
    # A fresh interpreter: forking a process that serves and schedules in threads is unsafe.
    # daemon: ended with this process, however it exits.
    child = multiprocessing.get_context("spawn").Process(
        target=_seed_child, args=(url, source, retention, bounds), name="demo history", daemon=True
    )
    child.start()
    while child.is_alive() and not stopping.is_set():
        with sessions() as session:
            now = progress(session)
        if now is None or now.reached < now.end:
            break
        time.sleep(poll)
    if not stopping.is_set():
        started()
    while child.is_alive():
        if stopping.wait(poll):
            child.terminate()
            child.join()
            log.info("demo history: stopped part-way; the next start carries on")
            return False
    child.join()
    if child.exitcode != 0:
        log.error("seeding the demo history failed (exit %s); a restart carries on", child.exitcode)
    return child.exitcode == 0
