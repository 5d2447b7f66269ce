"""Local days (#18 item 4): a day of the display zone counts exactly the responses inside it.

Checked against a plain count over the raw rows, on both daylight-saving days of
2026 in Europe/Berlin (23 and 25 hours) and in a zone off the whole hour.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.i18n import days
from dashapp.ingest import rollups
from dashapp.ingest.erasure import apply_retention, erase
from dashapp.ingest.pipeline import ingest, ingest_batch
from dashapp.metrics.nps import classify
from dashapp.metrics.queries import Filters, exact_local_daily_counts, local_daily_counts
from dashapp.store import db, local_zone
from dashapp.store.models import Response, Rollup
from tests.factories import located, record

BERLIN = days.zone("Europe/Berlin")
KOLKATA = days.zone("Asia/Kolkata")
UTC = dt.UTC
DAY = dt.timedelta(days=1)


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


def test_tz010_a_zone_change_is_not_starved_by_overlapping_batches(store_url: str) -> None:
    """Writers overlapping without pause (as concurrent pushes do) must not keep a change of
    zone waiting until they stop: it queues, and the writers after it wait their turn."""
    if store_url.startswith("sqlite"):
        # One write lock for every writer, and a busy handler that polls rather than
        # queues: on SQLite any writer may wait behind a steady stream of others.
        pytest.skip("PostgreSQL's lock queue; SQLite has one write lock and no queue")
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    stop = time.monotonic() + 4.0

    def writer(offset: float) -> None:
        time.sleep(offset)
        while time.monotonic() < stop:
            with sessions.begin() as session:
                local_zone.for_write(session)
                time.sleep(0.3)

    writers = [threading.Thread(target=writer, args=(i * 0.1,)) for i in range(3)]
    for thread in writers:
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert _keep(sessions, BERLIN.key)
    waited = time.monotonic() - started
    for thread in writers:
        thread.join()
    assert waited < 2.0, f"the change waited {waited:.1f} s behind overlapping writers"


def test_tz011_a_reader_notices_a_zone_change_between_its_reads(
    sessions: sessionmaker[Session],
) -> None:
    """The zone and the kept days are two statements: a change of zone committed between
    them sends the reader the exact way, not to another zone's (or no) days."""
    assert _keep(sessions, BERLIN.key)
    day = dt.date(2026, 3, 29)
    _fill(sessions, days.midnight(day, BERLIN), seed=5)
    engine = sessions.kw["bind"]
    changed: list[bool] = []
    asked: list[str] = []

    def change_after_the_days(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        # Once, after the reader read the zone and before it reads the days (the change's
        # own statements pass by here too).
        if "store_meta" in statement and not asked:
            asked.append(statement)
            changed.append(_keep(sessions, "UTC"))

    event.listen(engine, "after_cursor_execute", change_after_the_days)
    try:
        with sessions() as session:
            found = local_daily_counts(session, (), day, day, BERLIN)[()]
    finally:
        event.remove(engine, "after_cursor_execute", change_after_the_days)
    assert changed == [True]
    assert found[day] == _raw(sessions, *days.bounds(day, BERLIN))


def test_tz012_a_rebuild_over_decades(sessions: sessionmaker[Session]) -> None:
    """Responses 25 years apart (a stray old timestamp is allowed back to 2000): the rebuild
    reads every edge hour of 9,000 days without one statement's parameter limit."""
    rows = [
        record(1, submitted_at="2001-03-01T10:00:00Z", comment=None),
        record(2, submitted_at="2026-11-20T10:00:00Z", comment=None, score=0),
    ]
    assert ingest(sessions, "tz", located(rows)).accepted == 2
    zone = days.zone("America/Los_Angeles")
    assert _keep(sessions, zone.key)
    with sessions() as session:
        found = local_daily_counts(session, (), dt.date(2001, 3, 1), dt.date(2026, 11, 20), zone)[
            ()
        ]
    assert found == {dt.date(2001, 3, 1): (1, 0, 0), dt.date(2026, 11, 20): (0, 0, 1)}


def test_tz013_a_zone_change_waits_for_a_retention_in_flight(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention reads before it writes: a change of zone must not slip in between its
    reading the zone and writing the old zone's days (SQLite has no row locks)."""
    assert _keep(sessions, KOLKATA.key)
    at = dt.datetime(2026, 10, 20, 18, 40, tzinfo=UTC)
    rows = [
        record(i, submitted_at=(at + dt.timedelta(minutes=i)).isoformat(), comment=None)
        for i in range(20)
    ]
    assert ingest(sessions, "tz", located(rows)).accepted == 20
    write = rollups.insert_many
    change = threading.Thread(target=lambda: _keep(sessions, "Asia/Tokyo"))

    def paused(*args: object, **kwargs: object) -> None:
        # Between the zone read and the rollup write: let a change of zone try to commit.
        if not change.is_alive() and change.ident is None:
            change.start()
            change.join(timeout=1.0)
            assert change.is_alive(), "the change committed inside the retention"
        write(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(rollups, "insert_many", paused)
    with sessions.begin() as session:
        assert apply_retention(session, dt.timedelta(days=1), "delete", now=at + 5 * DAY) == 20
    change.join(timeout=20)
    tokyo = days.zone("Asia/Tokyo")
    with sessions() as session:
        assert local_zone.read(session) == tokyo.key
        kept = local_daily_counts(session, (), dt.date(2026, 10, 19), dt.date(2026, 10, 22), tokyo)
        exact = exact_local_daily_counts(
            session, (), dt.date(2026, 10, 19), dt.date(2026, 10, 22), tokyo
        )
    assert kept == exact == {}


def test_tz014_a_restored_store_rebuilds_its_local_days(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A backup is not always a snapshot (SQLite): a restore keeps no zone and no local-day
    rows, so the scheduler rebuilds them for the zone configured where it is restored."""
    from dashapp.store.backup import backup, restore

    assert _keep(sessions, BERLIN.key)
    _fill(sessions, days.midnight(dt.date(2026, 3, 29), BERLIN), seed=3)
    path = tmp_path / "store.fwbackup"
    backup(sessions.kw["bind"], path)
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    db.upgrade(target)
    restored = db.make_sessionmaker(db.make_engine(target))
    restore(restored.kw["bind"], path)
    assert _local_rows(restored) == 0
    with restored() as session:
        assert local_zone.read(session) is None
    assert _keep(restored, BERLIN.key)
    day = dt.date(2026, 3, 29)
    with restored() as session:
        found = local_daily_counts(session, (), day, day, BERLIN)[()]
    assert found[day] == _raw(sessions, *days.bounds(day, BERLIN))
