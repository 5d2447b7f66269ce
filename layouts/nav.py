"""The navigation bar of the stand-alone pages (the kiosk has none)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from layouts.ids import Shell


def navbar() -> dbc.Navbar:
    """Links to every registered page, and the "updated" stamp."""
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in dash.page_registry.values()
        if page.get("order") is not None and page["order"] < 100
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-megaphone me-2"), "Feedback Wall"], href="/"
                ),
                dbc.Nav(links, navbar=True, className="me-auto"),
                html.Span(id=Shell.UPDATED, className="fw-updated text-muted"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )
