"""Live feed page: the newest comments as they arrive."""

from __future__ import annotations

import dash
from dash import html

from dashapp.access.users import Role
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
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
        name=N_("Live feed"),
        title=lambda **_path: _("Live feed") + " · Feedback Wall",
        order=1,
        layout=layout,
        role=Role.viewer,
    )
