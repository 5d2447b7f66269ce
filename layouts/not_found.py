"""404: a page that does not exist, said plainly with a way back."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashapp.users import Role


def layout(**_query: str) -> dbc.Container:
    """A friendly not-found page."""
    return dbc.Container(
        [html.H1("Page not found", className="mt-5"), dbc.Button("Back to the overview", href="/")]
    )


def register() -> None:
    """Register the 404 page with Dash Pages."""
    dash.register_page(
        __name__, path="/404", name="Not found", order=999, layout=layout, role=Role.viewer
    )
