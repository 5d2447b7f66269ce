"""Themes page: what customers write about, sized by volume and coloured by NPS."""

from __future__ import annotations

import dash
from dash import html

from layouts.nav import navbar
from layouts.panels import filters_store, labels_body


def layout(brand: str | None = None, country: str | None = None, **_query: str) -> html.Div:
    """The themes page; ``?brand=&country=`` narrow it."""
    return html.Div([navbar(), filters_store(brand, country), labels_body()], className="fw-page")


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/labels",
        name="Themes",
        title="Themes · Feedback Wall",
        order=2,
        layout=layout,
    )
