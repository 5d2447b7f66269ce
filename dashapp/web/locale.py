"""Which language a request is answered in, and ``<html lang>`` on every page.

The order: ``?lang=de`` in the URL (remembered in a cookie, so a kiosk's rotation,
playlists, in-page navigation and shared links keep it), then the signed-in
person's own setting (/account), then the browser's Accept-Language, then the
configured default (``FEEDBACKWALL_LANGUAGE``).
"""

from __future__ import annotations

import json
from contextlib import suppress
from urllib.parse import urlencode

from dash import Dash
from flask import Flask, Response, g, request

from dashapp.access.gate import current_person
from dashapp.config import Settings
from dashapp.i18n import core, formats

#: Remembers a ?lang choice for the pages and callbacks that follow.
COOKIE = core.LANGUAGE_COOKIE
COOKIE_DAYS = 365


def choose(settings: Settings) -> str:
    """The language of the current request (see the module's docstring for the order)."""
    person = current_person()
    accepted = [lang for lang, _ in request.accept_languages]
    return core.best_match(
        [
            request.args.get("lang"),
            request.cookies.get(COOKIE),
            person.language if person else None,
            *accepted,
        ],
        settings.language,
    )


def install(server: Flask, settings: Settings) -> None:
    """Set the language per request: once before the gate (whose own pages, revoked and
    forbidden, are read too) and again after it, when it knows who is signed in."""

    def _set_language() -> None:
        token = core.set_current(choose(settings))
        g.setdefault("fw_language_token", token)

    server.before_request_funcs.setdefault(None, []).insert(0, _set_language)
    server.before_request(_set_language)

    @server.after_request
    def _remember(response: Response) -> Response:
        asked = core.pick(request.args.get("lang"))
        if asked and request.cookies.get(COOKIE) != asked:
            response.set_cookie(
                COOKIE, asked, max_age=COOKIE_DAYS * 86400, samesite="Lax", httponly=True
            )
        response.headers.add("Content-Language", core.tag(core.current()))
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response

    @server.teardown_request
    def _reset(_exc: BaseException | None) -> None:
        token = g.pop("fw_language_token", None)
        if token is not None:
            # Set in another context (a copied one): nothing to undo here.
            with suppress(ValueError):
                core.reset(token)

    # The sign-in, account and error templates: {{ _("...") }} and <html lang="{{ lang }}">.
    server.jinja_env.add_extension("jinja2.ext.i18n")
    server.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        core.gettext, core.ngettext, newstyle=True
    )
    server.context_processor(lambda: {"lang": core.tag(core.current()), "in_language": in_language})


def in_language(language: str) -> str:
    """This request's address (path and query) in *language*: a language link keeps the
    page, its token and its ``next`` (a bare ``?lang=`` would drop them)."""
    query = {key: values for key, values in request.args.lists() if key != "lang"}
    query["lang"] = [language]
    return f"{request.path}?{urlencode(query, doseq=True)}"


#: Dash's screen-reader labels that no prop sets (date pickers, number inputs), as Dash
#: writes them; assets/locale.js puts them in the page's language.
ARIA_LABELS = (
    core.N_("Previous month"),
    core.N_("Next month"),
    core.N_("Close calendar"),
    core.N_("Clear date"),
    core.N_("Clear Dates"),
    core.N_("Increase value"),
    core.N_("Decrease value"),
)


def html_lang(app: Dash) -> None:
    """Dash's index page says the request's language in ``<html lang>``."""
    plain = app.interpolate_index

    def interpolate_index(**values: str) -> str:
        page = plain(**values)
        language = core.current()
        # The chart locale of this language, from CLDR, and Dash's own labels, for
        # assets/locale.js.
        names = json.dumps(
            {
                "name": language,
                "format": formats.plotly_locale(language),
                "dates": formats.date_fns_names(language),
                "labels": {label: core.gettext(label) for label in ARIA_LABELS},
            }
        )
        # No "<" inside the tag: a catalog's text can never close the script.
        names = names.replace("<", "\\u003c")
        script = f'<script id="fw-locale" type="application/json">{names}</script>'
        page = page.replace("</head>", f"{script}\n</head>", 1)
        return page.replace("<html>", f'<html lang="{core.tag(language)}">', 1)

    app.interpolate_index = interpolate_index
