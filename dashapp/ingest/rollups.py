"""The NPS rollups: kept current by every write of responses, rebuilt for a new display zone.

Three grains (:class:`~dashapp.store.models.Rollup`): UTC hours, UTC days and,
when the store keeps a display zone (:mod:`dashapp.store.local_zone`), that
zone's local days. A change to a response (stored, updated, erased, expired)
is a delta at its exact instant, so a local day that begins at half past a UTC
hour (Asia/Kolkata) or lasts 23 or 25 hours (daylight saving) counts exactly
the responses inside it, and the overview reads a local day as one bucket, as
it reads a UTC day (issue #18, docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dashapp.i18n import days as local_days
from dashapp.metrics import queries
from dashapp.metrics.nps import ScoreClass, classify
from dashapp.store import counters, local_zone
from dashapp.store.bulk import insert_many
from dashapp.store.models import Rollup

#: The table's columns in order: the bucket's keys, then its counts.
COLUMNS = tuple(column.name for column in Rollup.__table__.columns)
KEYS = tuple(column.name for column in Rollup.__table__.columns if column.primary_key)
COUNTS = tuple(name for name in COLUMNS if name not in KEYS)
#: (instant, brand, country, touchpoint, class index: 0 promoter, 1 passive, 2 detractor)
RollupKey = tuple[dt.datetime, str, str, str, int]
_CLASS_INDEX = {ScoreClass.PROMOTER: 0, ScoreClass.PASSIVE: 1, ScoreClass.DETRACTOR: 2}
#: The class index of each score 0..10, from classify (looked up per row on the hot path).
_CLASS_OF_SCORE = tuple(_CLASS_INDEX[classify(score)] for score in range(11))
_TICK = dt.timedelta(microseconds=1)


def key(at: dt.datetime, brand: str, country: str, touchpoint: str, score: int) -> RollupKey:
    """What a response counts for: its exact instant (local days need it), group and class."""
    return (at, brand, country, touchpoint, _CLASS_OF_SCORE[score])


def apply(session: Session, deltas: Counter[RollupKey]) -> None:
    """Add *deltas* (+1 stored, -1 taken back) to every grain of rollups, in one upsert."""
    if not any(deltas.values()):
        return
    name = local_zone.for_write(session)
    day_of = _LocalDays(local_days.zone(name)) if name else None
    buckets: dict[tuple[str, dt.datetime, str, str, str], list[Any]] = {}
    for (at, brand, country, touchpoint, cls), count in deltas.items():
        if count == 0:
            continue
        hour = at.replace(minute=0, second=0, microsecond=0)
        grains = [("h", hour), ("d", hour.replace(hour=0))]
        if day_of is not None:
            grains.append(("l", day_of(at, hour)))
        for grain, bucket in grains:
            row = buckets.get((grain, bucket, brand, country, touchpoint))
            if row is None:
                row = [grain, bucket, brand, country, touchpoint, 0, 0, 0, 0]
                buckets[(grain, bucket, brand, country, touchpoint)] = row
            row[5] += count
            row[6 + cls] += count
    insert_many(session, Rollup.__table__, COLUMNS, list(buckets.values()), keys=KEYS, add=COUNTS)


class _LocalDays:
    """The first instant of an instant's local day, worked out once per UTC hour."""

    def __init__(self, tz: dt.tzinfo) -> None:
        self.tz = tz
        self._of_hour: dict[dt.datetime, tuple[dt.datetime, dt.datetime]] = {}

    def __call__(self, at: dt.datetime, hour: dt.datetime) -> dt.datetime:
        known = self._of_hour.get(hour)
        if known is None:
            known = local_days.bounds(local_days.local_day(hour, self.tz), self.tz)
            self._of_hour[hour] = known
        start, following = known
        # A local midnight may fall inside the hour (a zone off the whole hour).
        return start if at < following else following


def _kept_name(name: str) -> str | None:
    """The zone to keep for display zone *name*: none for UTC (its days are the daily grain)."""
    return None if local_days.is_utc(local_days.zone(name)) else name


def kept(session: Session, name: str) -> bool:
    """Whether the store keeps the local days display zone *name* needs (without locking)."""
    return local_zone.read(session) == _kept_name(name)


def keep_zone(session: Session, name: str) -> bool:
    """Keep the local days of zone *name* (none for UTC); whether the rollups changed.

    When the store kept another zone, its local-day rollups are rebuilt in the
    caller's transaction, each local day read the exact way
    (:func:`~dashapp.metrics.queries.exact_local_daily_counts`: UTC days corrected
    at the edges by hourly rollups and part-hours): seconds for years of data.
    Writers wait meanwhile (:func:`~dashapp.store.local_zone.claim`).
    """
    tz = local_days.zone(name)
    wanted = _kept_name(name)
    if local_zone.claim(session, wanted) == wanted:
        return False
    # Figures cached under the old zone's days are not read again.
    counters.edited(session)
    session.execute(delete(Rollup).where(Rollup.grain == "l"))
    first, last = session.execute(
        select(func.min(Rollup.bucket), func.max(Rollup.bucket)).where(Rollup.grain == "d")
    ).one()
    if wanted is None or first is None:
        return True
    found = queries.exact_local_daily_counts(
        session,
        queries.GROUP_COLUMNS,
        local_days.local_day(first, tz),
        local_days.local_day(last + local_days.DAY - _TICK, tz),
        tz,
    )
    # In key order, as the daily grain's rows lie (a day's buckets together on disk).
    rows = sorted(
        ["l", local_days.midnight(day, tz), *group, sum(counts), *counts]
        for group, per_day in found.items()
        for day, counts in per_day.items()
    )
    insert_many(session, Rollup.__table__, COLUMNS, rows)
    return True
