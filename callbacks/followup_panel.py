"""The wall's follow-up panel: how fast teams answer, per brand and country (figures only).

Wall screens see this and nothing else of follow-ups: counts and answer times,
never comments or notes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import html

from callbacks.components import figure_table
from dashapp.figures.nps_engine import default_as_of
from dashapp.followups import service
from dashapp.followups.service import Figures
from dashapp.followups.timing import Timing, hours_text
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.metrics.queries import Filters
from dashapp.services import Services

#: The window of the answer times, in days (as the overview's NPS).
WINDOW_DAYS = 30


def _kpi(label: str, value: str, detail: str, class_name: str = "") -> html.Div:
    return html.Div(
        [
            html.Div(label, className="fw-label"),
            html.Div(value, className=f"fw-kpi {class_name}".strip()),
            html.Div(detail, className="fw-detail"),
        ],
        className="fw-card fw-followup-kpi p-3",
    )


def _timing(t: Timing) -> str:
    if not t.n:
        return "–"
    return _(
        "%(median)s (p90 %(p90)s, n %(n)s)",
        median=hours_text(t.median_hours),
        p90=hours_text(t.p90_hours),
        n=formats.number(t.n),
    )


def followups_panel(services: Services, filters: Filters, now: dt.datetime | None = None) -> Any:
    """KPIs (open, overdue, median times with their n) and a row per brand x country."""
    end = default_as_of(now)
    scope = {"brand": filters.brand, "country": filters.country, "touchpoint": filters.touchpoint}
    # The cells and the total in one pass (percentiles of the total are not the cells').
    *cells, total = service.figures(
        services.sessions, end, WINDOW_DAYS, now=now, with_total=True, **scope
    )
    kpis = html.Div(
        [
            _kpi(
                _("Open follow-ups"),
                formats.number(total.open),
                _("waiting for an answer now"),
            ),
            _kpi(
                _("Overdue"),
                formats.number(total.overdue),
                _("past their due time"),
                "fw-overdue" if total.overdue else "",
            ),
            _kpi(
                _("Time to first contact"),
                hours_text(total.contact.median_hours),
                _n_line(total.contact),
            ),
            _kpi(
                _("Time to resolution"),
                hours_text(total.resolution.median_hours),
                _n_line(total.resolution),
            ),
        ],
        className="fw-followup-kpis",
    )
    rows = [_row(f) for f in sorted(cells, key=lambda f: (-f.overdue, -f.open))]
    table = (
        figure_table(
            [_("Brand · country"), _("Open"), _("Overdue"), _("First contact"), _("Resolution")],
            rows,
            "fw-followup-cells",
        )
        if rows
        else html.Div(_("No follow-ups yet."), className="fw-empty")
    )
    return [kpis, table]


def _n_line(t: Timing) -> str:
    if not t.n:
        return _("median · none in %(days)s days", days=WINDOW_DAYS)
    return _(
        "median · p90 %(p90)s · %(n)s · %(days)s days",
        p90=hours_text(t.p90_hours),
        n=formats.size(t.n),
        days=WINDOW_DAYS,
    )


def _row(f: Figures) -> html.Tr:
    return html.Tr(
        [
            html.Td(" · ".join(f.group.values())),
            html.Td(formats.number(f.open)),
            html.Td(formats.number(f.overdue), className="fw-overdue" if f.overdue else ""),
            html.Td(_timing(f.contact)),
            html.Td(_timing(f.resolution)),
        ]
    )
