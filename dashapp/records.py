"""The canonical raw record: the fields every source hands to ingest, owned by the core."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: The fields of a canonical raw record; any other key becomes a property.
CANONICAL_FIELDS = (
    "id",
    "submitted_at",
    "brand",
    "country",
    "touchpoint",
    "score",
    "comment",
    "language",
)

#: The earliest believable submitted_at: no feedback system sends older answers.
EARLIEST_SUBMITTED_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: How far ahead of this host's clock a sender's clock may run.
MAX_FUTURE_SKEW = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class TimeBounds:
    """The believable range of submitted_at: from *earliest* to *future* past the clock."""

    earliest: dt.datetime = EARLIEST_SUBMITTED_AT
    future: dt.timedelta = MAX_FUTURE_SKEW


#: The bounds of the default settings.
DEFAULT_BOUNDS = TimeBounds()
