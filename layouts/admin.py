"""Admin page: display links for wall screens, users, API and ingest tokens, the delivery log."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from layouts.ids import Admin
from layouts.nav import navbar

ROLES = [{"label": role.name, "value": role.name} for role in Role]


def _section(title: str, *children: object, hint: str | None = None) -> html.Div:
    return html.Div(
        [
            html.Div(title, className="fw-label"),
            *([html.P(hint, className="fw-detail")] if hint else []),
            *children,
        ],
        className="fw-card p-3 mb-3",
    )


def layout(**_query: str) -> html.Div:
    """The admin page; every table is filled by callbacks/admin.py."""
    screens = _section(
        _("Wall screens"),
        dbc.InputGroup(
            [
                dbc.Input(id=Admin.SCREEN_NAME, placeholder=_("Screen name, e.g. lobby-berlin")),
                dbc.Button(_("Make display link"), id=Admin.SCREEN_ADD, n_clicks=0),
            ],
            className="mb-2",
        ),
        html.Div(id=Admin.SCREEN_MESSAGE),
        html.Div(id=Admin.SCREENS),
        hint=_(
            "Open a screen's display link once on that screen: it stays signed in to the wall "
            "pages (never analyst pages) until you revoke it here."
        ),
    )
    people = _section(
        _("Users"),
        dbc.InputGroup(
            [
                dbc.Input(id=Admin.USER_NAME, placeholder=_("Name")),
                html.Label(_("Role"), htmlFor=Admin.USER_ROLE, className="visually-hidden"),
                dbc.Select(id=Admin.USER_ROLE, options=ROLES, value=Role.analyst.name),
                dbc.Button(_("Add user"), id=Admin.USER_ADD, n_clicks=0),
            ],
            className="mb-2",
        ),
        html.Div(id=Admin.USER_MESSAGE),
        html.Div(id=Admin.USERS),
        hint=_(
            "A new user gets a password shown once here; they change it on their account page "
            "(their name, top right). Roles: viewer (wall pages), analyst (drill-down, exports, "
            "unmasked comments), admin (this page)."
        ),
    )
    tokens = _section(
        _("API and ingest tokens"),
        dbc.Button(_("Make an API token for me"), id=Admin.TOKEN_ADD, n_clicks=0, className="mb-2"),
        html.Div(id=Admin.TOKEN_MESSAGE),
        html.Div(id=Admin.TOKENS),
        hint=_(
            "API tokens act with their owner's role (Authorization: Bearer fwa_...); ingest "
            "tokens let one source push responses (`feedbackwall sources token NAME`)."
        ),
    )
    deliveries = _section(
        _("Alert deliveries, newest first"),
        html.Div(id=Admin.DELIVERIES),
    )
    return html.Div(
        [
            navbar(),
            dcc.Store(id=Admin.CHANGED, data=0),
            dbc.Container([screens, people, tokens, deliveries], fluid=True),
        ],
        className="fw-page",
    )


def register() -> None:
    """Register the admin page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/admin",
        name=N_("Admin"),
        title=lambda **_path: _("Admin") + " · Feedback Wall",
        order=5,
        layout=layout,
        role=Role.admin,
    )
