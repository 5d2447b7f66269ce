"""The windows every figure is read over: how many days, where they end, what came before.

One home for the wall's 30 and 7 days, the trend's 90, the report's periods
and the comparison's choices. A window of N days ending at ``end`` is the
half-open interval (end - N days, end]: a response submitted exactly at
``end`` is inside, one exactly N days earlier is in the window before.
Times are UTC.
"""

from __future__ import annotations

import datetime as dt

#: Days of the headline figures: the wall's NPS, heatmap and labels, explore's default
#: range, the data and chart exports, the report's cell table.
MAIN_DAYS = 30
#: Days of the short view: the dotted trend line, the kiosk's drop alert, the report's
#: label movers.
SHORT_DAYS = 7
#: Days a trend chart shows (each point the trailing MAIN_DAYS or SHORT_DAYS window).
TREND_DAYS = 90
#: Days of the responses-per-day chart.
VOLUME_DAYS = 30
#: The daily report's periods: the day itself, the week and the month ending with it.
REPORT_DAYS = (1, SHORT_DAYS, MAIN_DAYS)
#: The windows the comparison page offers.
COMPARE_DAYS = (SHORT_DAYS, MAIN_DAYS, TREND_DAYS)


def default_as_of(now: dt.datetime | None = None) -> dt.datetime:
    """The next whole UTC minute: fresh responses are inside, and cache keys last a minute."""
    now = now or dt.datetime.now(dt.UTC)
    floor = now.replace(second=0, microsecond=0)
    return floor if floor == now else floor + dt.timedelta(minutes=1)


def start_of(end: dt.datetime, days: int) -> dt.datetime:
    """The exclusive start of the *days*-day window ending at *end*: (start, end]."""
    return end - dt.timedelta(days=days)


def trailing(end: dt.datetime | None, days: int) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the *days*-day window ending at *end* (default: :func:`default_as_of`)."""
    end = end or default_as_of()
    return start_of(end, days), end


def span(
    start: dt.datetime | None, end: dt.datetime | None, days: int = MAIN_DAYS
) -> tuple[dt.datetime, dt.datetime]:
    """A drill-down's (start, end): what it names, else the *days* days up to now."""
    end = end or default_as_of()
    return (start if start is not None else start_of(end, days)), end
