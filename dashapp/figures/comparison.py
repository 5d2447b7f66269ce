"""Two brands, countries or touchpoints side by side, or a period against the one before.

One definition serves the compare page, its chart export and its data export,
so the file a manager downloads says exactly what the page said.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from dashapp.figures import charts as figures
from dashapp.figures.nps_engine import NpsEngine, RollingPoint, rounded
from dashapp.figures.table import FIGURE_COLUMNS
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.metrics.nps import Change, Nps, compare
from dashapp.metrics.params import BadParameter, parse_window, reader
from dashapp.metrics.queries import Filters
from dashapp.metrics.windows import default_as_of, start_of

DIMENSIONS = ("brand", "country", "touchpoint")
TREND_DAYS = 90


@dataclass(frozen=True, slots=True)
class Ask:
    """What to compare: A (and B) of one dimension over the last *window* days."""

    by: str
    a: str
    b: str
    window: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """Both sides' NPS, their difference test and their trends, as of *end* (UTC)."""

    ask: Ask
    end: dt.datetime
    titles: tuple[str, str]
    first: Nps
    second: Nps
    change: Change
    trends: tuple[tuple[str, list[RollingPoint]], ...]
    #: What A or B names that the store does not have (see NpsEngine.resolve).
    notes: tuple[str, ...] = ()


def parse_ask(get: Callable[[str], str | None] | Mapping[str, str]) -> Ask | None:
    """The comparison a query asks for; None until A is chosen; BadParameter names the field."""
    read = reader(get)
    by = read("by") or "brand"
    if by not in DIMENSIONS:
        raise BadParameter("by", f"compare by one of {', '.join(DIMENSIONS)}, not {by!r}")
    window = parse_window(read("window"))
    a, b = (read("a") or "").strip(), (read("b") or "").strip()
    return Ask(by, a, b, window) if a else None


def require_ask(get: Callable[[str], str | None] | Mapping[str, str]) -> Ask:
    """Like :func:`parse_ask`, for exports: a comparison must be named (BadParameter on "a")."""
    ask = parse_ask(get)
    if ask is None:
        raise BadParameter("a", "choose what to compare (a=..., and b=... or nothing)")
    return ask


def build(engine: NpsEngine, ask: Ask, end: dt.datetime | None = None) -> Comparison:
    """Compute the comparison: with B, A against B; without, A against its previous window."""
    end = end or default_as_of()
    # A and B as the store spells them ("de" is DE), and what names nothing there.
    one, notes = engine.resolve(Filters(**{ask.by: (ask.a,)}))
    other, more = engine.resolve(Filters(**{ask.by: (ask.b,)})) if ask.b else (one, ())
    ask = Ask(
        ask.by, getattr(one, ask.by)[0], getattr(other, ask.by)[0] if ask.b else "", ask.window
    )
    first = engine.total(window=ask.window, as_of=end, filters=one)
    if ask.b:
        titles = (
            _("A: %(side)s, last %(days)s days", side=ask.a, days=ask.window),
            _("B: %(side)s, last %(days)s days", side=ask.b, days=ask.window),
        )
        second = engine.total(window=ask.window, as_of=end, filters=other)
        sides: tuple[tuple[str, Filters], ...] = ((ask.a, one), (ask.b, other))
    else:
        titles = (
            _("A: %(side)s, last %(days)s days", side=ask.a, days=ask.window),
            _("B: %(side)s, the %(days)s days before", side=ask.a, days=ask.window),
        )
        before = start_of(end, ask.window)
        second = engine.total(window=ask.window, as_of=before, filters=one)
        sides = ((ask.a, one),)
    trends = tuple(
        (name, engine.rolling((ask.by,), window=ask.window, days=TREND_DAYS, as_of=end, filters=f))
        for name, f in sides
    )
    return Comparison(
        ask, end, titles, first, second, compare(first, second), trends, (*notes, *more)
    )


def verdict(first: Nps, second: Nps) -> str:
    """What a person should conclude from A against B (pure)."""
    change = compare(first, second)
    if change.delta is None:
        return _("Nothing to compare yet.")
    gap = _("A − B = %(delta)s points", delta=formats.signed_decimal(change.delta))
    z = formats.signed_decimal(change.z or 0.0, digits=2)
    if first.too_small or second.too_small:
        return _("%(gap)s, but one side has too few responses to tell.", gap=gap)
    if change.significant:
        return _("%(gap)s: a real difference (z = %(z)s, 95%% level).", gap=gap, z=z)
    return _("%(gap)s: within noise (z = %(z)s); do not read a winner into it.", gap=gap, z=z)


def trends_figure(comparison: Comparison) -> go.Figure:
    """Each side's rolling NPS over the last 90 days."""
    fig = figures.figure()
    for name, points in comparison.trends:
        fig.add_trace(
            go.Scatter(
                _validate=figures.CHECKED,
                x=[p.day for p in points],
                y=[p.nps.nps for p in points],
                mode="lines",
                name=name,
            )
        )
    return figures.day_axis(figures.style(fig))


def title(comparison: Comparison) -> str:
    """A chart title naming both sides."""
    return _("%(a)s vs %(b)s", a=comparison.titles[0], b=comparison.titles[1])


HEADER = ["side", "what", *FIGURE_COLUMNS]


def table(comparison: Comparison) -> tuple[list[str], Iterator[list[Any]]]:
    """Both sides' figures, then the difference and its test, as export rows."""

    def side(label: str, what: str, nps: Nps) -> list[Any]:
        return [
            label,
            what,
            nps.n,
            nps.promoters,
            nps.passives,
            nps.detractors,
            rounded(nps.nps),
            rounded(nps.ci_low),
            rounded(nps.ci_high),
            nps.too_small,
        ]

    change = comparison.change
    rows = [
        side("A", comparison.titles[0], comparison.first),
        side("B", comparison.titles[1], comparison.second),
        [
            "A − B",
            verdict(comparison.first, comparison.second),
            "",
            "",
            "",
            "",
            rounded(change.delta),
            "",
            "",
            "",
        ],
    ]
    return HEADER, iter(rows)
