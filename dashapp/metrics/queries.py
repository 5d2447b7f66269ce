"""SQL for the NPS engine: counts over time windows, rolling series and the comment feed.

Every function takes a Session and returns plain data; none caches (that is
:mod:`dashapp.figures.nps_engine`'s job). Times are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from dashapp.i18n import days as local_days
from dashapp.metrics.nps import BOUNDS
from dashapp.store import local_zone
from dashapp.store.models import RESPONSE_HEAD, Response, ResponseLabel, Rollup

GROUP_COLUMNS = ("brand", "country", "touchpoint")
#: Raw part-hours read by one statement (local days of a zone off the whole hour).
RAW_PARTS_PER_STATEMENT = 200
#: Hourly buckets looked up by one statement (the local days' edge hours).
HOURS_PER_STATEMENT = 5_000
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

#: (promoters, passives, detractors)
Counts = tuple[int, int, int]
GroupKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrict a query to some brands, countries or touchpoints (empty = all)."""

    brand: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    touchpoint: tuple[str, ...] = ()

    def clauses(self, table: Any) -> list[Any]:
        """WHERE clauses for *table*, which has brand/country/touchpoint columns."""
        return [
            getattr(table, name).in_(values)
            for name in GROUP_COLUMNS
            if (values := getattr(self, name))
        ]


@dataclass(frozen=True, slots=True)
class RawRange:
    """A stretch of time read from raw responses; each end open or closed."""

    lo: dt.datetime
    hi: dt.datetime
    lo_closed: bool
    hi_closed: bool

    def clause(self, column: Any) -> Any:
        """The WHERE clause selecting this range on *column*."""
        return and_(
            column >= self.lo if self.lo_closed else column > self.lo,
            column <= self.hi if self.hi_closed else column < self.hi,
        )


@dataclass(frozen=True, slots=True)
class WindowParts:
    """A window (start, end] split into whole days, whole hours and raw edges.

    ``days`` and ``hours`` are half-open [lo, hi) bucket ranges.
    """

    days: tuple[dt.datetime, dt.datetime] | None
    hours: tuple[tuple[dt.datetime, dt.datetime], ...]
    raw: tuple[RawRange, ...]


def class_sums(score: Any) -> list[Any]:
    """SQL sums counting promoters, passives and detractors of the *score* column, in order."""
    return [func.sum(case((score.between(low, high), 1), else_=0)) for low, high in BOUNDS.values()]


def _floor(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    if step == DAY:
        return t.replace(hour=0, minute=0, second=0, microsecond=0)
    return t.replace(minute=0, second=0, microsecond=0)


def _after(t: dt.datetime, step: dt.timedelta) -> dt.datetime:
    """The first bucket boundary strictly after *t*."""
    return _floor(t, step) + step


def window_parts(start: dt.datetime, end: dt.datetime) -> WindowParts:
    """Decompose the window (start, end] so that each instant falls in exactly one part.

    Reads whole UTC days from daily rollups, whole hours at the two edges from
    hourly rollups, and at most two partial hours from raw responses.
    """
    if end <= start:
        return WindowParts(None, (), ())
    h1, h2 = _after(start, HOUR), _floor(end, HOUR)
    if h1 > h2:  # no hour boundary inside: all raw
        return WindowParts(None, (), (RawRange(start, end, False, True),))
    d1, d2 = _after(start, DAY), _floor(end, DAY)
    hours: list[tuple[dt.datetime, dt.datetime]] = []
    days = None
    if d1 <= d2:
        if d1 < d2:
            days = (d1, d2)
        if h1 < d1:
            hours.append((h1, d1))
        if d2 < h2:
            hours.append((d2, h2))
    elif h1 < h2:
        hours.append((h1, h2))
    raw = (RawRange(start, h1, False, False), RawRange(h2, end, True, True))
    return WindowParts(days, tuple(hours), raw)


def _rollup_counts(by: Sequence[str]) -> Select[Any]:
    cols = [getattr(Rollup, c) for c in by]
    return select(
        *cols,
        func.sum(Rollup.promoters),
        func.sum(Rollup.passives),
        func.sum(Rollup.detractors),
    ).group_by(*cols)


def counts(
    session: Session,
    by: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    filters: Filters = Filters(),
) -> dict[GroupKey, Counts]:
    """Promoters, passives and detractors per group for responses with start < submitted_at <= end.

    Cost grows with the number of rollup buckets in the window, not with responses.
    """
    _check_by(by)
    parts = window_parts(start, end)
    statements: list[Select[Any]] = []
    if parts.days:
        lo, hi = parts.days
        statements.append(
            _rollup_counts(by).where(
                Rollup.grain == "d",
                Rollup.bucket >= lo,
                Rollup.bucket < hi,
                *filters.clauses(Rollup),
            )
        )
    if parts.hours:
        statements.append(
            _rollup_counts(by).where(
                Rollup.grain == "h",
                or_(*(and_(Rollup.bucket >= lo, Rollup.bucket < hi) for lo, hi in parts.hours)),
                *filters.clauses(Rollup),
            )
        )
    if parts.raw:
        cols = [getattr(Response, c) for c in by]
        statements.append(
            select(
                *cols,
                *class_sums(Response.score),
            )
            .where(
                or_(*(r.clause(Response.submitted_at) for r in parts.raw)),
                *filters.clauses(Response),
            )
            .group_by(*cols)
        )
    totals: dict[GroupKey, list[int]] = defaultdict(lambda: [0, 0, 0])
    for stmt in statements:
        for row in session.execute(stmt):
            key = tuple(row[: len(by)])
            acc = totals[key]
            for i in range(3):
                acc[i] += int(row[len(by) + i] or 0)
    return {k: (p, pa, d) for k, (p, pa, d) in totals.items() if p + pa + d > 0}


def daily_counts(
    session: Session,
    by: Sequence[str],
    first_day: dt.date,
    last_day: dt.date,
    filters: Filters = Filters(),
) -> dict[GroupKey, dict[dt.date, Counts]]:
    """Counts per group and UTC day for first_day..last_day inclusive, from daily rollups."""
    lo = dt.datetime.combine(first_day, dt.time(), dt.UTC)
    hi = dt.datetime.combine(last_day, dt.time(), dt.UTC) + DAY
    return _bucket_counts(session, by, "d", lo, hi, dt.UTC, filters)


def _bucket_counts(
    session: Session,
    by: Sequence[str],
    grain: str,
    lo: dt.datetime,
    hi: dt.datetime,
    tz: dt.tzinfo,
    filters: Filters,
) -> dict[GroupKey, dict[dt.date, Counts]]:
    """Counts per group and day of the *grain* rollups beginning in [lo, hi); a bucket's day
    is the day in *tz* of its first instant."""
    _check_by(by)
    stmt = (
        _rollup_counts([*by, "bucket"])
        .where(Rollup.grain == grain, Rollup.bucket >= lo, Rollup.bucket < hi)
        .where(*filters.clauses(Rollup))
    )
    result: dict[GroupKey, dict[dt.date, Counts]] = defaultdict(dict)
    for row in session.execute(stmt):
        key, bucket = tuple(row[: len(by)]), row[len(by)]
        p, pa, d = (int(v or 0) for v in row[len(by) + 1 :])
        if p + pa + d:
            # Summed: two buckets of one day (a zone's rules changed) count together.
            day = bucket.astimezone(tz).date()
            before = result[key].get(day, (0, 0, 0))
            result[key][day] = (before[0] + p, before[1] + pa, before[2] + d)
    return dict(result)


def local_daily_counts(
    session: Session,
    by: Sequence[str],
    first_day: dt.date,
    last_day: dt.date,
    tz: dt.tzinfo,
    filters: Filters = Filters(),
) -> dict[GroupKey, dict[dt.date, Counts]]:
    """Counts per group and local day of *tz* for first_day..last_day inclusive.

    A local day is [midnight, next midnight) in *tz* (23 or 25 hours across a
    clock change). In UTC, and in the zone the store keeps local days of
    (:mod:`dashapp.store.local_zone`, the configured display zone), each day is
    one rollup bucket; in another zone, :func:`exact_local_daily_counts`.
    """
    if local_days.is_utc(tz):
        return daily_counts(session, by, first_day, last_day, filters)
    name = getattr(tz, "key", None)
    if name is not None and name == local_zone.read(session):
        lo, hi = local_days.midnight(first_day, tz), local_days.midnight(last_day + DAY, tz)
        found = _bucket_counts(session, by, "l", lo, hi, tz, filters)
        # Read in two statements: a change of zone committed between them is noticed.
        if local_zone.read(session) == name:
            return found
    return exact_local_daily_counts(session, by, first_day, last_day, tz, filters)


def exact_local_daily_counts(
    session: Session,
    by: Sequence[str],
    first_day: dt.date,
    last_day: dt.date,
    tz: dt.tzinfo,
    filters: Filters = Filters(),
) -> dict[GroupKey, dict[dt.date, Counts]]:
    """:func:`local_daily_counts` of any zone, without the store's local-day rollups.

    Each local day is read as the UTC days between the UTC midnights nearest its
    two ends (daily rollups), corrected at each end by the few hours between the
    local and the UTC midnight (hourly rollups) and, in a zone off the whole
    hour, the part-hours there (raw rows): a few hourly buckets per day more
    than UTC, and raw rows that grow with the responses per hour.
    """
    span = [first_day + DAY * i for i in range((last_day - first_day).days + 1)]
    edges = [local_days.midnight(day, tz) for day in [*span, last_day + DAY]]
    # The UTC midnight nearest each edge: ends differ from it by 12 hours at most.
    anchors = [_floor(edge + dt.timedelta(hours=12), DAY) for edge in edges]
    utc = daily_counts(session, by, anchors[0].date(), anchors[-1].date() - DAY, filters)
    # A local day = its UTC days [a_i, a_i+1), plus [e_i, a_i), minus [e_i+1, a_i+1):
    # pieces with e < a are added, with a < e subtracted (telescoping, exact).
    pieces = [(min(e, a), max(e, a)) for e, a in zip(edges, anchors, strict=True)]
    signs = [1 if e <= a else -1 for e, a in zip(edges, anchors, strict=True)]
    piece_counts = _span_counts(session, by, pieces, filters)
    result: dict[GroupKey, dict[dt.date, Counts]] = defaultdict(dict)
    keys = set(utc) | {key for found in piece_counts for key in found}
    for key in keys:
        by_utc_day = utc.get(key, {})
        for i, day in enumerate(span):
            acc = [0, 0, 0]
            utc_day = anchors[i].date()
            while utc_day < anchors[i + 1].date():
                for j, value in enumerate(by_utc_day.get(utc_day, (0, 0, 0))):
                    acc[j] += value
                utc_day += DAY
            for index, sign in ((i, signs[i]), (i + 1, -signs[i + 1])):
                for j, value in enumerate(piece_counts[index].get(key, (0, 0, 0))):
                    acc[j] += sign * value
            if any(acc):
                result[key][day] = (acc[0], acc[1], acc[2])
    return dict(result)


def _span_counts(
    session: Session,
    by: Sequence[str],
    spans: Sequence[tuple[dt.datetime, dt.datetime]],
    filters: Filters,
) -> list[dict[GroupKey, Counts]]:
    """Counts per group of each half-open span [lo, hi): whole hours from hourly rollups,
    the part-hours at the ends from raw rows; two statements for all spans together."""
    found: list[dict[GroupKey, list[int]]] = [defaultdict(lambda: [0, 0, 0]) for _ in spans]
    hour_of: dict[dt.datetime, list[int]] = defaultdict(list)
    raw: list[tuple[int, dt.datetime, dt.datetime]] = []
    for index, (lo, hi) in enumerate(spans):
        if lo >= hi:
            continue
        h1 = lo if _floor(lo, HOUR) == lo else _after(lo, HOUR)
        h2 = _floor(hi, HOUR)
        if h1 >= h2:
            raw.append((index, lo, hi))
            continue
        hour = h1
        while hour < h2:
            hour_of[hour].append(index)
            hour += HOUR
        if lo < h1:
            raw.append((index, lo, h1))
        if h2 < hi:
            raw.append((index, h2, hi))
    hours = sorted(hour_of)
    # A statement's parameters are limited (65,535 on PostgreSQL): years of edges go in parts.
    for first in range(0, len(hours), HOURS_PER_STATEMENT):
        stmt = (
            _rollup_counts([*by, "bucket"])
            .where(
                Rollup.grain == "h",
                Rollup.bucket.in_(hours[first : first + HOURS_PER_STATEMENT]),
            )
            .where(*filters.clauses(Rollup))
        )
        for row in session.execute(stmt):
            key, bucket = tuple(row[: len(by)]), row[len(by)]
            for index in hour_of.get(bucket, ()):
                acc = found[index][key]
                for j in range(3):
                    acc[j] += int(row[len(by) + 1 + j] or 0)
    cols = [getattr(Response, c) for c in by]
    # One index range scan per part-hour (an OR of them all made SQLite scan the table),
    # as UNION ALLs of at most RAW_PARTS_PER_STATEMENT (SQLite allows 500 compound terms).
    for first in range(0, len(raw), RAW_PARTS_PER_STATEMENT):
        parts = [
            # The part's index as a plain integer (typed: PostgreSQL must know it in a UNION).
            select(literal_column(str(int(index))), *cols, *class_sums(Response.score))
            .where(Response.submitted_at >= lo, Response.submitted_at < hi)
            .where(*filters.clauses(Response))
            .group_by(*cols)
            for index, lo, hi in raw[first : first + RAW_PARTS_PER_STATEMENT]
        ]
        for row in session.execute(union_all(*parts)):
            acc = found[row[0]][tuple(row[1 : 1 + len(by)])]
            for j in range(3):
                acc[j] += int(row[1 + len(by) + j] or 0)
    return [{key: (c[0], c[1], c[2]) for key, c in spans_found.items()} for spans_found in found]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A response with a comment, as the live feed shows it."""

    id: int
    submitted_at: dt.datetime
    brand: str
    country: str
    touchpoint: str
    score: int
    comment: str
    language: str | None


FEED_COLUMNS = (*RESPONSE_HEAD, Response.comment, Response.language)


def feed(
    session: Session,
    limit: int = 50,
    filters: Filters = Filters(),
    before: tuple[dt.datetime, int] | None = None,
    max_score: int | None = None,
) -> list[FeedItem]:
    """The newest commented responses, newest first; *before* pages back by (submitted_at, id).

    ``max_score=6`` keeps detractors only.
    """
    stmt = (
        select(*FEED_COLUMNS)
        .where(Response.comment.is_not(None), *filters.clauses(Response))
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(tuple_(Response.submitted_at, Response.id) < before)
    if max_score is not None:
        stmt = stmt.where(Response.score <= max_score)
    # The select's columns are FeedItem's fields, in order.
    return [FeedItem(*row) for row in session.execute(stmt)]  # type: ignore[arg-type]


def comments_between(
    session: Session,
    start: dt.datetime,
    end: dt.datetime,
    filters: Filters = Filters(),
    *,
    min_score: int = 0,
    max_score: int = 10,
    limit: int = 50,
) -> list[FeedItem]:
    """Commented responses with start < submitted_at <= end and a score in min..max, newest first.

    The window is the engine's (start, end], so a day's comments are the ones its
    figures count; one index range scan from *end* backwards, however busy the day.
    """
    stmt = (
        select(*FEED_COLUMNS)
        .where(
            Response.comment.is_not(None),
            Response.submitted_at > start,
            Response.submitted_at <= end,
            Response.score.between(min_score, max_score),
            *filters.clauses(Response),
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
    )
    # The select's columns are FeedItem's fields, in order.
    return [FeedItem(*row) for row in session.execute(stmt)]  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Selection:
    """What a drill-down view shows: filters, (start, end] in UTC, a score class, words."""

    filters: Filters = Filters()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    #: "promoter", "passive", "detractor" or "" for all.
    score_class: str = ""
    #: Case-insensitive words the comment must contain.
    text: str = ""
    #: A label id the response must carry ("" for any).
    label: str = ""
    #: List order: "new" (newest first), "low" or "high" (by score, then newest).
    sort: str = "new"

    def clauses(self, on: type[Response] | type[ResponseLabel] = Response) -> list[Any]:
        """WHERE clauses for this selection, on responses or (joined to them) on label rows.

        On label rows, the label's and the filters' clauses apply to the copies
        the label rows keep, so that their index answers them.
        """
        clauses = self.filters.clauses(on)
        if self.start is not None:
            clauses.append(on.submitted_at > self.start)
        if self.end is not None:
            clauses.append(on.submitted_at <= self.end)
        low, high = SCORE_CLASSES.get(self.score_class, (0, 10))
        if (low, high) != (0, 10):
            clauses.append(on.score.between(low, high))
        if self.text:
            # autoescape: a "%" or "_" typed by a person is a character, not a wildcard.
            clauses.append(
                func.lower(Response.comment).contains(self.text.lower(), autoescape=True)
            )
        if self.label and on is ResponseLabel:
            clauses.append(ResponseLabel.label == self.label)
        elif self.label:
            clauses.append(
                exists().where(
                    ResponseLabel.response_id == Response.id, ResponseLabel.label == self.label
                )
            )
        return clauses


SCORE_CLASSES = {score_class.value: bounds for score_class, bounds in BOUNDS.items()}
SORTS = ("new", "low", "high")
#: Where a page ended: (submitted_at, id), or (score, submitted_at, id) for score orders.
Position = tuple[dt.datetime, int] | tuple[int, dt.datetime, int]


@dataclass(frozen=True, slots=True)
class ResponseRow:
    """One response as the drill-down list and the data exports show it (unmasked)."""

    id: int
    source: str
    external_id: str
    submitted_at: dt.datetime
    brand: str
    country: str
    touchpoint: str
    score: int
    comment: str | None
    language: str | None


def responses_page(
    session: Session,
    selection: Selection,
    *,
    limit: int = 50,
    before: Position | None = None,
) -> list[ResponseRow]:
    """Up to *limit* responses of *selection* in its order, after position *before* (keyset).

    Newest first is one index range scan on (submitted_at, id). A score order
    walks the scores one at a time (there are eleven), each newest first on
    (score, submitted_at, id), until the page is full. No OFFSET and no sort
    of the selection, so page 1,000 costs what page 1 costs.
    """
    if selection.sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    if selection.sort == "new":
        return _newest(session, selection, limit, before)  # type: ignore[arg-type]
    low, high = SCORE_CLASSES.get(selection.score_class, (0, 10))
    ascending = selection.sort == "low"
    found: list[ResponseRow] = []
    for score in range(low, high + 1) if ascending else range(high, low - 1, -1):
        after: tuple[dt.datetime, int] | None = None
        if before is not None:
            at_score, at, ident = before  # type: ignore[misc]
            if score < at_score if ascending else score > at_score:
                continue  # that score's pages came before the position
            if score == at_score:
                after = (at, ident)
        found += _newest(session, selection, limit - len(found), after, score)
        if len(found) == limit:
            break
    return found


def _newest(
    session: Session,
    selection: Selection,
    limit: int,
    before: tuple[dt.datetime, int] | None,
    score: int | None = None,
) -> list[ResponseRow]:
    """Up to *limit* of the selection's responses (of *score* only, if given), newest first."""
    if before is not None:
        # The position is the one upper bound on time (the window's end too would be a
        # second: SQLite bounds its index range by one of two, and by the window's end a
        # deep page would read every row newer than the position).
        end = before[0] if selection.end is None else min(selection.end, before[0])
        selection = replace(selection, end=end)
    stmt = select(Response.id, Response.source, Response.external_id, *FEED_COLUMNS[1:])
    # A label's responses are found on the label rows' own index, which keeps the
    # responses' times and filter columns: only the page's responses are read.
    on: type[Response] | type[ResponseLabel] = Response
    at_column, id_column = Response.submitted_at, Response.id
    if selection.label:
        on = ResponseLabel
        stmt = stmt.join(ResponseLabel, ResponseLabel.response_id == Response.id)
        at_column, id_column = ResponseLabel.submitted_at, ResponseLabel.response_id
    clauses = selection.clauses(on)
    if score is not None:
        clauses.append(on.score == score)
    if before is not None:
        at, ident = before
        # Ties at the position's instant, spelt out rather than as a row comparison
        # so that SQLite starts its index scan at the position.
        clauses.append(or_(at_column < at, and_(at_column == at, id_column < ident)))
    stmt = stmt.where(*clauses).order_by(at_column.desc(), id_column.desc()).limit(limit)
    return [ResponseRow(*row) for row in session.execute(stmt)]


def position(row: ResponseRow, sort: str) -> Position:
    """The keyset position just after *row* in the order *sort*."""
    if sort == "new":
        return (row.submitted_at, row.id)
    return (row.score, row.submitted_at, row.id)


def dimensions(session: Session) -> dict[str, list[str]]:
    """The brands, countries and touchpoints the store has, from the daily rollups."""
    # One pass over the daily rollups for the few hundred cells, not one per column.
    cells = session.execute(
        select(*(getattr(Rollup, name) for name in GROUP_COLUMNS))
        .where(Rollup.grain == "d")
        .distinct()
    ).all()
    # As a reader orders names, on every store alike ("casa" beside "Casa"): case folded,
    # then as written (SQL's order would follow each database's collation).
    return {
        name: sorted({cell[i] for cell in cells}, key=lambda v: (v.casefold(), v))
        for i, name in enumerate(GROUP_COLUMNS)
    }


def _check_by(by: Sequence[str]) -> None:
    unknown = [c for c in by if c not in GROUP_COLUMNS and c != "bucket"]
    if unknown:
        raise ValueError(f"cannot group by {', '.join(unknown)}; choose from {GROUP_COLUMNS}")
