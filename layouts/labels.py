"""Smart-labels page: labels by volume and NPS, their figures, and newly discovered themes."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.i18n.core import N_, options
from dashapp.i18n.core import gettext as _
from dashapp.metrics.windows import MAIN_DAYS
from layouts.controls import graph
from layouts.ids import Labels
from layouts.nav import navbar
from layouts.panels import filters_store, labels_body

TREEMAP_TITLE = N_("Labels · area = comments, colour = NPS · click to read them")
SCOPES = [
    {"label": N_("Comments no label covers"), "value": "unlabelled"},
    {"label": N_("All comments"), "value": "all"},
]


def layout(brand: str | None = None, country: str | None = None, **_query: str) -> html.Div:
    """The labels page; ``?brand=&country=`` narrow it."""
    return html.Div(
        [
            navbar(),
            filters_store(brand, country),
            labels_body(),
            html.Div(id=Labels.PROGRESS),
            dbc.Row(
                [
                    dbc.Col(
                        html.Div(
                            [
                                html.Div(
                                    _(TREEMAP_TITLE),
                                    className="fw-label",
                                ),
                                graph(
                                    Labels.TREEMAP,
                                    {"displayModeBar": False, "responsive": True},
                                    style={"height": "60vh"},
                                ),
                                html.Div(id=Labels.EXPORTS, className="mt-2"),
                            ],
                            className="fw-card p-3 h-100",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                html.Div(
                                    _(
                                        "Labels over %(days)s days against the %(days)s before",
                                        days=MAIN_DAYS,
                                    ),
                                    className="fw-label",
                                ),
                                html.Div(id=Labels.TABLE, className="fw-label-table"),
                            ],
                            className="fw-card p-3 h-100",
                        ),
                        lg=5,
                    ),
                ],
                className="g-3 my-3",
            ),
            html.Div(
                [
                    html.Div(_("Discovered themes, last 14 days"), className="fw-label"),
                    dbc.RadioItems(
                        id=Labels.SCOPE, options=options(SCOPES), value="unlabelled", inline=True
                    ),
                    html.Div(id=Labels.MESSAGE, className="my-2"),
                    html.Div(id=Labels.THEMES, className="fw-themes"),
                    dcc.Store(id=Labels.SHOWN),
                ],
                className="fw-card p-3 mb-3",
            ),
        ],
        className="fw-page",
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/labels",
        name=N_("Labels"),
        title=lambda **_path: _("Labels") + " · Feedback Wall",
        order=2,
        layout=layout,
        role=Role.analyst,
    )
