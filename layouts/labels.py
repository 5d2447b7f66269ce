"""Smart-labels page: labels by volume and NPS, their figures, and newly discovered themes."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.metrics.windows import MAIN_DAYS
from layouts.ids import Labels
from layouts.nav import navbar
from layouts.panels import filters_store, labels_body

SCOPES = [
    {"label": "Comments no label covers", "value": "unlabelled"},
    {"label": "All comments", "value": "all"},
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
                                    "Labels · area = comments, colour = NPS · click to read them",
                                    className="fw-label",
                                ),
                                dcc.Graph(
                                    id=Labels.TREEMAP,
                                    config={"displayModeBar": False, "responsive": True},
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
                                    f"Labels over {MAIN_DAYS} days against the {MAIN_DAYS} before",
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
                    html.Div("Discovered themes, last 14 days", className="fw-label"),
                    dbc.RadioItems(
                        id=Labels.SCOPE, options=SCOPES, value="unlabelled", inline=True
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
        name="Labels",
        title="Labels · Feedback Wall",
        order=2,
        layout=layout,
        role=Role.analyst,
    )
