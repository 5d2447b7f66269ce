"""The frame around every page: navigation, the poll timer and the "updated" stamp."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.config import Settings
from layouts.ids import Shell


def shell(settings: Settings) -> html.Div:
    """The app's root layout; pages render inside ``dash.page_container``."""
    return html.Div(
        [
            dcc.Location(id=Shell.URL),
            dcc.Interval(id=Shell.TICK, interval=int(settings.poll_interval * 1000)),
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand("Feedback Wall", href="/"),
                        html.Span(id=Shell.UPDATED, className="text-muted small"),
                    ],
                    fluid=True,
                ),
                color="dark",
                dark=True,
                className="mb-3",
            ),
            dbc.Container(dash.page_container, fluid=True),
        ]
    )
