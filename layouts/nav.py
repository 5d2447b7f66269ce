"""The navigation bar of the stand-alone pages (the kiosk has none)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import has_request_context
from flask_wtf.csrf import generate_csrf

from dashapp.access.gate import current_person
from dashapp.access.users import Person, Role
from dashapp.i18n import core as i18n
from dashapp.i18n.core import gettext as _
from layouts.ids import Shell


def _account(person: Person | None) -> list[object]:
    """Who is signed in, and a sign-out form (a POST with a CSRF token)."""
    if person is None or person.via not in ("session", "demo"):
        return []
    label = [html.I(className="bi bi-person-circle me-1"), f"{person.name} · {person.role.name}"]
    if person.via == "demo":
        return [html.Span(label, className="text-muted me-3")]
    who = html.A(label, href="/account", className="text-muted me-3 text-decoration-none")
    sign_out = html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button(_("Sign out"), type="submit", className="btn btn-sm btn-outline-light"),
        ],
        action="/logout",
        method="POST",
        className="d-inline",
    )
    return [who, sign_out]


def _language_switch() -> html.Span:
    """Links to this page in the other languages (a full load: ?lang= is remembered)."""
    here = i18n.current()
    return html.Span(
        [
            html.A(
                i18n.NATIVE_NAMES[code],
                href=f"?lang={code}",
                lang=i18n.tag(code),
                hrefLang=i18n.tag(code),
                className="text-light me-3 fw-lang-link",
            )
            for code in i18n.LANGUAGES
            if code != here
        ]
    )


def navbar() -> dbc.Navbar:
    """Links to the registered pages this person may open, the "updated" stamp and the account."""
    person = current_person() if has_request_context() else None
    role = person.role if person else Role.viewer
    links = [
        # Page names are marked with N_ where each page registers; read in this language.
        dbc.NavItem(dbc.NavLink(_(page["name"]), href=page["relative_path"], active="exact"))
        for page in dash.page_registry.values()
        if page.get("order") is not None
        and page["order"] < 100
        and page.get("role", Role.admin) <= role
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-megaphone me-2"), "Feedback Wall"], href="/"
                ),
                dbc.Nav(links, navbar=True, className="me-auto"),
                html.Span(id=Shell.UPDATED, className="fw-updated text-muted me-3"),
                _language_switch(),
                *_account(person),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )
