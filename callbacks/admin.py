"""Admin page callbacks: make and revoke display links and tokens, add users, the delivery log.

Registered under the admin role (see callbacks/__init__.py): the gate refuses
every call of these from anyone else, whatever the page shows.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate
from flask import request

from callbacks.components import figure_table, local_moment
from dashapp.access import admin, subscriptions
from dashapp.access.admin import RuleError
from dashapp.access.gate import current_person
from dashapp.access.tokens import TokenError
from dashapp.access.users import Role, User, UserError
from dashapp.i18n.core import gettext as _
from dashapp.jobs import alerts
from dashapp.services import Services
from dashapp.web import rules_api
from layouts.ids import Admin


def _when(value: dt.datetime | None) -> str:
    return local_moment(value) if value else _("never")


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


def _scope(rule: dict[str, Any]) -> str:
    parts = [", ".join(rule.get(key) or []) for key in ("brand", "country", "touchpoint")]
    where = " · ".join(p for p in parts if p) or _("everything")
    if rule.get("kind") == "drop":
        return _("drop over %(days)s days, %(where)s", days=rule.get("window", 7), where=where)
    return _(
        "scores %(low)s–%(high)s, %(where)s",
        low=rule.get("min_score", 0),
        high=rule.get("max_score", 6),
        where=where,
    )


def _channel(rule: dict[str, Any]) -> str:
    for key in ("slack", "teams", "webhook"):
        if rule.get(key):
            return f"{key.capitalize()} {rule[key]}"
    return _("E-mail") + " " + ", ".join(rule.get("email") or [])


def _rule_buttons(item: dict[str, Any]) -> html.Div:
    name = item["name"]
    buttons = [
        dbc.Button(
            _("Send a test"),
            id=Admin.rule_action("test", name),
            size="sm",
            color="info",
            n_clicks=0,
        )
    ]
    if not item["read_only"]:
        pause = "resume" if item["paused"] else "pause"
        pause_text = _("Resume") if item["paused"] else _("Pause")
        buttons += [
            dbc.Button(_("Edit"), id=Admin.rule_edit(name), size="sm", n_clicks=0),
            dbc.Button(
                pause_text,
                id=Admin.rule_action(pause, name),
                size="sm",
                color="secondary",
                n_clicks=0,
            ),
            dbc.Button(
                _("Delete"),
                id=Admin.rule_action("delete", name),
                size="sm",
                color="danger",
                n_clicks=0,
            ),
        ]
    return html.Div(buttons, className="d-flex gap-1")


def rule_rows(services: Services) -> list[list[Any]]:
    """One row per rule: the configuration's (read-only) first, then those made here."""
    rows = []
    for item in rules_api.listing(services):
        rule, counts = item["rule"], item["deliveries"]
        fired = item["last_fired_at"]
        state = (
            _("read-only (configuration)")
            if item["read_only"]
            else (_("paused") if item["paused"] else _("active"))
        )
        rows.append(
            [
                item["name"],
                _scope(rule),
                _channel(rule),
                fired[:16].replace("T", " ") + " UTC" if fired else _("never"),
                _(
                    "%(delivered)s delivered · %(pending)s pending · %(failed)s failed",
                    delivered=counts["delivered"],
                    pending=counts["pending"],
                    failed=counts["failed"],
                ),
                state,
                _rule_buttons(item),
            ]
        )
    return rows


def render(services: Services) -> tuple[Any, Any, Any, Any, Any]:
    """The five tables: screens, users, tokens, alert rules, deliveries."""
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
            (
                _("Rule"),
                _("Alerts on"),
                _("Channel"),
                _("Last fired"),
                _("Deliveries"),
                _("State"),
                "",
            ),
            rule_rows(services),
            _("No alert rules yet."),
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
        Output(Admin.RULES, "children"),
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

    register_rules(app, services)

    @app.callback(
        Output(Admin.SUBSCRIPTIONS, "children"),
        Input(Admin.CHANGED, "data"),
    )
    def list_subscriptions(_changed: int) -> Any:
        rows = [
            [
                name,
                sub.email,
                _("Weekly report") if sub.cadence == "weekly" else _("Daily report"),
                ", ".join(sub.brands) or _("all brands"),
                ", ".join(sub.countries) or _("all countries"),
                _when(sub.last_sent_at),
                dbc.Button(
                    _("Remove"),
                    id=Admin.unsubscribe(sub.id),
                    color="danger",
                    size="sm",
                    n_clicks=0,
                ),
            ]
            for sub, name in subscriptions.listing(services.sessions)
        ]
        header = (
            _("User"),
            _("E-mail"),
            _("Report"),
            _("Brands"),
            _("Countries"),
            _("Last sent"),
            "",
        )
        return table(header, rows, _("No subscriptions yet."))

    @app.callback(
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.unsubscribe(ALL), "n_clicks"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def remove_subscription(_clicks: list[int | None], changed: int) -> int:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        if not _token_id(trigger.get("subscription")):
            raise PreventUpdate
        subscriptions.remove(services.sessions, trigger["subscription"])
        return changed + 1


#: The form's fields, in the order of its callbacks' states and outputs.
RULE_FIELDS = (
    (Admin.RULE_NAME, "name"),
    (Admin.RULE_KIND, "kind"),
    (Admin.RULE_BRAND, "brand"),
    (Admin.RULE_COUNTRY, "country"),
    (Admin.RULE_TOUCHPOINT, "touchpoint"),
    (Admin.RULE_MIN_SCORE, "min_score"),
    (Admin.RULE_MAX_SCORE, "max_score"),
    (Admin.RULE_DROP_POINTS, "drop_points"),
    (Admin.RULE_MIN_N, "min_n"),
    (Admin.RULE_WINDOW, "window"),
    (Admin.RULE_COOLDOWN, "cooldown_minutes"),
    (Admin.RULE_CHANNEL, "channel"),
    (Admin.RULE_TARGET, "target"),
    (Admin.RULE_SECRET, "secret"),
)
LISTS = ("brand", "country", "touchpoint")
#: Fields that may hold a credential (a webhook URL, a signing secret): once stored,
#: shown only as :func:`form_of` shows a rule (URLs and secrets blank, addresses kept).
SECRET_FIELDS = (Admin.RULE_TARGET, Admin.RULE_SECRET)
SECRET_KEYS = ("target", "secret")


def _split(text: object) -> list[str]:
    return [part.strip() for part in str(text or "").split(",") if part.strip()]


def rule_values(form: dict[str, Any]) -> dict[str, Any]:
    """The form's values as a rule's fields (what :func:`admin.save_alert_rule` takes)."""
    values = {key: form.get(key) for _, key in RULE_FIELDS if key not in ("target", "channel")}
    for key in LISTS:
        values[key] = _split(form.get(key))
    channel = str(form.get("channel") or "")
    target = form.get("target")
    values["channel"] = channel
    values[channel or "webhook"] = _split(target) if channel == "email" else target
    return values


def form_of(definition: dict[str, Any]) -> dict[str, Any]:
    """A stored rule as the form shows it: lists joined, no secret, the URL left blank."""
    form = {key: definition.get(key) for _, key in RULE_FIELDS}
    for key in LISTS:
        form[key] = ", ".join(definition.get(key) or [])
    channel = next((k for k in ("slack", "teams", "webhook") if definition.get(k)), "email")
    form["channel"] = channel
    form["target"] = ", ".join(definition.get("email") or []) if channel == "email" else ""
    form["secret"] = ""
    form["kind"] = definition.get("kind", "response")
    return form


def _answer(name: str, answer: alerts.Answer) -> dbc.Alert:
    said = answer.error or f"{answer.status} {answer.text}".strip()
    verdict = _("delivered") if answer.ok else _("not delivered")
    return dbc.Alert(
        [
            html.B(_("Test of %(name)s: %(verdict)s. ", name=name, verdict=verdict)),
            _("The receiver answered: "),
            html.Code(said),
        ],
        color="success" if answer.ok else "warning",
        dismissable=True,
        className="fw-rule-answer",
    )


def register_rules(app: Dash, services: Services) -> None:
    """The alert rules' form and buttons."""
    form_outputs = [Output(ident, "value", allow_duplicate=True) for ident, _ in RULE_FIELDS]

    @app.callback(
        Output(Admin.RULE_MESSAGE, "children", allow_duplicate=True),
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Output(Admin.RULE_EDITING, "data", allow_duplicate=True),
        *[Output(ident, "value", allow_duplicate=True) for ident in SECRET_FIELDS],
        Input(Admin.RULE_SAVE, "n_clicks"),
        *[State(ident, "value") for ident, _ in RULE_FIELDS],
        State(Admin.RULE_EDITING, "data"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def save_rule(_clicks: int, *state: Any) -> tuple[Any, ...]:
        *fields, editing, changed = state
        form = {key: value for (_, key), value in zip(RULE_FIELDS, fields, strict=True)}
        me = current_person()
        try:
            rule = admin.save_alert_rule(
                services.sessions,
                rule_values(form),
                original=editing if isinstance(editing, str) else None,
                reserved={r.name for r in services.settings.alerts},
                who=me.name if me else None,
            )
        except RuleError as exc:
            kept = [dash.no_update] * len(SECRET_FIELDS)
            return dbc.Alert(str(exc), color="warning", dismissable=True), changed, editing, *kept
        saved = dbc.Alert(
            _("Saved rule %(name)s.", name=rule.name), color="success", dismissable=True
        )
        # Secrets are write-only: once stored, the form shows the rule as Edit does.
        shown = form_of(rule.model_dump(mode="json", exclude_defaults=True))
        return saved, changed + 1, rule.name, *[shown[key] for key in SECRET_KEYS]

    @app.callback(
        *form_outputs,
        Output(Admin.RULE_EDITING, "data", allow_duplicate=True),
        Input(Admin.RULE_NEW, "n_clicks"),
        prevent_initial_call=True,
    )
    def new_rule(_clicks: int) -> tuple[Any, ...]:
        blank = form_of({"kind": "response"})
        blank["channel"] = "slack"
        return (*[blank[key] for _, key in RULE_FIELDS], None)

    @app.callback(
        *form_outputs,
        Output(Admin.RULE_EDITING, "data", allow_duplicate=True),
        Input(Admin.rule_edit(ALL), "n_clicks"),
        prevent_initial_call=True,
    )
    def edit_rule(_clicks: list[int | None]) -> tuple[Any, ...]:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        found = admin.alert_rule(services.sessions, str(trigger["rule"]))
        if found is None:
            raise PreventUpdate
        form = form_of(found[0].model_dump(mode="json", exclude_defaults=True))
        return (*[form[key] for _, key in RULE_FIELDS], found[0].name)

    @app.callback(
        Output(Admin.RULE_MESSAGE, "children", allow_duplicate=True),
        Output(Admin.CHANGED, "data", allow_duplicate=True),
        Input(Admin.rule_action(ALL, ALL), "n_clicks"),
        State(Admin.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def act_on_rule(_clicks: list[int | None], changed: int) -> tuple[Any, Any]:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0]["value"]):
            raise PreventUpdate
        name, action = str(trigger["rule"]), trigger["action"]
        if action == "test":
            rule = rules_api.find_rule(services, name)
            if rule is None:
                raise PreventUpdate
            return _answer(name, rules_api.try_rule(services, rule)), changed + 1
        if action == "delete":  # asked first: nothing is deleted on one click
            question = dbc.Alert(
                [
                    _("Delete rule %(name)s? Its delivery log stays.", name=name),
                    dbc.Button(
                        _("Delete for good"),
                        id=Admin.rule_action("confirm-delete", name),
                        color="danger",
                        size="sm",
                        className="ms-2",
                        n_clicks=0,
                    ),
                ],
                color="warning",
                dismissable=True,
            )
            return question, dash.no_update
        if action in ("pause", "resume"):
            admin.pause_alert_rule(services.sessions, name, action == "pause")
            done = (
                _("Paused rule %(name)s.", name=name)
                if action == "pause"
                else _("Resumed rule %(name)s.", name=name)
            )
        elif action == "confirm-delete":
            admin.delete_alert_rule(services.sessions, name)
            done = _("Deleted rule %(name)s.", name=name)
        else:
            raise PreventUpdate  # not a button this page drew
        return dbc.Alert(done, color="success", dismissable=True), changed + 1
