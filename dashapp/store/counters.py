"""The store's change counters, and each process's view of them.

Three counters in ``store_meta``: ``data_version`` changes with every change to
responses and labels (it keys every cached figure and answer); ``edit_version``
with those changes that are not new responses arriving (an erasure, retention,
an annotation, labels, translations, follow-ups, another display zone's days:
what screens show must change at once, so the wall's figures never settle
across one); and ``access_version`` with every change to who may do what (a
token revoked, a user disabled, a role changed, a password reset; it keys
remembered identities).

A request must not pay a store round trip to learn that nothing changed, so a
process reads the counters together at most once per ``max_age`` seconds
(:class:`Watch`). A change made through this process's own sessions is seen at
once (the watch forgets on commit); one made by another process or host is
seen within ``max_age``. That is the price: a screen's next poll, a revoked
token or a disabled user take effect up to a second later on other workers.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import event, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dashapp.store.db import StoreUnavailable
from dashapp.store.models import StoreMeta
from dashapp.store.upsert import upsert

DATA = "data_version"
EDITS = "edit_version"
ACCESS = "access_version"
#: How old a process's view of the counters may be, in seconds.
MAX_AGE = 1.0
#: After the store failed to answer, seconds before it is asked again; meanwhile every
#: caller hears at once that it is unavailable (a hung store is not waited for by each).
RETRY_AFTER = 5.0
#: Seconds a caller waits while another thread asks the store (it answers in ms when well).
WAIT_FOR_READER = 1.0


_BUMPED = "feedbackwall.bumped"


@dataclass(frozen=True, slots=True)
class Versions:
    """The store's counters at one moment."""

    data: int
    access: int
    edits: int = 0


def read(session: Session) -> Versions:
    """The counters, in one query (0 for a counter the store does not have yet)."""
    rows = dict(
        session.execute(
            select(StoreMeta.key, StoreMeta.value).where(StoreMeta.key.in_((DATA, ACCESS, EDITS)))
        ).all()
    )
    return Versions(data=rows.get(DATA, 0), access=rows.get(ACCESS, 0), edits=rows.get(EDITS, 0))


def bump(session: Session, key: str) -> None:
    """Count a change of *key*'s kind; seen by this process once *session* commits.

    A counter the store lacks (a restored backup of an older release) starts here,
    at a random value as the migrations start them.
    """
    done = session.execute(
        update(StoreMeta).where(StoreMeta.key == key).values(value=StoreMeta.value + 1)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        # Two first edits at once: one starts it, the other's start is the change already.
        start = {"key": key, "value": secrets.randbits(48)}
        upsert(session, StoreMeta.__table__, [start], keys=["key"])
    session.info[_BUMPED] = True


def edited(session: Session) -> None:
    """Count a change to data already shown (not a new response): data and edits."""
    bump(session, DATA)
    bump(session, EDITS)


class Watch:
    """This process's view of the counters, read from the store at most every *max_age* seconds."""

    def __init__(self, sessions: sessionmaker[Session], max_age: float = MAX_AGE) -> None:
        self.sessions = sessions
        self.max_age = max_age
        self._lock = threading.Lock()
        self._seen: tuple[float, Versions] | None = None
        #: When and why the store last failed to answer (cleared by an answer).
        self._failed: tuple[float, str] | None = None
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", self._after_rollback)

    def current(self) -> Versions:
        """The counters, at most *max_age* seconds old (SQLAlchemyError while the store is down).

        While the store fails, it is asked again every RETRY_AFTER seconds by one
        caller; the others get StoreUnavailable at once instead of each waiting for it.
        """
        seen = self._seen
        now = time.monotonic()
        if seen is not None and now - seen[0] < self.max_age:
            return seen[1]
        self._raise_if_failing(now)
        # One reader at a time: the other threads of this worker wait for its answer
        # instead of each asking the store the same question (a moment, unless it hangs).
        if not self._lock.acquire(timeout=WAIT_FOR_READER):
            raise StoreUnavailable("the store is slow to answer")
        try:
            seen = self._seen
            if seen is not None and time.monotonic() - seen[0] < self.max_age:
                return seen[1]
            self._raise_if_failing(time.monotonic())
            try:
                with self.sessions() as session:
                    versions = read(session)
            except SQLAlchemyError as exc:
                self._failed = (time.monotonic(), type(exc).__name__)
                raise
            self._seen, self._failed = (time.monotonic(), versions), None
            return versions
        finally:
            self._lock.release()

    def _raise_if_failing(self, now: float) -> None:
        failed = self._failed
        if failed is not None and now - failed[0] < RETRY_AFTER:
            raise StoreUnavailable(f"the store failed to answer ({failed[1]}); retrying shortly")

    def forget(self) -> None:
        """Read the store at the next call (after a change made in this process: it answers)."""
        self._seen, self._failed = None, None

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(_BUMPED, False):
            self.forget()

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(_BUMPED, None)
