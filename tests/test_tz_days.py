"""Local days (#18 item 4): a day of the display zone counts exactly the responses inside it.

Checked against a plain count over the raw rows, on both daylight-saving days of
2026 in Europe/Berlin (23 and 25 hours) and in a zone off the whole hour.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.i18n import days
from dashapp.ingest import rollups
from dashapp.ingest.erasure import erase
from dashapp.ingest.pipeline import ingest, ingest_batch
from dashapp.metrics.nps import classify
from dashapp.metrics.queries import Filters, local_daily_counts
from dashapp.store import db, local_zone
from dashapp.store.models import Response, Rollup
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


# The display zone's days kept as rollups: the overview costs the same with a zone set.


def _statements(sessions: sessionmaker[Session]) -> list[str]:
    """Every SQL statement *sessions*' engine runs from now on."""
    seen: list[str] = []
    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def _local_rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Rollup).where(Rollup.grain == "l")) or 0
        )


def _keep(sessions: sessionmaker[Session], name: str) -> bool:
    with sessions.begin() as session:
        return rollups.keep_zone(session, name)


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        (BERLIN, dt.date(2026, 3, 29)),
        (BERLIN, dt.date(2026, 10, 25)),
        (KOLKATA, dt.date(2026, 10, 25)),
    ],
)
def test_tz005_kept_zone_reads_its_days_in_one_statement(
    sessions: sessionmaker[Session], zone: ZoneInfo, day: dt.date
) -> None:
    """Kept before the data comes: ingest counts each response into its local day, and a
    local day's counts are one read of local-day rollups, exact on DST and half-hour days."""
    assert _keep(sessions, zone.key)
    lo, hi = days.bounds(day, zone)
    _fill(sessions, lo + (hi - lo) / 2, seed=day.toordinal())
    first, last = day - dt.timedelta(days=1), day + dt.timedelta(days=1)
    seen = _statements(sessions)
    with sessions() as session:
        found = local_daily_counts(session, ("brand",), first, last, zone)
    reads = [s for s in seen if "FROM rollups" in s or "FROM responses" in s]
    assert len(reads) == 1 and "grain" in reads[0], reads
    for brand in ("Velora", "Kvist"):
        for d in (first, day, last):
            expected = _raw(sessions, *days.bounds(d, zone), brand=brand)
            assert found[(brand,)].get(d, (0, 0, 0)) == expected, (brand, d)
    assert sum(found[("Velora",)][day]) > 0


def test_tz006_a_new_zone_rebuilds_the_local_days(sessions: sessionmaker[Session]) -> None:
    """Data stored under Berlin's days, then the zone changes to Kolkata, then to UTC."""
    assert _keep(sessions, BERLIN.key)
    day = dt.date(2026, 10, 25)
    _fill(sessions, days.midnight(day, KOLKATA), seed=11)
    assert not _keep(sessions, BERLIN.key)  # nothing to do: already kept
    berlin_rows = _local_rows(sessions)
    assert berlin_rows > 0
    assert _keep(sessions, KOLKATA.key)
    with sessions() as session:
        assert local_zone.read(session) == KOLKATA.key
        found = local_daily_counts(
            session, (), day - dt.timedelta(days=2), day + dt.timedelta(days=2), KOLKATA
        )[()]
    for offset in range(-2, 3):
        d = day + dt.timedelta(days=offset)
        assert found.get(d, (0, 0, 0)) == _raw(sessions, *days.bounds(d, KOLKATA)), d
    # Not Berlin's days any more: Berlin is read the exact way, and still right.
    with sessions() as session:
        berlin = local_daily_counts(session, (), day, day, BERLIN)[()]
    assert berlin[day] == _raw(sessions, *days.bounds(day, BERLIN))
    assert _keep(sessions, "UTC")
    assert _local_rows(sessions) == 0


def test_tz007_updates_and_erasure_move_local_days(sessions: sessionmaker[Session]) -> None:
    """A response moved across a local midnight (18:30 UTC in Kolkata) by an update, and one
    erased: both local days follow, to the second."""
    assert _keep(sessions, KOLKATA.key)
    before = dt.datetime(2026, 10, 24, 18, 29, 59, tzinfo=UTC)
    after = dt.datetime(2026, 10, 24, 18, 30, tzinfo=UTC)
    rows = [
        record(1, submitted_at=before.isoformat(), score=10, comment=None),
        record(2, submitted_at=after.isoformat(), score=0, comment=None),
    ]
    assert ingest(sessions, "tz", located(rows)).accepted == 2
    first, last = dt.date(2026, 10, 24), dt.date(2026, 10, 25)

    def kept() -> dict[dt.date, tuple[int, int, int]]:
        with sessions() as session:
            return local_daily_counts(session, (), first, last, KOLKATA).get((), {})

    assert kept() == {first: (1, 0, 0), last: (0, 0, 1)}
    moved = record(1, submitted_at=after.isoformat(), score=10, comment=None)
    assert ingest(sessions, "tz", located([moved])).updated == 1
    assert kept() == {last: (1, 0, 1)}
    with sessions.begin() as session:
        assert erase(session, source="tz", external_id="r2") == 1
    assert kept() == {last: (1, 0, 0)}


def test_tz008_a_zone_change_waits_for_a_batch_in_flight(
    sessions: sessionmaker[Session],
) -> None:
    """A batch being written under Berlin's days while the zone changes to Kolkata: the
    change waits for it and counts it, so no response lands in the old zone's days."""
    assert _keep(sessions, BERLIN.key)
    day = dt.date(2026, 10, 25)
    lo = days.midnight(day, KOLKATA)
    rows = [
        record(i, submitted_at=(lo + dt.timedelta(minutes=7 * i - 300)).isoformat(), comment=None)
        for i in range(100)
    ]
    changed: list[bool] = []
    with sessions.begin() as batch:
        assert ingest_batch(batch, "tz", located(rows)).accepted == 100
        change = threading.Thread(target=lambda: changed.append(_keep(sessions, KOLKATA.key)))
        change.start()
        change.join(timeout=1.0)
        assert change.is_alive(), "the change did not wait for the batch"
    change.join(timeout=20)
    assert changed == [True]
    with sessions() as session:
        found = local_daily_counts(session, (), day - dt.timedelta(days=1), day, KOLKATA)[()]
    for d in (day - dt.timedelta(days=1), day):
        assert found[d] == _raw(sessions, *days.bounds(d, KOLKATA)), d


def test_tz009_the_scheduler_keeps_the_configured_zone(store_url: str) -> None:
    """Data stored before the zone is configured: the scheduler rebuilds its local days on
    start (FEEDBACKWALL_TIMEZONE=Europe/Berlin), and the wall's days then read them."""
    from dashapp.config import Settings
    from dashapp.jobs.runtime import start_scheduler

    sessions = db.make_sessionmaker(db.make_engine(store_url))
    day = dt.date(2026, 3, 29)
    _fill(sessions, days.midnight(day, BERLIN), seed=29)
    assert _local_rows(sessions) == 0
    work = start_scheduler(Settings.load(database_url=store_url, timezone=BERLIN.key))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not _local_rows(sessions):
            time.sleep(0.1)
    finally:
        work.stop()
    with sessions() as session:
        assert local_zone.read(session) == BERLIN.key
        found = local_daily_counts(session, (), day, day, BERLIN)[()]
    assert found[day] == _raw(sessions, *days.bounds(day, BERLIN))
