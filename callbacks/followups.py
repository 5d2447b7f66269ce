"""Follow-up page callbacks: controls write the URL; the URL decides the queue and the detail.

Reading is for viewers (comments masked; wall screens get nothing), acting
for analysts: :func:`register` and :func:`register_actions` are registered
under those roles. Every change goes through :mod:`dashapp.followups.service`
with the version the page read, so a change made meanwhile is said, never
overwritten, and what was typed stays in its field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.components import comment_card, local_moment, query_string, relative_time
from dashapp.access.gate import current_person
from dashapp.access.users import Person, Role
from dashapp.followups import service
from dashapp.followups.params import format_after, parse_after, parse_queue
from dashapp.followups.rules import Status
from dashapp.followups.service import Change, ChangeError, Conflict, NotFound, Row
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.i18n.core import ngettext
from dashapp.i18n.core import options as translated
from dashapp.labels.taxonomy import Taxonomy
from dashapp.metrics.nps import classify
from dashapp.metrics.params import BadParameter
from dashapp.services import Services
from layouts.followups import OWNERS
from layouts.ids import FollowUps

#: Rows per page of the queue (each is built and encoded on every refresh).
PAGE_SIZE = 30
#: Parameters of the page's URL that are the queue's filter (the rest: which one is shown).
FILTER_KEYS = ("brand", "country", "touchpoint", "label", "status", "owner", "age")
_SHOWN_ACTIONS = {"display": "block"}
_HIDDEN = {"display": "none"}


def _number(value: Any, digits: int = 18) -> int | None:
    """*value* as a whole number if it is one (an int, or ASCII digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**digits else None
    if isinstance(value, str) and re.fullmatch(f"[0-9]{{1,{digits}}}", value):
        return int(value)
    return None


def _reader() -> Person | None:
    """Who reads, unless it is a wall screen (screens see follow-up figures only)."""
    person = current_person()
    return None if person is None or person.via == "display" else person


def _due(row: Row, now: dt.datetime) -> tuple[str, str]:
    """When it is due, in words, and the class to show it with."""
    if not row.status.open:
        return "–", "fw-detail"  # done: its status says so beside it
    if row.due_at < now:
        return _("overdue by %(length)s", length=formats.duration(now - row.due_at)), "fw-overdue"
    return _("due %(until)s", until=formats.relative(row.due_at, now, short=True)), "fw-detail"


def _owner(row: Row) -> str:
    """Who has it, or "nobody" in the reader's language."""
    return row.owner or _("nobody")


def _readable(services: Services, text: str, person: Person) -> str:
    """*text* as *person* may read it: analysts as written, others masked."""
    return text if person.role >= Role.analyst else services.mask(text)


def _comment(services: Services, row: Row, person: Person) -> str:
    return _readable(services, row.comment or _("(no comment)"), person)


def _queue_row(
    row: Row,
    comment: str,
    labels: str,
    analyst: bool,
    base: dict[str, str],
    now: dt.datetime,
) -> html.Tr:
    # Few components per row: a page of them is built and encoded on every refresh.
    due, due_class = _due(row, now)
    where = f"{row.brand} · {row.country} · {row.touchpoint}" + (f" · {labels}" if labels else "")
    return html.Tr(
        [
            html.Td(
                dbc.Checkbox(
                    id=FollowUps.pick(row.id),
                    value=False,
                    label_class_name="visually-hidden",
                    label=_("Select follow-up %(id)s", id=row.id),
                )
                if analyst
                else ""
            ),
            html.Td(str(row.score), className=f"fw-followup-score fw-{classify(row.score).value}"),
            html.Td(
                html.A(
                    comment[:120] + ("…" if len(comment) > 120 else ""),
                    href="/followups" + query_string({**base, "id": str(row.id)}),
                    className="fw-followup-link",
                )
            ),
            html.Td(where),
            # One cell each, under their own headers (Status, Owner).
            html.Td(row.status.words),
            html.Td(_owner(row)),
            html.Td(due, className=due_class),
        ],
        className="fw-followup-row",
    )


def _label_names(taxonomy: Taxonomy, row: Row) -> str:
    """The row's most specific labels by name, comma-separated."""
    ids = [lbl for lbl, _ in row.labels]
    deepest = [i for i in ids if not any(o.startswith(i + "/") for o in ids)]
    return ", ".join(taxonomy.labels[i].name_in() for i in deepest if i in taxonomy.labels)


def _detail(services: Services, detail: service.Detail, person: Person, now: dt.datetime) -> Any:
    row = detail.row
    taxonomy = services.nps.taxonomy()
    labels = [
        (taxonomy.path_name(lbl) if lbl in taxonomy.labels else lbl, s) for lbl, s in row.labels
    ]
    facts = (row.brand, row.country, row.touchpoint, f"{row.source} {row.external_id}")
    due, due_class = _due(row, now)
    # Whoever answers the customer reads the comment in their own language too.
    translation = services.nps.translations([row.response_id]).get(row.response_id)
    if translation is not None:
        translation = (_readable(services, translation[0], person), translation[1])
    card = comment_card(
        row.response_id,
        row.score,
        _comment(services, row, person),
        facts,
        relative_time(row.submitted_at, now),
        labels,
        translation=translation,
    )
    return [
        html.Div(_("Follow-up #%(id)s", id=row.id), className="fw-label"),
        card,
        html.Div(
            [
                html.Span(
                    _("Status: %(status)s", status=row.status.words),
                    className="me-3 fw-followup-status",
                ),
                html.Span(
                    _("Owner: %(owner)s", owner=_owner(row)), className="me-3 fw-followup-owner"
                ),
                html.Span(due, className=due_class),
            ],
            className="mt-2",
        ),
        *(
            [html.Div(_("Reason: %(reason)s", reason=row.reason), className="fw-detail")]
            if row.reason
            else []
        ),
    ]


def _not_a_user() -> Any:
    """Why "assign to me" cannot: the local demo sign-in is an admin without a user."""
    return dbc.Alert(
        _(
            "You are signed in without a user of your own (the local demo), so nothing can be"
            " yours: assign it to someone from the list, or sign in as a user."
        ),
        color="warning",
    )


def _actor_words(actor: str) -> str:
    """Who made a change: a person's name, or the rule that opened the follow-up."""
    return _("the follow-up rule") if actor == service.RULE_ACTOR else actor


def _history(detail: service.Detail) -> Any:
    items = []
    for e in reversed(detail.events):
        if e.field == "opened":
            what = _("opened it")
        elif e.field == "status":
            what = _(
                "status %(old)s → %(new)s",
                old=_status_words(e.from_value),
                new=_status_words(e.to_value),
            )
        elif e.field == "owner":
            what = _(
                "owner %(old)s → %(new)s",
                old=e.from_value or _("nobody"),
                new=e.to_value or _("nobody"),
            )
        else:
            what = _("added a note")
        items.append(
            html.Li(
                [
                    html.Span(
                        f"{local_moment(e.at)} · {_actor_words(e.actor)}: ", className="text-muted"
                    ),
                    what,
                    *([html.Div(e.note, className="fw-followup-note")] if e.note else []),
                ]
            )
        )
    return [
        html.Div(_("History"), className="fw-label mt-3"),
        html.Ul(items, className="fw-followup-history"),
    ]


def _status_words(value: str | None) -> str:
    """A status stored in the history (a machine value) as the reader reads it."""
    try:
        return Status(value or "").words
    except ValueError:
        return value or ""


def _owner_id(services: Services, name: str) -> int | None:
    return {n: i for i, n in service.people(services.sessions)}.get(name)


def register(app: Dash, services: Services) -> None:
    """The page's reading callbacks (viewer role)."""

    @app.callback(
        Output(FollowUps.URL, "search"),
        Input(FollowUps.BRAND, "value"),
        Input(FollowUps.COUNTRY, "value"),
        Input(FollowUps.TOUCHPOINT, "value"),
        Input(FollowUps.LABEL, "value"),
        Input(FollowUps.STATUS, "value"),
        Input(FollowUps.OWNER, "value"),
        Input(FollowUps.AGE, "value"),
        State(FollowUps.URL, "search"),
        prevent_initial_call=True,
    )
    def controls_to_url(
        brand: list[str] | None,
        country: list[str] | None,
        touchpoint: list[str] | None,
        label: str | None,
        status: list[str] | None,
        owner: str | None,
        age: str | None,
        search: str | None,
    ) -> str:
        shown = dict(parse_qsl((search or "").lstrip("?"))).get("id")
        statuses = status or []
        open_ = [s.value for s in Status if s.open]
        return query_string(
            {
                "brand": brand,
                "country": country,
                "touchpoint": touchpoint,
                "label": label,
                # The default (every open one) stays out of the URL; none chosen is "all".
                "status": None if sorted(statuses) == sorted(open_) else (statuses or "all"),
                "owner": owner,
                "age": age,
                "id": shown,
            }
        )

    @app.callback(
        Output(FollowUps.BRAND, "options"),
        Output(FollowUps.COUNTRY, "options"),
        Output(FollowUps.TOUCHPOINT, "options"),
        Output(FollowUps.LABEL, "options"),
        Output(FollowUps.OWNER, "options"),
        Output(FollowUps.BULK_OWNER, "options"),
        Output(FollowUps.ASSIGN_OWNER, "options"),
        Input(FollowUps.URL, "pathname"),
    )
    def options(_path: str | None) -> tuple[Any, ...]:
        if _reader() is None:
            raise PreventUpdate
        dims = services.nps.dimensions()
        taxonomy = services.nps.taxonomy()
        labels = [{"label": taxonomy.path_name(i), "value": i} for i in taxonomy.labels]
        people = service.people(services.sessions)
        owners = translated(OWNERS) + [{"label": name, "value": name} for _, name in people]
        assignable = [{"label": name, "value": str(i)} for i, name in people]
        return (
            dims["brand"],
            dims["country"],
            dims["touchpoint"],
            labels,
            owners,
            assignable,
            assignable,
        )

    @app.callback(
        Output(FollowUps.COUNT, "children"),
        Output(FollowUps.QUEUE, "children"),
        Output(FollowUps.PAGER, "children"),
        Output(FollowUps.VERSIONS, "data"),
        Output(FollowUps.DETAIL, "children"),
        Output(FollowUps.HISTORY, "children"),
        Output(FollowUps.SHOWN, "data"),
        Output(FollowUps.ACTIONS, "style"),
        Input(FollowUps.URL, "search"),
        Input(FollowUps.CHANGED, "data"),
    )
    def show(search: str | None, _changed: int | None) -> tuple[Any, ...]:
        person = _reader()
        if person is None:
            raise PreventUpdate
        params = dict(parse_qsl((search or "").lstrip("?")))
        now = dt.datetime.now(dt.UTC)
        try:
            filters = parse_queue(params, person.user_id, lambda name: _owner_id(services, name))
            after = parse_after(params.get("after"))
        except BadParameter as exc:
            warning = dbc.Alert(str(exc), color="warning")
            return warning, "", "", {}, "", "", None, _HIDDEN
        rows = service.queue(services.sessions, filters, limit=PAGE_SIZE, after=after)
        base = {k: v for k, v in params.items() if k in FILTER_KEYS}
        # Once per refresh: without a cache, each ask reads and parses the taxonomy.
        taxonomy = services.nps.taxonomy()
        table = (
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th(h)
                                for h in (
                                    "",
                                    _("Score"),
                                    _("Comment"),
                                    _("Where"),
                                    _("Status"),
                                    _("Owner"),
                                    _("Due"),
                                )
                            ]
                        )
                    ),
                    html.Tbody(
                        [
                            _queue_row(
                                r,
                                _comment(services, r, person),
                                _label_names(taxonomy, r),
                                person.role >= Role.analyst,
                                base,
                                now,
                            )
                            for r in rows
                        ]
                    ),
                ],
                size="sm",
                hover=True,
                className="fw-followup-table",
            )
            if rows
            else html.Div(_("Nothing to follow up here."), className="fw-empty")
        )
        pager = []
        if after is not None:
            pager.append(
                dbc.Button(
                    _("First page"),
                    href="/followups" + query_string(base),
                    color="secondary",
                    className="me-2",
                )
            )
        if len(rows) == PAGE_SIZE:
            cursor = format_after(rows[-1].due_at, rows[-1].id)
            pager.append(
                dbc.Button(
                    _("Next page"),
                    href="/followups" + query_string({**base, "after": cursor}),
                    color="primary",
                )
            )
        shown_count = f"{len(rows)}{'+' if len(rows) == PAGE_SIZE else ''}"
        count = ngettext(
            "%(count)s follow-up, oldest due first",
            "%(count)s follow-ups, oldest due first",
            len(rows),
            count=shown_count,
        )
        versions = {str(r.id): r.version for r in rows}
        detail, history, shown, actions = _shown(services, params, person, now)
        return count, table, pager, versions, detail, history, shown, actions

    def _shown(
        services: Services, params: dict[str, str], person: Person, now: dt.datetime
    ) -> tuple[Any, Any, Any, Any]:
        """The follow-up the URL names (``id``, or ``response``'s), its history and actions."""
        wanted = params.get("id", "")
        response = params.get("response", "")
        if response:
            response_id = _number(response)
            if response_id is None:
                return (
                    dbc.Alert(_("response: not a response id"), color="warning"),
                    "",
                    None,
                    _HIDDEN,
                )
            found = service.of_response(services.sessions, response_id)
            if found is None:
                offer = []
                if person.role >= Role.analyst:
                    offer = [
                        html.Button(
                            _("Open a follow-up for it"),
                            id=FollowUps.OPEN_NEW,
                            className="btn btn-sm btn-primary mt-2",
                            n_clicks=0,
                        )
                    ]
                return (
                    [html.Div(_("This response has no follow-up."), className="fw-empty"), *offer],
                    "",
                    {"response": response_id},
                    _HIDDEN,
                )
            wanted = str(found)
        if not wanted:
            return (
                html.Div(_("Choose a follow-up from the queue."), className="fw-empty"),
                "",
                None,
                _HIDDEN,
            )
        followup_id = _number(wanted, 10)
        if followup_id is None:
            return dbc.Alert(_("id: not a follow-up id"), color="warning"), "", None, _HIDDEN
        try:
            detail = service.detail(services.sessions, followup_id)
        except NotFound:
            return (
                html.Div(_("No such follow-up (erased, or never opened)."), className="fw-empty"),
                "",
                None,
                _HIDDEN,
            )
        actions = _SHOWN_ACTIONS if person.role >= Role.analyst else _HIDDEN
        shown = {"id": detail.row.id, "version": detail.row.version}
        return _detail(services, detail, person, now), _history(detail), shown, actions


def register_actions(app: Dash, services: Services) -> None:
    """The page's changing callbacks (analyst role)."""

    def _actor() -> Person:
        person = current_person()
        if person is None or person.role < Role.analyst:
            raise PreventUpdate
        return person

    @app.callback(
        Output(FollowUps.MESSAGE, "children"),
        Output(FollowUps.CHANGED, "data"),
        Output(FollowUps.NOTE, "value"),
        Output(FollowUps.REASON, "value"),
        Input(FollowUps.ASSIGN_ME, "n_clicks"),
        Input(FollowUps.ASSIGN, "n_clicks"),
        Input(FollowUps.move(ALL), "n_clicks"),
        Input(FollowUps.SAVE_NOTE, "n_clicks"),
        Input(FollowUps.CLOSE, "n_clicks"),
        State(FollowUps.SHOWN, "data"),
        State(FollowUps.ASSIGN_OWNER, "value"),
        State(FollowUps.NOTE, "value"),
        State(FollowUps.REASON, "value"),
        State(FollowUps.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def act(
        _me: int | None,
        _assign: int | None,
        _moves: list[int | None],
        _note: int | None,
        _close: int | None,
        shown: dict[str, Any] | None,
        owner: str | None,
        note: str | None,
        reason: str | None,
        changed: int | None,
    ) -> tuple[Any, ...]:
        trigger = ctx.triggered_id
        if not ctx.triggered or not any(t.get("value") for t in ctx.triggered):
            raise PreventUpdate
        person = _actor()
        shown_id = _number((shown or {}).get("id"), 10)
        shown_version = _number((shown or {}).get("version"), 10)
        if shown_id is None or shown_version is None:
            raise PreventUpdate
        wanted = Change(note=note)
        if trigger == FollowUps.ASSIGN_ME and person.user_id is None:
            return _not_a_user(), no_update, no_update, no_update
        if trigger == FollowUps.ASSIGN_ME:
            wanted.owner_id = person.user_id
        elif trigger == FollowUps.ASSIGN:
            if _number(owner, 10) is None:
                return (
                    dbc.Alert(_("Choose whom to assign it to."), color="warning"),
                    no_update,
                    no_update,
                    no_update,
                )
            wanted.owner_id = _number(owner, 10)
        elif trigger == FollowUps.CLOSE:
            wanted.status, wanted.reason = Status.closed, reason
        elif isinstance(trigger, dict) and trigger.get("type") == FollowUps.move(None)["type"]:
            wanted.status = Status(trigger["status"])
        elif trigger != FollowUps.SAVE_NOTE:
            raise PreventUpdate
        elif not (note or "").strip():
            return (
                dbc.Alert(_("The note is empty."), color="warning"),
                no_update,
                no_update,
                no_update,
            )
        try:
            row = service.update(
                services.sessions,
                services.settings.followups,
                shown_id,
                shown_version,
                person.name,
                wanted,
            )
        except Conflict as exc:
            # Nothing was written: the note and reason stay in their fields, the page
            # shows what is there now, and the person decides again.
            message = dbc.Alert(
                _(
                    "Not saved: %(why)s. The follow-up below is as it is now; your note is"
                    " still in its field.",
                    why=str(exc),
                ),
                color="warning",
                className="fw-followup-conflict",
            )
            return message, (changed or 0) + 1, no_update, no_update
        except (ChangeError, NotFound) as exc:
            return dbc.Alert(str(exc), color="warning"), no_update, no_update, no_update
        said = (
            _("Note saved.")
            if trigger == FollowUps.SAVE_NOTE
            else _(
                "Saved: %(status)s, owner %(owner)s.", status=row.status.words, owner=_owner(row)
            )
        )
        done = dbc.Alert(
            said,
            color="success",
            className="fw-followup-saved",
            duration=4000,
        )
        return done, (changed or 0) + 1, "", ""

    @app.callback(
        Output(FollowUps.BULK_MESSAGE, "children"),
        Output(FollowUps.CHANGED, "data", allow_duplicate=True),
        Input(FollowUps.BULK_ME, "n_clicks"),
        Input(FollowUps.BULK_ASSIGN, "n_clicks"),
        State(FollowUps.pick(ALL), "value"),
        State(FollowUps.pick(ALL), "id"),
        State(FollowUps.BULK_OWNER, "value"),
        State(FollowUps.VERSIONS, "data"),
        State(FollowUps.CHANGED, "data"),
        prevent_initial_call=True,
    )
    def bulk(
        _me: int | None,
        _assign: int | None,
        checked: list[bool | None],
        ids: list[dict[str, Any]],
        owner: str | None,
        versions: dict[str, int] | None,
        changed: int | None,
    ) -> tuple[Any, ...]:
        if not ctx.triggered or not any(t.get("value") for t in ctx.triggered):
            raise PreventUpdate
        person = _actor()
        picked = [
            n
            for i, c in zip(ids, checked, strict=False)
            if c is True and isinstance(i, dict) and (n := _number(i.get("id"), 10)) is not None
        ]
        if not picked:
            return _("Select follow-ups first (the boxes on the left)."), no_update
        if ctx.triggered_id == FollowUps.BULK_ME and person.user_id is None:
            return _not_a_user(), no_update
        if ctx.triggered_id == FollowUps.BULK_ME:
            target = person.user_id
        elif _number(owner, 10) is not None:
            target = _number(owner, 10)
        else:
            return _("Choose whom to assign them to."), no_update
        known = versions or {}
        pairs = [(i, v) for i in picked if (v := _number(known.get(str(i)), 10)) is not None]
        moved, problems = service.bulk_assign(
            services.sessions, services.settings.followups, pairs, target, person.name
        )
        text = _("Assigned %(moved)s of %(picked)s.", moved=moved, picked=len(picked))
        if problems:
            text += " " + _("Not assigned: %(problems)s", problems="; ".join(problems))
        return text, (changed or 0) + 1

    @app.callback(
        Output(FollowUps.URL, "search", allow_duplicate=True),
        Input(FollowUps.OPEN_NEW, "n_clicks"),
        State(FollowUps.SHOWN, "data"),
        State(FollowUps.URL, "search"),
        prevent_initial_call=True,
    )
    def open_new(clicks: int | None, shown: dict[str, Any] | None, search: str | None) -> str:
        response_id = _number((shown or {}).get("response"))
        if not clicks or response_id is None:
            raise PreventUpdate
        person = _actor()
        try:
            followup_id = service.open_manually(
                services.sessions, services.settings.followups, response_id, person.name
            )
        except NotFound:
            raise PreventUpdate from None
        params = {k: v for k, v in parse_qsl((search or "").lstrip("?")) if k in FILTER_KEYS}
        return query_string({**params, "id": str(followup_id)})
