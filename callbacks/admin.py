"""Admin page callbacks: make and revoke display links and tokens, add users, the delivery log.

Registered under the admin role (see callbacks/__init__.py): the gate refuses
every call of these from anyone else, whatever the page shows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from flask import request

from callbacks.components import display_zone, figure_table
from dashapp.access import admin
from dashapp.access.gate import current_person
from dashapp.access.tokens import TokenError
from dashapp.access.users import Role, User, UserError
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.jobs import alerts
from dashapp.services import Services
from layouts.ids import Admin


def _when(value: dt.datetime | None) -> str:
    # In the display zone, as every time a person reads.
    return formats.datetime(value.astimezone(display_zone())) if value else _("never")


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], empty: str) -> Any:
    """A compact table, or *empty* in words when there are no rows."""
    if not rows:
        return html.Div(empty, className="fw-empty")
    cells = [html.Tr([html.Td(cell) for cell in row]) for row in rows]
    return figure_table(header, cells, "fw-admin-table")


def _revoke_button(kind: str, token_id: int) -> dbc.Button:
    return dbc.Button(
        _("Revoke"), id=Admin.revoke(kind, token_id), color="danger", size="sm", n_clicks=0
    )


def _once(label: str, secret: str) -> dbc.Alert:
    return dbc.Alert(
        [
            html.Div(_("%(what)s (shown once; copy it now):", what=label)),
            html.Code(secret, className="fw-secret user-select-all"),
        ],
        color="success",
        dismissable=True,
    )


def render(services: Services) -> tuple[Any, Any, Any, Any]:
    """The four tables: screens, users, tokens, deliveries."""
    listed = admin.listing(services.sessions)
    screens, people, api, ingest = listed.screens, listed.people, listed.api, listed.ingest
    owners = {u.id: u.name for u in people}
    log = alerts.recent_deliveries(services.sessions, 50)
    screen_rows = [
        [t.name, _when(t.created_at), _when(t.last_used_at), _revoke_button("display", t.id)]
        for t in screens
    ]
    me = current_person()
    user_rows = [
        [*_user_row(u), _("you") if me and me.user_id == u.id else _toggle_button(u)]
        for u in people
    ]
    token_rows = [
        [
            f"API · {owners.get(t.user_id or 0, '?')}",
            t.name,
            _when(t.created_at),
            _when(t.last_used_at),
            _revoke_button("api", t.id),
        ]
        for t in api
    ] + [
        [
            f"ingest · {t.source}",
            "push",
            _when(t.created_at),
            "",
            _revoke_button("ingest", t.id),
        ]
        for t in ingest
    ]
    delivery_rows = [
        [
            f"#{d.id}",
            d.rule,
            _("response %(id)s", id=d.response_id) if d.response_id else d.event or "",
            _when(d.created_at),
            d.attempts,
            alerts.delivery_state(d),
            alerts.last_problem(d),
        ]
        for d in log
    ]
    return (
        table(
            (_("Screen"), _("Made"), _("Last seen"), ""), screen_rows, _("No display links yet.")
        ),
        table(
            (_("Name"), _("Role"), _("Made"), _("Last sign-in"), _("State"), ""),
            user_rows,
            _("No users yet."),
        ),
        table(
            (_("Token"), _("Name"), _("Made"), _("Last used"), ""),
            token_rows,
            _("No tokens yet."),
        ),
        table(
            ("", _("Rule"), _("About"), _("Queued"), _("Tries"), _("State"), _("Last problem")),
            delivery_rows,
            _("No alerts yet."),
        ),
    )


def _user_row(user: User) -> list[str]:
    state = _("disabled") if user.disabled_at else _("active")
    return [user.name, user.role, _when(user.created_at), _when(user.last_login_at), state]


def _toggle_button(user: User) -> dbc.Button:
    disabled = user.disabled_at is not None
    return dbc.Button(
        _("Enable") if disabled else _("Disable"),
        id=Admin.toggle(user.name),
        color="secondary" if disabled else "warning",
        size="sm",
        n_clicks=0,
    )


def _token_id(value: object) -> bool:
    """Whether *value* can be a token's row id (what the revoke buttons carry)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def register(app: Dash, services: Services) -> None:
    """Register the admin page's callbacks."""

    @app.callback(
        Output(Admin.SCREENS, "children"),
        Output(Admin.USERS, "children"),
        Output(Admin.TOKENS, "children"),
        Output(Admin.DELIVERIES, "children"),
        Input(Admin.CHANGED, "data"),
    )
    def refresh(_changed: int) -> tuple[Any, ...]:
        return render(services)

    @app.callback(
        Output(Admin.SCREEN_MESSAGE, "children"),
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.SCREEN_ADD, "n_clicks"),
        State(Admin.SCREEN_NAME, "value"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def add_screen(_clicks: int, name: str | None, changed: int) -> tuple[Any, int]:
        try:
            token = admin.add_display(services.sessions, name or "")
        except TokenError as exc:
            return dbc.Alert(str(exc), color="warning", dismissable=True), changed
        link = f"{request.host_url}kiosk?token={token}"
        return _once(_("Display link for %(name)s", name=name.strip()), link), changed + 1  # type: ignore[union-attr]

    @app.callback(
        Output(Admin.USER_MESSAGE, "children"),
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.USER_ADD, "n_clicks"),
        State(Admin.USER_NAME, "value"),
        State(Admin.USER_ROLE, "value"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def add_user(_clicks: int, name: str | None, role: str | None, changed: int) -> Any:
        password = secrets.token_urlsafe(12)
        try:
            made = admin.add_user(services.sessions, name or "", password, Role.parse(role or ""))
        except (UserError, ValueError) as exc:
            return dbc.Alert(str(exc), color="warning", dismissable=True), changed
        return _once(_("Password for %(name)s", name=made), password), changed + 1

    @app.callback(
        Output(Admin.TOKEN_MESSAGE, "children"),
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.TOKEN_ADD, "n_clicks"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def add_token(_clicks: int, changed: int) -> Any:
        person = current_person()
        if person is None or person.user_id is None:
            message = _("API tokens belong to a user; the local demo sign-in has none.")
            return dbc.Alert(message, color="warning", dismissable=True), changed
        token = admin.add_api_token(services.sessions, person.user_id)
        return _once(_("API token"), token), changed + 1

    @app.callback(
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.revoke(ALL, ALL), "n_clicks"),
        Input(Admin.toggle(ALL), "n_clicks"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def act(revokes: list[int | None], toggles: list[int | None], changed: int) -> int:
        trigger = ctx.triggered_id
        # Redrawn tables fire this with n_clicks=0: only a real click acts.
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        if trigger["type"] == Admin.toggle(None)["type"]:
            me = current_person()
            admin.toggle_user(services.sessions, str(trigger["user"]), me.user_id if me else None)
        elif not _token_id(trigger.get("token")):
            raise PreventUpdate  # not a button this page drew (a hand-made request)
        else:
            admin.revoke(services.sessions, str(trigger["kind"]), trigger["token"])
        return changed + 1
