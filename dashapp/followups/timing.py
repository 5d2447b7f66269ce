"""Answer times: median and 90th percentile of time to first contact and to resolution.

Percentiles interpolate linearly between the closest ranks (Hyndman & Fan type 7,
as numpy's default and PostgreSQL's ``percentile_cont``): the median of 1, 2, 3, 4
hours is 2.5 hours. Each figure carries its n; with n = 0 it is None.

Which follow-ups count, per group, among those opened in the window:

- time to first contact: those with a first contact (``first_contact_at - opened_at``);
  still open without contact and closed without contact are left out of n;
- time to resolution: those resolved (``done_at - opened_at``); closed without
  action are left out, and so are reopened ones until resolved again.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _


@dataclass(frozen=True, slots=True)
class Timing:
    """Median and 90th percentile of some durations in hours, with their n."""

    n: int
    median_hours: float | None
    p90_hours: float | None


def hours_text(hours: float | None) -> str:
    """A duration as people read it: "45 min", "3.5 h", "2.1 d" (de: "3,5 Std."); "–" for none."""
    if hours is None:
        return "–"
    if hours < 1:
        return _("%(minutes)s min", minutes=formats.decimal(hours * 60, 0))
    if hours < 48:
        return _("%(hours)s h", hours=formats.decimal(hours))
    return _("%(days)s d", days=formats.decimal(hours / 24))


def timing_text(t: Timing) -> str:
    """ "median 3.5 h · p90 20.0 h · n 6", or "n 0" when nothing counts."""
    if not t.n:
        return "n 0"
    return _(
        "median %(median)s · p90 %(p90)s · n %(n)s",
        median=hours_text(t.median_hours),
        p90=hours_text(t.p90_hours),
        n=t.n,
    )


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The *q*-quantile (0..1) of non-empty ascending *sorted_values*, linearly interpolated."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def timing(durations: Iterable[dt.timedelta]) -> Timing:
    """The median and 90th percentile of *durations*, in hours, and their n."""
    hours = sorted(d.total_seconds() / 3600 for d in durations)
    if not hours:
        return Timing(0, None, None)
    return Timing(len(hours), percentile(hours, 0.5), percentile(hours, 0.9))


@dataclass(frozen=True, slots=True)
class Item:
    """The times of one follow-up the figures need."""

    opened_at: dt.datetime
    first_contact_at: dt.datetime | None
    done_at: dt.datetime | None
    resolved: bool


def answer_times(items: Iterable[Item]) -> tuple[Timing, Timing]:
    """Time to first contact and time to resolution of *items* (see the module docstring)."""
    contact, resolution = [], []
    for item in items:
        if item.first_contact_at is not None:
            contact.append(item.first_contact_at - item.opened_at)
        if item.resolved and item.done_at is not None:
            resolution.append(item.done_at - item.opened_at)
    return timing(contact), timing(resolution)
