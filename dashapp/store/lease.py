"""A lease in the store so that one process, on any host, runs the scheduled jobs.

Every ``feedbackwall run`` / ``feedbackwall scheduler`` process competes for
the lease; the holder renews it every TTL/3 seconds and runs the jobs, the
others wait. A holder that dies stops renewing, and another process takes the
lease over once it expires (at most TTL seconds later).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, update
from sqlalchemy.orm import Session, sessionmaker

from dashapp.store.models import SchedulerLease
from dashapp.store.upsert import upsert

#: Seconds a lease lasts without renewal.
TTL = 45.0


def holder_id() -> str:
    """This process's name in the lease table: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One process's claim on a named lease."""

    def __init__(
        self, sessions: sessionmaker[Session], name: str = "scheduler", ttl: float = TTL
    ) -> None:
        self.sessions = sessions
        self.name = name
        self.ttl = dt.timedelta(seconds=ttl)
        self.holder = holder_id()
        self._valid_until: dt.datetime | None = None

    def renew(self, now: dt.datetime | None = None) -> bool:
        """Take or extend the lease if it is free, expired or ours; True when we hold it."""
        now = now or dt.datetime.now(dt.UTC)
        expires = now + self.ttl
        with self.sessions.begin() as session:
            upsert(
                session,
                SchedulerLease.__table__,
                [{"name": self.name, "holder": self.holder, "expires_at": expires}],
                keys=("name",),
            )
            # An UPDATE's result is a cursor result: it counts the rows it changed.
            result = cast(
                CursorResult[Any],
                session.execute(
                    update(SchedulerLease)
                    .where(
                        SchedulerLease.name == self.name,
                        or_(SchedulerLease.holder == self.holder, SchedulerLease.expires_at < now),
                    )
                    .values(holder=self.holder, expires_at=expires)
                ),
            )
            taken = result.rowcount
        # Stop a little before the store's expiry so two holders never overlap.
        self._valid_until = now + self.ttl * 0.8 if taken else None
        return bool(taken)

    def held(self, now: dt.datetime | None = None) -> bool:
        """Whether this process may run jobs now (without asking the store)."""
        now = now or dt.datetime.now(dt.UTC)
        return self._valid_until is not None and now < self._valid_until

    def release(self) -> None:
        """Give the lease up at shutdown so another process need not wait for expiry."""
        with self.sessions.begin() as session:
            session.execute(
                delete(SchedulerLease).where(
                    SchedulerLease.name == self.name, SchedulerLease.holder == self.holder
                )
            )
        self._valid_until = None
