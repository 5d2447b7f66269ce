"""404: a page that does not exist, said plainly with a way back.

Registered under a module name ending in ``not_found_404``, which Dash Pages'
router draws for every path no page has (in place of its bare "404 - Page not
found"); :func:`is_page` lets the server answer such a path with HTTP 404.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from dashapp.access.users import Role
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _

#: Dash Pages draws the page registered under a name ending so for unknown paths.
MODULE = f"{__name__}_404"
PATH = "/404"


def layout(**_query: str) -> dbc.Container:
    """A friendly not-found page."""
    return dbc.Container(
        [
            html.H1(_("Page not found"), className="mt-5"),
            dbc.Button(_("Back to the overview"), href="/"),
        ]
    )


def is_page(path: str) -> bool:
    """Whether a registered page (other than this one) is at *path* (as Dash Pages matches it)."""
    wanted = path.strip("/")
    return any(
        page["path"].strip("/") == wanted
        for module, page in dash.page_registry.items()
        if module != MODULE
    )


def register() -> None:
    """Register the 404 page with Dash Pages."""
    dash.register_page(
        MODULE,
        path=PATH,
        name=N_("Not found"),
        title=lambda **_path: _("Page not found") + " · Feedback Wall",
        order=999,
        layout=layout,
        role=Role.viewer,
    )
