"""Overview: the rolling 30-day NPS with its interval, and response volume."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from layouts.ids import Overview


def layout(**_query: str) -> dbc.Row:
    """The overview page; figures arrive through callbacks."""
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H6("NPS, last 30 days", className="text-muted"),
                            html.Div("–", id=Overview.NPS, className="display-1 fw-bold"),
                            html.Div(id=Overview.NPS_DETAIL, className="text-muted"),
                        ]
                    )
                ),
                md=4,
            ),
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.H6("Responses, last 30 days", className="text-muted"),
                            html.Div("–", id=Overview.VOLUME, className="display-4"),
                        ]
                    )
                ),
                md=4,
            ),
        ]
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__, path="/", name="Overview", title="Feedback Wall", order=0, layout=layout
    )
