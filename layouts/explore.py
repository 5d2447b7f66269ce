"""Explore: drill down from any figure to the comments behind it; every state is in the URL.

``/explore?from=2026-10-25&to=2026-11-24&brand=Velora&country=DE&touchpoint=delivery
&label=delivery/time&class=detractor&sort=low&q=spät`` — brand -> country ->
touchpoint or label in three clicks, each view a link that reopens identically.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.i18n.core import N_, options
from dashapp.i18n.core import gettext as _
from dashapp.metrics.params import BadParameter, selection_days
from dashapp.services import display_zone
from layouts.controls import dropdown, graph
from layouts.ids import Explore
from layouts.nav import navbar

CLASSES = [
    {"label": N_("All"), "value": ""},
    {"label": N_("Promoters"), "value": "promoter"},
    {"label": N_("Passives"), "value": "passive"},
    {"label": N_("Detractors"), "value": "detractor"},
]


SORTS = [
    {"label": N_("Newest first"), "value": "new"},
    {"label": N_("Lowest score first"), "value": "low"},
    {"label": N_("Highest score first"), "value": "high"},
]


def _values(text: str | None) -> list[str]:
    return [v for v in (text or "").split(",") if v]


#: The mark form's fields (the annotation API's names) by their labels.
MARK_FIELDS = {
    "starts_on": N_("Event from"),
    "ends_on": N_("Event to (optional)"),
    "text": N_("What happened"),
}


def trend_row() -> html.Div:
    """The selection's rolling 7-day NPS with its annotations, and a form to mark an event.

    Clicking the chart puts the clicked day in the form; the scope is the brand,
    country and touchpoint chosen above when one of each is.
    """

    def labelled(field: str, control: Any, width: int) -> dbc.Col:
        # Visible labels: a date input shows only the browser's mm/dd/yyyy otherwise.
        return dbc.Col(
            [
                dbc.Label(_(MARK_FIELDS[field]), html_for=control.id, class_name="small mb-1"),
                control,
            ],
            md=width,
        )

    form = dbc.Row(
        [
            labelled("starts_on", dbc.Input(id=Explore.MARK_FROM, type="date"), 2),
            labelled("ends_on", dbc.Input(id=Explore.MARK_TO, type="date"), 2),
            labelled(
                "text",
                dbc.Input(
                    id=Explore.MARK_TEXT, placeholder=_("What happened, e.g. carrier switched")
                ),
                5,
            ),
            dbc.Col(
                dbc.Button(_("Mark this event"), id=Explore.MARK_ADD, n_clicks=0), width="auto"
            ),
        ],
        className="g-2 align-items-end",
    )
    return html.Div(
        [
            dcc.Store(id=Explore.MARKED, data=0),
            graph(Explore.TREND, {"displayModeBar": False}, style={"height": "260px"}),
            form,
            html.Div(id=Explore.MARK_MESSAGE, className="mt-2"),
        ],
        className="fw-card p-3 mb-3",
    )


def layout(**query: str) -> html.Div:
    """The explore page; the controls start from the URL's values."""
    zone = display_zone()
    try:
        first, last = selection_days(query, tz=zone)
    except BadParameter:
        # The page says what is wrong with the URL's dates; the pickers start from the default.
        first, last = selection_days({}, tz=zone)
    controls = dbc.Row(
        [
            dbc.Col(
                dcc.DatePickerRange(
                    id=Explore.FROM,
                    start_date=first.isoformat(),
                    end_date=last.isoformat(),
                    display_format="YYYY-MM-DD",
                    # Weeks from Monday in both languages (ISO 8601).
                    first_day_of_week=1,
                    start_date_placeholder_text=_("From"),
                    end_date_placeholder_text=_("To"),
                ),
                width="auto",
            ),
            *[
                dbc.Col(
                    dropdown(
                        id=ident,
                        # Options come from the store through a callback: layouts hold no queries.
                        options=_values(query.get(name)),
                        value=_values(query.get(name)),
                        multi=True,
                        placeholder=_(label),
                    ),
                    md=2,
                )
                for ident, name, label in (
                    (Explore.BRAND, "brand", N_("All brands")),
                    (Explore.COUNTRY, "country", N_("All countries")),
                    (Explore.TOUCHPOINT, "touchpoint", N_("All touchpoints")),
                )
            ],
            dbc.Col(
                dbc.RadioItems(
                    id=Explore.CLASS,
                    options=options(CLASSES),
                    value=query.get("class", ""),
                    inline=True,
                ),
                width="auto",
            ),
            dbc.Col(
                dropdown(
                    id=Explore.LABEL,
                    options=[query["label"]] if query.get("label") else [],
                    value=query.get("label") or None,
                    placeholder=_("Any label"),
                ),
                md=2,
            ),
            dbc.Col(
                [
                    # A select needs a name a screen reader can say (axe: select-name).
                    html.Label(_("Order"), htmlFor=Explore.SORT, className="visually-hidden"),
                    dbc.Select(
                        id=Explore.SORT,
                        options=options(SORTS),
                        value=query.get("sort", "new"),
                    ),
                ],
                width="auto",
            ),
            dbc.Col(
                dbc.Input(
                    id=Explore.TEXT,
                    value=query.get("q", ""),
                    placeholder=_("Words in the comment"),
                    debounce=True,
                    type="search",
                ),
                md=2,
            ),
        ],
        className="g-2 align-items-center mb-3",
    )
    return html.Div(
        [
            navbar(),
            dcc.Location(id=Explore.URL, refresh="callback-nav"),
            controls,
            dbc.Row(
                [
                    dbc.Col(html.Div(id=Explore.SUMMARY, className="fw-card p-3 h-100"), md=3),
                    dbc.Col(html.Div(id=Explore.BREAKDOWN, className="fw-card p-3 h-100"), md=9),
                ],
                className="g-3 mb-3",
            ),
            trend_row(),
            html.Div(id=Explore.EXPORTS, className="mb-2"),
            html.Div(id=Explore.LIST, className="fw-feed"),
            html.Div(id=Explore.PAGER, className="my-3"),
        ],
        className="fw-page",
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/explore",
        name=N_("Explore"),
        title=lambda **_path: _("Explore") + " · Feedback Wall",
        order=3,
        layout=layout,
        role=Role.analyst,
    )
