"""The scheduler lease: one holder at a time, taken over when the holder stops renewing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker

from dashapp.jobs.scheduler import when_leased
from dashapp.store.lease import Lease

T0 = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)


def test_lease001_one_holder_then_takeover(sessions: sessionmaker[Session]) -> None:
    a, b = Lease(sessions, ttl=45), Lease(sessions, ttl=45)
    assert a.renew(now=T0)
    assert not b.renew(now=T0 + dt.timedelta(seconds=1))
    assert a.renew(now=T0 + dt.timedelta(seconds=15))  # renewal extends to T0 + 60 s
    assert not b.renew(now=T0 + dt.timedelta(seconds=50))
    # a dies: no more renewals. b takes over once the lease has expired, within a minute.
    assert b.renew(now=T0 + dt.timedelta(seconds=61))
    assert not a.renew(now=T0 + dt.timedelta(seconds=62))
    assert b.held(now=T0 + dt.timedelta(seconds=62))
    assert not a.held(now=T0 + dt.timedelta(seconds=62))


def test_lease002_release_hands_over_at_once(sessions: sessionmaker[Session]) -> None:
    a, b = Lease(sessions), Lease(sessions)
    assert a.renew(now=T0)
    a.release()
    assert not a.held(now=T0)
    assert b.renew(now=T0 + dt.timedelta(seconds=1))


def test_lease003_jobs_run_only_while_held(sessions: sessionmaker[Session]) -> None:
    lease = Lease(sessions)
    runs: list[int] = []
    job = when_leased(lambda: runs.append(1), lease)
    job()
    assert runs == []
    lease.renew()
    job()
    assert runs == [1]
