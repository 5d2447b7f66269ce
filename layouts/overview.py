"""Overview page: rolling NPS, brand x country heatmap, trends and volume."""

from __future__ import annotations

import dash
from dash import html

from dashapp.access.users import Role
from dashapp.i18n.core import N_
from layouts.ids import Panels
from layouts.nav import navbar
from layouts.panels import filters_store, history_line, overview_body


def layout(brand: str | None = None, country: str | None = None, **_query: str) -> html.Div:
    """The overview; ``?brand=&country=`` narrow it (comma-separated lists)."""
    return html.Div(
        [
            navbar(),
            filters_store(brand, country),
            history_line(),
            overview_body(),
            html.Div(id=Panels.EXPORTS, className="fw-exports mt-2"),
        ],
        className="fw-page",
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/",
        name=N_("Overview"),
        title="Feedback Wall",
        order=0,
        layout=layout,
        role=Role.viewer,
    )
