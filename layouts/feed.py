"""Live feed page: the newest comments as they arrive."""

from __future__ import annotations

import dash
from dash import html

from dashapp.access.users import Role
from layouts.nav import navbar
from layouts.panels import feed_body, filters_store


def layout(brand: str | None = None, country: str | None = None, **_query: str) -> html.Div:
    """The live feed; ``?brand=&country=`` narrow it."""
    return html.Div([navbar(), filters_store(brand, country), feed_body()], className="fw-page")


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/feed",
        name="Live feed",
        title="Live feed · Feedback Wall",
        order=1,
        layout=layout,
        role=Role.viewer,
    )
