"""Local days: the display time zone's calendar days as UTC instants (the store stays UTC).

A local day is [its midnight, the next midnight) in the zone, 23 or 25 hours long
on daylight-saving days; a zone off the whole hour (Asia/Kolkata, +05:30) starts
its days at half past a UTC hour. ``zoneinfo`` reads the IANA rules from the
system or the ``tzdata`` package.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"
DAY = dt.timedelta(days=1)


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called *name* (ValueError naming it when there is none)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Berlin)") from None


def is_utc(tz: dt.tzinfo) -> bool:
    """Whether *tz*'s days are UTC days (no offset, ever)."""
    return tz is dt.UTC or getattr(tz, "key", None) in ("UTC", "Etc/UTC", "Etc/GMT")


def midnight(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The instant (UTC) *day* begins in *tz*.

    A zone that skips midnight (a spring-forward at 00:00) begins the day at the
    gap's end, and a repeated midnight at its first occurrence: both what
    ``fold=0`` means (PEP 495: the offset before the transition).
    """
    return dt.datetime.combine(day, dt.time(), tz).astimezone(dt.UTC)


def bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in UTC of the local *day* in *tz*."""
    return midnight(day, tz), midnight(day + DAY, tz)


def local_day(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The local day in *tz* of an aware instant."""
    return moment.astimezone(tz).date()


def today(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """Today in *tz*: "today" on the wall, the explore pickers' default end."""
    return local_day(now or dt.datetime.now(dt.UTC), tz)
