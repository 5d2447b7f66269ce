"""Follow-ups: the queue of responses someone has to answer, oldest due first.

``/followups?brand=Velora&country=DE&status=new,in_progress&owner=me&age=1d&id=42`` —
the filter and the follow-up shown live in the URL, so a view is a link.
``/followups?response=<response id>`` opens a response's follow-up (the feed's
and explore's comments link here). Keyboard: Tab walks the queue and the
actions; Alt+M assigns to me, Alt+N goes to the note, Alt+S saves it.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import has_request_context

from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.followups.params import AGES, parse_age
from dashapp.followups.rules import DONE, OPEN
from dashapp.i18n import formats
from dashapp.i18n.core import N_, options
from dashapp.i18n.core import gettext as _
from layouts.controls import dropdown
from layouts.ids import FollowUps
from layouts.nav import navbar

#: The statuses in the dropdown's order (their values stay machine values in the URL).
STATUSES = (*OPEN, *DONE)
#: Owner choices before the people (the callback adds those); labels translated when shown.
OWNERS = [
    {"label": N_("Any owner"), "value": ""},
    {"label": N_("Mine"), "value": "me"},
    {"label": N_("Nobody's"), "value": "none"},
]


def status_options() -> list[dict[str, str]]:
    """The status dropdown's options in the reader's language."""
    # Only the first letter: str.capitalize would lower the rest ("In bearbeitung").
    return [{"label": s.words[:1].upper() + s.words[1:], "value": s.value} for s in STATUSES]


def age_options() -> list[dict[str, str]]:
    """The age choices in the reader's language ("" is any age)."""
    return [{"label": _("Any age"), "value": ""}] + [
        {"label": _("Age ≥ %(age)s", age=formats.duration(age_of)), "value": age}
        for age in AGES
        if (age_of := parse_age(age)) is not None
    ]


def _values(text: str | None) -> list[str]:
    return [v for v in (text or "").split(",") if v]


def _screen() -> bool:
    person = current_person() if has_request_context() else None
    return person is not None and person.via == "display"


def layout(**query: str) -> html.Div:
    """The follow-up page; the controls start from the URL's values."""
    if _screen():
        return html.Div(
            [html.Div(_("Wall screens show follow-up figures only."), className="fw-empty")],
            className="fw-page",
        )
    statuses = _values(query.get("status"))
    if statuses in ([], ["open"]):
        statuses = [s.value for s in OPEN]
    controls = dbc.Row(
        [
            *[
                dbc.Col(
                    dropdown(
                        id=ident,
                        # Options come through a callback: layouts hold no queries.
                        options=_values(query.get(name)),
                        value=_values(query.get(name)),
                        multi=True,
                        placeholder=_(label),
                    ),
                    md=2,
                )
                for ident, name, label in (
                    (FollowUps.BRAND, "brand", N_("All brands")),
                    (FollowUps.COUNTRY, "country", N_("All countries")),
                    (FollowUps.TOUCHPOINT, "touchpoint", N_("All touchpoints")),
                )
            ],
            dbc.Col(
                dropdown(
                    id=FollowUps.LABEL,
                    options=[query["label"]] if query.get("label") else [],
                    value=query.get("label") or None,
                    placeholder=_("Any label"),
                ),
                md=2,
            ),
            dbc.Col(
                dropdown(
                    id=FollowUps.STATUS,
                    options=status_options(),
                    value=statuses if query.get("status") != "all" else [],
                    multi=True,
                    placeholder=_("Any status"),
                ),
                md=2,
            ),
            dbc.Col(
                [
                    # Selects need a name a screen reader can say (axe: select-name).
                    dbc.Label(_("Owner"), html_for=FollowUps.OWNER, class_name="visually-hidden"),
                    dbc.Select(
                        id=FollowUps.OWNER,
                        options=options(OWNERS),
                        value=query.get("owner", ""),
                        placeholder=_("Any owner"),
                    ),
                ],
                width="auto",
            ),
            dbc.Col(
                [
                    dbc.Label(_("Age"), html_for=FollowUps.AGE, class_name="visually-hidden"),
                    dbc.Select(
                        id=FollowUps.AGE,
                        options=age_options(),
                        value=query.get("age", ""),
                        placeholder=_("Any age"),
                    ),
                ],
                width="auto",
            ),
        ],
        className="g-2 align-items-center mb-3",
    )
    bulk = html.Div(
        [
            html.Span(_("Selected:"), className="text-muted me-2"),
            html.Button(
                _("Assign to me"),
                id=FollowUps.BULK_ME,
                # Solid: the outline button's blue on the dark page read at under 4.5:1.
                className="btn btn-sm btn-primary me-2",
                n_clicks=0,
            ),
            dbc.Label(
                _("Assign the selected to"),
                html_for=FollowUps.BULK_OWNER,
                class_name="visually-hidden",
            ),
            dbc.Select(
                id=FollowUps.BULK_OWNER,
                options=[],
                placeholder=_("Assign to …"),
                size="sm",
                className="d-inline-block w-auto me-2",
            ),
            html.Button(
                _("Assign"),
                id=FollowUps.BULK_ASSIGN,
                className="btn btn-sm btn-primary me-2",
                n_clicks=0,
            ),
            html.Span(id=FollowUps.BULK_MESSAGE, className="fw-detail"),
        ],
        className="mb-2",
    )
    return html.Div(
        [
            navbar(),
            dcc.Location(id=FollowUps.URL, refresh="callback-nav"),
            dcc.Store(id=FollowUps.VERSIONS, data={}),
            dcc.Store(id=FollowUps.SHOWN, data=None),
            dcc.Store(id=FollowUps.CHANGED, data=0),
            controls,
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.Div(id=FollowUps.COUNT, className="fw-label mb-2"),
                            bulk,
                            html.Div(id=FollowUps.QUEUE, className="fw-followup-queue"),
                            html.Div(id=FollowUps.PAGER, className="my-3"),
                        ],
                        md=7,
                    ),
                    dbc.Col(
                        html.Div(
                            [
                                html.Div(id=FollowUps.DETAIL),
                                _actions(),
                                html.Div(id=FollowUps.MESSAGE, className="my-2"),
                                html.Div(id=FollowUps.HISTORY),
                            ],
                            className="fw-card p-3",
                        ),
                        md=5,
                    ),
                ],
                className="g-3",
            ),
        ],
        className="fw-page",
    )


def _actions() -> html.Div:
    """Buttons and fields acting on the follow-up shown (hidden until one is)."""
    move = [
        html.Button(
            _(label),
            id=FollowUps.move(status),
            # Light outlines: the theme's secondary and primary outlines read at 1.4:1
            # and 1.9:1 on the dark card (axe, tests/test_i18n_axe.py).
            className="btn btn-sm btn-outline-light me-2 mb-2",
            n_clicks=0,
        )
        for status, label in (
            ("in_progress", N_("In progress")),
            ("contacted", N_("Contacted")),
            ("resolved", N_("Resolved")),
        )
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.Button(
                        _("Assign to me"),
                        id=FollowUps.ASSIGN_ME,
                        accessKey="m",
                        title="Alt+M",
                        className="btn btn-sm btn-primary me-2 mb-2",
                        n_clicks=0,
                    ),
                    dbc.Label(
                        _("Assign to"),
                        html_for=FollowUps.ASSIGN_OWNER,
                        class_name="visually-hidden",
                    ),
                    dbc.Select(
                        id=FollowUps.ASSIGN_OWNER,
                        options=[],
                        placeholder=_("Someone else …"),
                        size="sm",
                        className="d-inline-block w-auto me-2",
                    ),
                    html.Button(
                        _("Assign"),
                        id=FollowUps.ASSIGN,
                        className="btn btn-sm btn-outline-light me-2 mb-2",
                        n_clicks=0,
                    ),
                ]
            ),
            html.Div(move),
            dbc.Textarea(
                id=FollowUps.NOTE,
                placeholder=_("A note (who you spoke to, what was agreed) …"),
                accessKey="n",
                rows=3,
                className="mb-2",
            ),
            html.Button(
                _("Save note"),
                id=FollowUps.SAVE_NOTE,
                accessKey="s",
                title="Alt+S",
                className="btn btn-sm btn-secondary me-2 mb-2",
                n_clicks=0,
            ),
            html.Div(
                [
                    dbc.Input(
                        id=FollowUps.REASON,
                        placeholder=_("Reason to close without action"),
                        size="sm",
                        className="d-inline-block w-50 me-2",
                    ),
                    html.Button(
                        _("Close without action"),
                        id=FollowUps.CLOSE,
                        className="btn btn-sm btn-outline-danger",
                        n_clicks=0,
                    ),
                ],
                className="mt-1",
            ),
        ],
        id=FollowUps.ACTIONS,
        className="fw-followup-actions mt-3",
        # Shown by the detail callback for analysts once a follow-up is on screen.
        style={"display": "none"},
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/followups",
        name=N_("Follow-ups"),
        title=lambda **_path: _("Follow-ups") + " · Feedback Wall",
        order=6,
        layout=layout,
        role=Role.viewer,
    )
