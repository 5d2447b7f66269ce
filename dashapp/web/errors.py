"""One answer per kind of failure anywhere on the web, never a 500 with a stack trace.

- A bad parameter: 400 naming it.
- The store cannot answer now (its write lock held by another process, down, hung,
  every connection busy): 503 with ``Retry-After``, nothing written (the unit of work
  rolled back with its session). A Dash callback instead leaves its outputs as they
  were and, when a person clicked, says so in the page's notice (the renderer shows no
  failed request).
- Any other database error is a defect: 500, with its stack trace in the log.
"""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import ctx, set_props
from flask import Flask, Response, jsonify, render_template_string, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import InternalServerError

from dashapp.i18n import core
from dashapp.i18n.core import gettext as _
from dashapp.metrics.params import BadParameter
from dashapp.store.db import is_unavailable
from layouts.ids import Shell

log = logging.getLogger(__name__)

#: Seconds a client waits before it retries a change the store could not take.
RETRY_AFTER_S = 5

_BUSY_PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }}</title>
{% if reload %}<meta http-equiv="refresh" content="{{ reload }}">{% endif %}
<link rel="stylesheet" href="/assets/a11y.css"></head>
<body class="fw-gatepage"><main class="fw-gate"><h1>{{ title }}</h1><p>{{ text }}</p></main>
</body></html>
"""


def bad_parameter(exc: BadParameter) -> tuple[Response, int]:
    """The answer to a request with a bad parameter: 400 naming it (never a 500)."""
    return jsonify(error=str(exc), parameter=exc.name), 400


def store_unavailable(exc: SQLAlchemyError) -> tuple[Response | str, int, dict[str, str]]:
    """503 with Retry-After: JSON for the API and callbacks, a short page for a person.

    Only for the store's state (:func:`dashapp.store.db.is_unavailable`); any other
    database error is a defect: 500, its stack trace in the log.
    """
    if not is_unavailable(exc):
        log.error("%s %s failed", request.method, request.path, exc_info=exc)
        return InternalServerError.description, 500, {}
    _log(exc)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.path.startswith(("/api/", "/_dash")) or request.is_json:
        message = "store busy or unavailable, nothing was changed; retry later"
        return jsonify(error=message), 503, headers
    reading = request.method in ("GET", "HEAD")
    page = render_template_string(
        _BUSY_PAGE,
        lang=core.tag(core.current()),
        title=_("The store is busy"),
        # A page asked for (a wall screen's, too) comes back by itself; a form sent is not
        # sent again behind the person's back.
        text=_("This page reloads by itself in a few seconds.")
        if reading
        else _("Nothing was saved; try again in a moment."),
        reload=RETRY_AFTER_S if reading else None,
    )
    return page, 503, headers


def callback_failed(exc: Exception) -> None:
    """Dash's ``on_error`` for every callback: the store's unavailability becomes a notice.

    The callback's outputs stay as they were (returning None is "no update"); any
    other exception is raised on, as it would be without this handler.
    """
    if not is_unavailable(exc):
        raise exc
    _log(exc)
    if not any(prop.endswith(".n_clicks") for prop in ctx.triggered_prop_ids):
        # A poll or a page's own loading: its outputs keep their last values, and wall
        # screens say stale data in their own banner. Only a person's click hears of it.
        return
    set_props(
        Shell.NOTICE,
        {
            "children": dbc.Alert(
                _("The store is busy. Nothing was saved; try again in a moment."),
                color="warning",
                duration=8000,
                className="fw-notice-busy",
            )
        },
    )


def _log(exc: Exception) -> None:
    # One line, not a stack trace: this is the store's state, not the app's defect.
    reason = (str(getattr(exc, "orig", None) or exc).splitlines() or [type(exc).__name__])[0]
    log.warning("store unavailable for %s %s: %s", request.method, request.path, reason)


def install(server: Flask) -> None:
    """Answer what any view of *server* raises for bad parameters and a busy store."""
    server.register_error_handler(BadParameter, bad_parameter)
    # Every database error comes here; is_unavailable tells the store's state from a defect.
    server.register_error_handler(SQLAlchemyError, store_unavailable)
