"""Admin page: display links for wall screens, users, API and ingest tokens, the delivery log."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.i18n.core import N_, options
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


KINDS = [
    {"label": N_("each matching response"), "value": "response"},
    {"label": N_("a significant NPS drop"), "value": "drop"},
]
CHANNELS = [
    {"label": "Slack", "value": "slack"},
    {"label": "Teams", "value": "teams"},
    {"label": N_("Webhook (signed JSON)"), "value": "webhook"},
    {"label": N_("E-mail"), "value": "email"},
]


def _field(label: str, control: dbc.Input | dbc.Select, width: int = 2) -> dbc.Col:
    # html_for names the control (axe: select-name, label), as a screen reader reads it.
    return dbc.Col(
        [dbc.Label(label, html_for=control.id, className="fw-detail mb-0"), control], md=width
    )


def _number(ident: str, placeholder: str, low: float, high: float) -> dbc.Input:
    return dbc.Input(id=ident, type="number", min=low, max=high, placeholder=placeholder)


def rule_form() -> html.Div:
    """The form that makes or edits a rule (filled by the table's Edit buttons)."""
    return html.Div(
        [
            dcc.Store(id=Admin.RULE_EDITING, data=None),
            dbc.Row(
                [
                    _field(_("Name"), dbc.Input(id=Admin.RULE_NAME, placeholder="detractors-de")),
                    _field(
                        _("Alerts on"),
                        dbc.Select(id=Admin.RULE_KIND, options=options(KINDS), value="response"),
                        3,
                    ),
                    _field(_("Brands"), dbc.Input(id=Admin.RULE_BRAND, placeholder=_("all"))),
                    _field(_("Countries"), dbc.Input(id=Admin.RULE_COUNTRY, placeholder=_("all"))),
                    _field(
                        _("Touchpoints"), dbc.Input(id=Admin.RULE_TOUCHPOINT, placeholder=_("all"))
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    _field(_("Scores from"), _number(Admin.RULE_MIN_SCORE, "0", 0, 10), 1),
                    _field(_("to"), _number(Admin.RULE_MAX_SCORE, "6", 0, 10), 1),
                    _field(
                        _("Drop threshold (points)"), _number(Admin.RULE_DROP_POINTS, "0", 0, 200)
                    ),
                    _field(
                        _("Min n"),
                        _number(Admin.RULE_MIN_N, _("settings' min n"), 0, 1_000_000),
                    ),
                    _field(_("Window (days)"), _number(Admin.RULE_WINDOW, "7", 1, 90)),
                    _field(_("Cooldown (minutes)"), _number(Admin.RULE_COOLDOWN, "0", 0, 10080)),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    _field(
                        _("Channel"),
                        dbc.Select(id=Admin.RULE_CHANNEL, options=options(CHANNELS), value="slack"),
                    ),
                    _field(
                        _("Webhook URL or e-mail addresses"),
                        dbc.Input(id=Admin.RULE_TARGET, placeholder="https://hooks.slack.com/…"),
                        5,
                    ),
                    _field(
                        _("Secret (webhook)"),
                        dbc.Input(
                            id=Admin.RULE_SECRET,
                            type="password",
                            autocomplete="new-password",
                            placeholder=_("16+ characters"),
                        ),
                        3,
                    ),
                    dbc.Col(
                        [
                            dbc.Button(_("Save rule"), id=Admin.RULE_SAVE, n_clicks=0),
                            dbc.Button(
                                _("New"),
                                id=Admin.RULE_NEW,
                                n_clicks=0,
                                color="secondary",
                                className="ms-1",
                            ),
                        ],
                        md=2,
                        className="d-flex align-items-end",
                    ),
                ],
                className="g-2",
            ),
        ]
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
            "tokens let one source push responses (feedbackwall sources token NAME)."
        ),
    )
    rules = _section(
        _("Alert rules"),
        rule_form(),
        html.Div(id=Admin.RULE_MESSAGE, className="mt-2"),
        html.Div(id=Admin.RULES, className="mt-2"),
        hint=_(
            "Rules made here alert like those of the configuration file (listed read-only). "
            "A response rule alerts for each response in its score range; a drop rule when a "
            "brand × country cell's NPS falls significantly (and by at least the drop threshold) "
            "over the window. Secrets and channel URLs are write-only: leave them blank when "
            "editing to keep them."
        ),
    )
    subscriptions = _section(
        _("Report subscriptions"),
        html.Div(id=Admin.SUBSCRIPTIONS),
        hint=_(
            "People subscribe themselves at /subscriptions (daily or weekly, narrowed to "
            "brands and countries); every mail carries a one-click unsubscribe link."
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
            dbc.Container([screens, people, tokens, rules, subscriptions, deliveries], fluid=True),
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
