"""The overview, defined once: which figures it shows, over which windows, titled how.

The wall's overview panel, the chart exports, the data exports behind those
charts and the one-page dashboard PDF all build it from here, so a change of
window or of what a chart shows changes every one of them.
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go

from dashapp.figures import charts
from dashapp.figures.nps_engine import NpsEngine, RollingPoint
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.metrics.nps import Nps
from dashapp.metrics.queries import Counts, Filters
from dashapp.metrics.windows import MAIN_DAYS, SHORT_DAYS, TREND_DAYS, VOLUME_DAYS

#: The overview's charts by name (as in ``/export/chart/<name>.<fmt>``), with their titles
#: as catalog texts: :func:`title` says them in the reader's language, windows filled in.
TITLES = {
    "heatmap": N_("NPS by brand and country, last %(main)s days"),
    "trends": N_("Rolling %(main)s-day NPS by brand (dotted: %(short)s-day)"),
    "volume": N_("Responses per day"),
}
#: The headline figure's caption (see :func:`headline_caption`).
HEADLINE = N_("NPS · last %(main)s days")
_WINDOWS = {"main": MAIN_DAYS, "short": SHORT_DAYS}


def title(name: str) -> str:
    """The title of the overview's chart *name*, in the reader's language."""
    return _(TITLES[name], **_WINDOWS)


def headline_caption() -> str:
    """The headline figure's caption, in the reader's language."""
    return _(HEADLINE, **_WINDOWS)


def headline(
    engine: NpsEngine, filters: Filters, as_of: dt.datetime | None = None
) -> tuple[Nps, Nps]:
    """The last MAIN_DAYS days' NPS and the MAIN_DAYS before."""
    current, previous, _change = engine.change(window=MAIN_DAYS, as_of=as_of, filters=filters)
    return current, previous


def trend_points(
    engine: NpsEngine, filters: Filters, as_of: dt.datetime | None = None
) -> tuple[list[RollingPoint], list[RollingPoint]]:
    """Daily points of the trailing MAIN_DAYS and SHORT_DAYS NPS per brand over TREND_DAYS."""
    return tuple(  # type: ignore[return-value]
        engine.rolling(("brand",), window=window, days=TREND_DAYS, as_of=as_of, filters=filters)
        for window in (MAIN_DAYS, SHORT_DAYS)
    )


def volume_days(
    engine: NpsEngine, filters: Filters, as_of: dt.datetime | None = None
) -> list[tuple[dt.date, Counts]]:
    """Responses per local day (promoters, passives, detractors) over the last VOLUME_DAYS."""
    return engine.daily_volume(days=VOLUME_DAYS, as_of=as_of, filters=filters)


def chart(
    engine: NpsEngine,
    name: str,
    filters: Filters,
    as_of: dt.datetime | None = None,
    scale: float = 1.0,
    theme: str = charts.DEFAULT_THEME,
    *,
    wall: bool = False,
) -> go.Figure:
    """The overview's chart *name* (a key of TITLES) for these filters, in *theme*'s colours.

    For a *wall* (read from 4 m), heatmap cells carry their NPS alone and mark labels
    are as large as the rest of the text.
    """
    if name == "heatmap":
        cells = engine.nps_by(("brand", "country"), window=MAIN_DAYS, as_of=as_of, filters=filters)
        return charts.heatmap(cells, scale, theme, wall=wall)
    if name == "trends":
        marks = engine.annotations(days=TREND_DAYS, as_of=as_of, filters=filters)
        return charts.trends(*trend_points(engine, filters, as_of), scale, theme, marks, wall=wall)
    if name == "volume":
        return charts.volume(volume_days(engine, filters, as_of), scale, theme)
    raise KeyError(name)
