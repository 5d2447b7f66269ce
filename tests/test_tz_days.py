"""Local days (#18 item 4): a day of the display zone counts exactly the responses inside it.

Checked against a plain count over the raw rows, on both daylight-saving days of
2026 in Europe/Berlin (23 and 25 hours) and in a zone off the whole hour.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.i18n import days
from dashapp.ingest.pipeline import ingest
from dashapp.metrics.nps import classify
from dashapp.metrics.queries import Filters, local_daily_counts
from dashapp.store.models import Response
from tests.factories import located, record

BERLIN = days.zone("Europe/Berlin")
KOLKATA = days.zone("Asia/Kolkata")
UTC = dt.UTC


def _raw(
    sessions: sessionmaker[Session], lo: dt.datetime, hi: dt.datetime, **where: str
) -> tuple[int, int, int]:
    """Promoters, passives, detractors over [lo, hi), counted row by row."""
    with sessions() as session:
        rows = session.execute(
            select(Response.score).where(
                Response.submitted_at >= lo,
                Response.submitted_at < hi,
                *(getattr(Response, k) == v for k, v in where.items()),
            )
        ).scalars()
        found = [0, 0, 0]
        for score in rows:
            found[("promoter", "passive", "detractor").index(classify(score).value)] += 1
        return found[0], found[1], found[2]


def _fill(sessions: sessionmaker[Session], around: dt.datetime, seed: int) -> None:
    """Responses every few minutes over three days around *around*, at odd seconds, on the
    hour and on the half hour (where Kolkata's days begin), with two brands."""
    rng = random.Random(seed)
    moments = [around + dt.timedelta(minutes=m) for m in range(-36 * 60, 36 * 60, 30)]
    moments += [
        around + dt.timedelta(seconds=rng.randrange(-36 * 3600, 36 * 3600)) for _ in range(600)
    ]
    rows = [
        record(
            i,
            submitted_at=at.isoformat(),
            score=rng.randint(0, 10),
            brand=rng.choice(("Velora", "Kvist")),
            comment=None,
        )
        for i, at in enumerate(moments)
    ]
    report = ingest(sessions, "tz", located(rows))
    assert report.accepted == len(rows)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(dt.date(2026, 3, 29), 23), (dt.date(2026, 10, 25), 25), (dt.date(2026, 6, 1), 24)],
)
def test_tz001_berlin_dst_days(sessions: sessionmaker[Session], day: dt.date, hours: int) -> None:
    lo, hi = days.bounds(day, BERLIN)
    assert hi - lo == dt.timedelta(hours=hours)
    _fill(sessions, lo + (hi - lo) / 2, seed=day.toordinal())
    with sessions() as session:
        found = local_daily_counts(
            session, (), day - dt.timedelta(days=1), day + dt.timedelta(days=1), BERLIN
        )[()]
        by_brand = local_daily_counts(session, ("brand",), day, day, BERLIN)
    for d in (day - dt.timedelta(days=1), day, day + dt.timedelta(days=1)):
        assert found.get(d, (0, 0, 0)) == _raw(sessions, *days.bounds(d, BERLIN)), d
    assert sum(found[day]) > 0
    for (brand,), per_day in by_brand.items():
        assert per_day[day] == _raw(sessions, lo, hi, brand=brand)


def test_tz002_kolkata_half_hour_days(sessions: sessionmaker[Session]) -> None:
    day = dt.date(2026, 10, 25)
    lo, _hi = days.bounds(day, KOLKATA)
    assert lo == dt.datetime(2026, 10, 24, 18, 30, tzinfo=UTC)
    _fill(sessions, lo, seed=7)
    with sessions() as session:
        found = local_daily_counts(
            session, (), day - dt.timedelta(days=1), day, KOLKATA, Filters(brand=("Velora",))
        )[()]
    for d in (day - dt.timedelta(days=1), day):
        assert found[d] == _raw(sessions, *days.bounds(d, KOLKATA), brand="Velora"), d


def test_tz003_utc_days_unchanged(sessions: sessionmaker[Session]) -> None:
    day = dt.date(2026, 3, 29)
    _fill(sessions, dt.datetime(2026, 3, 29, 12, tzinfo=UTC), seed=3)
    with sessions() as session:
        found = local_daily_counts(session, (), day, day, days.zone("UTC"))[()]
        assert session.scalar(select(func.count()).select_from(Response)) > 0
    assert found[day] == _raw(sessions, *days.bounds(day, UTC))


def test_tz004_midnight_and_today() -> None:
    assert days.midnight(dt.date(2026, 3, 29), BERLIN) == dt.datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert days.midnight(dt.date(2026, 3, 30), BERLIN) == dt.datetime(2026, 3, 29, 22, tzinfo=UTC)
    # 23:30 UTC on Nov 30 is already Dec 1 in Berlin.
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    assert days.today(BERLIN, late) == dt.date(2026, 12, 1)
    assert days.today(days.zone("UTC"), late) == dt.date(2026, 11, 30)
    # A zone whose clocks skip midnight starts the day when the clocks say 01:00.
    santiago = days.zone("America/Santiago")
    start = days.midnight(dt.date(2026, 9, 6), santiago)
    assert start.astimezone(santiago).hour == 1
    with pytest.raises(ValueError, match="Mars/Olympus"):
        days.zone("Mars/Olympus")
