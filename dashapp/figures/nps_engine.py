"""The NPS engine: the query layer that callbacks, the API and the CLI call.

Results are cached under the store's data version, so every screen and every
worker shares one computation per data change; a new response changes the
version and with it every key (no timers to tune). With a Redis cache the
sharing spans processes and hosts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import pickle
import time
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from flask_caching.backends import BaseCache
from sqlalchemy.orm import Session, sessionmaker

from dashapp import i18n
from dashapp.i18n import days as local_days
from dashapp.labels import queries as label_queries
from dashapp.labels import store as label_store
from dashapp.labels.stats import LabelStat, label_stats
from dashapp.labels.taxonomy import Taxonomy
from dashapp.metrics import annotations as marks
from dashapp.metrics import nps, queries
from dashapp.metrics.annotations import Mark
from dashapp.metrics.params import resolve_filters
from dashapp.metrics.queries import Counts, Filters
from dashapp.metrics.windows import (
    MAIN_DAYS,
    SHORT_DAYS,
    VOLUME_DAYS,
    default_as_of,
    span,
    start_of,
)
from dashapp.store import counters as versions
from dashapp.store import translations as comment_translations

if TYPE_CHECKING:
    # Discovery brings scikit-learn: imported when themes are asked for, not with the engine
    # (the `nps` command and the wall's figures never need it).
    from dashapp.labels.discovered import ThemeView

T = TypeVar("T")
CACHE_TTL = 24 * 3600
#: The key part that names the last version built (served while a newer one is built).
LATEST = "latest"
#: How long one caller may build before another may try (if the first died mid-way).
BUILD_SECONDS = 30


@dataclass(slots=True)
class Freshness:
    """Whether one unit of work (a web request) was served a result of an older data version."""

    stale: bool = False


# A mutable marker, not a flag: Dash runs callbacks in a copy of the request's
# context, where setting a variable would not reach the request, but marking the
# object it holds does.
_freshness: ContextVar[Freshness | None] = ContextVar("feedbackwall_freshness", default=None)


def watch_freshness() -> Freshness:
    """Watch, from now on in this context, whether an older version is served; read ``.stale``."""
    marker = Freshness()
    _freshness.set(marker)
    return marker


@dataclass(frozen=True, slots=True)
class GroupNps:
    """The NPS of one group, e.g. {"brand": "Velora", "country": "DE"}."""

    group: dict[str, str]
    nps: nps.Nps


@dataclass(frozen=True, slots=True)
class RollingPoint:
    """Trailing-window NPS at the end of one UTC day (the N days ending with *day*)."""

    group: dict[str, str]
    day: dt.date
    window: int
    nps: nps.Nps


@dataclass(frozen=True, slots=True)
class Drop:
    """A cell whose NPS fell significantly: where, from what, to what."""

    group: dict[str, str]
    current: nps.Nps
    previous: nps.Nps
    change: nps.Change


def trailing(by_day: dict[dt.date, Counts], days: Sequence[dt.date], window: int) -> list[Counts]:
    """Sums of counts over the *window* days ending with each of *days* (pure).

    *days* must be consecutive; a sliding sum keeps this linear in len(days).
    """
    if not days:
        return []
    zero = (0, 0, 0)
    p = pa = d = 0
    first = days[0]
    for i in range(window):
        c = by_day.get(first - dt.timedelta(days=i), zero)
        p, pa, d = p + c[0], pa + c[1], d + c[2]
    out = [(p, pa, d)]
    for day in days[1:]:
        add = by_day.get(day, zero)
        drop = by_day.get(day - dt.timedelta(days=window), zero)
        p, pa, d = p + add[0] - drop[0], pa + add[1] - drop[1], d + add[2] - drop[2]
        out.append((p, pa, d))
    return out


class NpsEngine:
    """Cached NPS figures over the store."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        cache: BaseCache,
        *,
        min_n: int = 10,
        watch: versions.Watch | None = None,
        zone: str = local_days.UTC_NAME,
    ) -> None:
        self.sessions = sessions
        self.cache = cache
        self.watch = watch or versions.Watch(sessions)
        self.min_n = min_n
        #: The display time zone: the days of rolling and volume series.
        self.zone_name = zone
        self.zone = local_days.zone(zone)

    def data_version(self) -> int:
        """The store's data version as this process last read it (at most a second ago)."""
        return self.watch.current().data

    @staticmethod
    def _key(name: str, version: int | str, params: tuple[Any, ...]) -> str:
        digest = hashlib.blake2b(pickle.dumps(params), digest_size=12).hexdigest()
        return f"fw:{name}:{version}:{digest}"

    def _cached(self, name: str, params: tuple[Any, ...], compute: Callable[[Session], T]) -> T:
        # A query result, asked for by one view or inside a panel's build: no build lock
        # (its two round trips would cost more than the rare duplicate query).
        key = self._key(name, self.data_version(), params)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        with self.sessions() as session:
            value = compute(session)
        self.cache.set(key, value, timeout=CACHE_TTL)
        return value

    def memo_key(self, name: str, version: int | str, params: tuple[Any, ...]) -> str:
        """The cache key of :meth:`memo`'s result for *params* under *version*.

        Panels hold text and days: the reader's language and the display zone are
        part of every panel's key, whatever the caller passed.
        """
        return self._key(name, version, (*params, i18n.current(), self.zone_name))

    def memo(
        self,
        name: str,
        params: tuple[Any, ...],
        build: Callable[[], T],
        *,
        settle: float = 0.0,
        settles: Callable[[T], bool] | None = None,
        lineage: tuple[Any, ...] | None = None,
    ) -> T:
        """*build()*, computed once per data version and *params*, then shared by every caller.

        For finished panels: a screen's refresh then costs a cache lookup, not
        building figures. *params* must hold everything the result depends on.

        One caller at a time builds a new version (across processes when the
        cache is shared); callers arriving meanwhile get the last version built
        for these *params* rather than waiting or building it again (and the
        request is marked so that its answer is not kept as the new version's,
        see :func:`watch_freshness`). With nothing built before, they build too.

        *settle* (seconds): a build stands for newer data versions until that long
        after it began, so a stream of new responses costs one build per settle
        time, not one per response; unless *settles(result)* says it must not
        (a panel that showed nothing waits for nothing).

        *lineage*: the part of *params* whose last build may stand in for these
        (default all of them): a panel whose window moves on each minute is served
        the last minute's while one caller builds the new one.
        """
        seen = self.watch.current()
        key = self.memo_key(name, seen.data, params)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        latest = self.memo_key(name, LATEST, params if lineage is None else lineage)
        # A settled build stands only until data already shown changes (an erasure, a
        # label, an annotation): the edit counter is part of its key.
        settled = f"{latest}:settled:{seen.edits}" if settle > 0 else ""
        if settled:
            # (when the build began, the build): one value, so no other build's time
            # can pair with it. Clocks of hosts sharing the cache are assumed NTP-close.
            kept = self.cache.get(settled)
            if isinstance(kept, tuple) and 0 <= time.time() - kept[0] < settle:
                return cast(T, kept[1])
        building = f"{key}:building"
        if self.cache.add(building, 1, timeout=BUILD_SECONDS):
            began = time.time()
            try:
                value = build()
                kept_values: dict[str, Any] = {key: value, latest: value}
                # Only a build that may stand is kept as settled; any other is due at once.
                if settled:
                    may = settles is None or settles(value)
                    kept_values[settled] = (began, value) if may else None
                self.cache.set_many(kept_values, timeout=CACHE_TTL)
            finally:
                self.cache.delete(building)
            return value
        stale = self.cache.get(latest)
        if stale is None:
            return build()
        marker = _freshness.get()
        if marker is not None:
            marker.stale = True
        return stale

    def _nps(self, counts: Counts) -> nps.Nps:
        return nps.compute(*counts, min_n=self.min_n)

    def nps_by(
        self,
        by: Sequence[str] = (),
        *,
        window: int = MAIN_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
        start: dt.datetime | None = None,
    ) -> list[GroupNps]:
        """NPS per group over (as_of - window days, as_of], sorted by group.

        *start*, if given, replaces as_of - window days (local days: a daylight-saving
        day is 23 or 25 hours). Groups without responses are absent; groups with fewer
        than min_n are present and marked ``too_small``.
        """
        end = as_of or default_as_of()
        start = start or start_of(end, window)
        counts = self._cached(
            "counts",
            (tuple(by), start, end, filters),
            lambda s: queries.counts(s, by, start, end, filters),
        )
        return [
            GroupNps(dict(zip(by, key, strict=True)), self._nps(c))
            for key, c in sorted(counts.items())
        ]

    def total(
        self,
        *,
        window: int = MAIN_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
        start: dt.datetime | None = None,
    ) -> nps.Nps:
        """NPS over everything the filters select in the window (or (start, as_of])."""
        rows = self.nps_by((), window=window, as_of=as_of, filters=filters, start=start)
        return rows[0].nps if rows else self._nps((0, 0, 0))

    def annotations(
        self, *, days: int = 90, as_of: dt.datetime | None = None, filters: Filters = Filters()
    ) -> list[Mark]:
        """Annotations over the *days* UTC days to as_of's day that charts of *filters* show."""
        last = (as_of or dt.datetime.now(dt.UTC)).date()
        first = last - dt.timedelta(days=days - 1)
        return self._cached(
            "annotations",
            (first, last, filters),
            lambda session: marks.between(session, first, last, filters),
        )

    def around(
        self, mark: Mark, *, days: int = 14, filters: Filters = Filters()
    ) -> tuple[nps.Nps, nps.Nps, nps.Change]:
        """NPS of the *days* days before *mark* against the *days* after it, and the test.

        Before: the days up to its first day (excluded); after: from the day after its
        last. The annotated days themselves count on neither side.
        """
        start = dt.datetime.combine(mark.starts_on, dt.time(), dt.UTC)
        end = dt.datetime.combine(mark.ends_on, dt.time(), dt.UTC) + dt.timedelta(days=1)
        before = self.total(window=days, as_of=start, filters=filters)
        after = self.total(window=days, as_of=end + dt.timedelta(days=days), filters=filters)
        return before, after, nps.compare(after, before)

    def rolling(
        self,
        by: Sequence[str] = (),
        *,
        window: int = MAIN_DAYS,
        days: int = 120,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
    ) -> list[RollingPoint]:
        """Daily points of the trailing *window*-day NPS for the *days* local days up to as_of.

        The point for day D covers the local days (display zone) D-window+1..D; the last
        day may be partial.
        """
        last = local_days.today(self.zone, as_of)
        first = last - dt.timedelta(days=days - 1)
        lookback = first - dt.timedelta(days=window - 1)
        span = [first + dt.timedelta(days=i) for i in range(days)]

        def compute(session: Session) -> list[RollingPoint]:
            per_group = queries.local_daily_counts(session, by, lookback, last, self.zone, filters)
            points = []
            for key, by_day in sorted(per_group.items()):
                group = dict(zip(by, key, strict=True))
                for day, counts in zip(span, trailing(by_day, span, window), strict=True):
                    if sum(counts):
                        points.append(RollingPoint(group, day, window, self._nps(counts)))
            return points

        # The finished points are cached, not the day counts: a cached call costs a lookup.
        return self._cached(
            "rolling", (tuple(by), window, first, last, filters, self.zone_name), compute
        )

    def change(
        self,
        *,
        window: int = MAIN_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
    ) -> tuple[nps.Nps, nps.Nps, nps.Change]:
        """This window's NPS, the previous window's, and whether the move is significant."""
        end = as_of or default_as_of()
        current = self.total(window=window, as_of=end, filters=filters)
        previous = self.total(window=window, as_of=start_of(end, window), filters=filters)
        return current, previous, nps.compare(current, previous)

    def daily_volume(
        self,
        *,
        days: int = VOLUME_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
    ) -> list[tuple[dt.date, Counts]]:
        """(local day, counts) for the *days* days up to as_of's local day (display zone),
        oldest first, gaps as zeros."""
        last = local_days.today(self.zone, as_of)
        first = last - dt.timedelta(days=days - 1)

        def compute(session: Session) -> list[tuple[dt.date, Counts]]:
            found = queries.local_daily_counts(session, (), first, last, self.zone, filters)
            by_day = found.get((), {})
            span = (first + dt.timedelta(days=i) for i in range(days))
            return [(day, by_day.get(day, (0, 0, 0))) for day in span]

        return self._cached("volume", (first, last, filters, self.zone_name), compute)

    def feed(
        self, *, limit: int = 50, filters: Filters = Filters(), max_score: int | None = None
    ) -> list[queries.FeedItem]:
        """The newest commented responses, newest first (``max_score=6``: detractors only)."""
        return self._cached(
            "feed",
            (limit, filters, max_score),
            lambda s: queries.feed(s, limit=limit, filters=filters, max_score=max_score),
        )

    def comments_between(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        filters: Filters = Filters(),
        min_score: int = 0,
        max_score: int = 10,
        limit: int = 50,
    ) -> list[queries.FeedItem]:
        """Commented responses submitted in (start, end], scores min..max, newest first."""
        return self._cached(
            "comments_between",
            (start, end, filters, min_score, max_score, limit),
            lambda s: queries.comments_between(
                s, start, end, filters, min_score=min_score, max_score=max_score, limit=limit
            ),
        )

    def dimensions(self) -> dict[str, list[str]]:
        """The brands, countries and touchpoints in the store."""
        return self._cached("dimensions", (), queries.dimensions)

    def resolve(self, filters: Filters) -> tuple[Filters, tuple[str, ...]]:
        """*filters* spelled as the store has them, and what names nothing it has (see
        :func:`dashapp.metrics.params.resolve_filters`; pages, exports and the API all ask here)."""
        if not (filters.brand or filters.country or filters.touchpoint):
            return filters, ()
        return resolve_filters(filters, self.dimensions())

    def responses(
        self,
        selection: queries.Selection,
        *,
        limit: int = 50,
        before: queries.Position | None = None,
    ) -> list[queries.ResponseRow]:
        """One keyset page of the selection's responses, newest first."""
        return self._cached(
            "responses",
            (selection, limit, before),
            lambda s: queries.responses_page(s, selection, limit=limit, before=before),
        )

    def selection_nps(self, selection: queries.Selection, by: Sequence[str] = ()) -> list[GroupNps]:
        """NPS per group over the selection's time range, filters and label (not class or words)."""
        start, end = span(selection.start, selection.end)

        def compute(session: Session) -> dict[tuple[str, ...], Counts]:
            if not selection.label:
                return queries.counts(session, by, start, end, selection.filters)
            found = label_queries.label_counts(
                session, start, end, selection.filters, by=by, label=selection.label
            )
            return {key[1:]: (c[0], c[1], c[2]) for key, c in found.items()}

        counts = self._cached(
            "selection", (tuple(by), start, end, selection.filters, selection.label), compute
        )
        return [
            GroupNps(dict(zip(by, key, strict=True)), self._nps(c))
            for key, c in sorted(counts.items(), key=lambda kv: -sum(kv[1]))
        ]

    def labels(
        self,
        *,
        window: int = MAIN_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
    ) -> list[LabelStat]:
        """Figures per label over (as_of - window days, as_of], against the window before."""
        end = as_of or default_as_of()
        return self.labels_between(start_of(end, window), end, filters=filters)

    def labels_between(
        self, start: dt.datetime, end: dt.datetime, *, filters: Filters = Filters()
    ) -> list[LabelStat]:
        """Figures per label over (start, end], against the as long period before it."""
        before = start - (end - start)

        def compute(session: Session) -> list[LabelStat]:
            _, taxonomy = label_store.current(session)
            now = {
                k[0]: c for k, c in label_queries.label_counts(session, start, end, filters).items()
            }
            earlier = {
                k[0]: c
                for k, c in label_queries.label_counts(session, before, start, filters).items()
            }
            total = queries.counts(session, (), start, end, filters).get((), (0, 0, 0))
            return label_stats(taxonomy, now, earlier, total, min_n=self.min_n)

        # Label names are in the reader's language.
        return self._cached("labels", (start, end, filters, i18n.current()), compute)

    def response_labels(self, ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
        """The stored (label, sentiment) pairs of each response id (labelled ones only)."""
        return self._cached(
            "response_labels", (tuple(ids),), lambda s: label_store.labels_of(s, ids)
        )

    def translations(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """(translation, source language) of each response id's comment in the reader's
        language, where the translation job made one."""
        language = i18n.current()
        return self._cached(
            "translations",
            (tuple(ids), language),
            lambda s: comment_translations.read(s, ids, language),
        )

    def themes(self, scope: str = "unlabelled") -> list[ThemeView]:
        """The latest discovered themes of *scope*, largest first."""
        from dashapp.labels.discovered import latest as latest_themes

        return self._cached("themes", (scope,), lambda s: latest_themes(s, scope))

    def relabel_progress(self) -> float | None:
        """0..1 while stored comments are being relabelled after a taxonomy change, else None."""
        return self._cached("relabel_progress", (), label_store.relabel_progress)

    def taxonomy(self) -> Taxonomy:
        """The label taxonomy in force."""
        return self._cached("taxonomy", (), lambda s: label_store.current(s)[1])

    def drops(
        self,
        by: Sequence[str] = ("brand", "country"),
        *,
        window: int = SHORT_DAYS,
        as_of: dt.datetime | None = None,
        filters: Filters = Filters(),
    ) -> list[Drop]:
        """Cells whose NPS fell significantly against the previous window, worst first.

        Uses the engine's difference test; cells below min_n never qualify.
        """
        end = as_of or default_as_of()
        before = start_of(end, window)
        current = {
            tuple(r.group.values()): r
            for r in self.nps_by(by, window=window, as_of=end, filters=filters)
        }
        previous = {
            tuple(r.group.values()): r.nps
            for r in self.nps_by(by, window=window, as_of=before, filters=filters)
        }
        found = []
        for key, row in current.items():
            if key not in previous:
                continue
            change = nps.compare(row.nps, previous[key])
            if change.significant and change.delta is not None and change.delta < 0:
                found.append(Drop(row.group, row.nps, previous[key], change))
        return sorted(found, key=lambda d: d.change.z or 0.0)


def rounded(value: float | None) -> float | None:
    """One decimal, as figures are published; None stays None."""
    if value is None or math.isnan(value):
        return None
    # Adding 0.0 turns -0.0 into 0.0, which reads better in a CSV.
    return round(value, 1) + 0.0
