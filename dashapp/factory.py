"""The app factory: one call builds an isolated Dash app with its store, cache and pages."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash
from flask import Flask
from flask_wtf.csrf import CSRFProtect

import callbacks
import layouts
from dashapp import answer_cache, auth, dash_requests, params, ratelimit, security
from dashapp.api import MAX_BODY_BYTES, api
from dashapp.auth_views import views
from dashapp.chart_export import charts
from dashapp.config import Settings
from dashapp.db import SERVING
from dashapp.exports import exports
from dashapp.services import build_services
from dashapp.users import Role
from layouts.shell import shell

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(settings: Settings | None = None, *, local_demo: bool = False) -> Dash:
    """Build the Dash app for *settings* (default: from the environment).

    *local_demo* signs in this machine's own browser as an admin; only
    ``feedbackwall run --demo`` on a loopback address asks for it.

    Does not migrate the store or start any scheduled work: the CLI does both,
    so that several gunicorn workers never run jobs twice.
    """
    settings = settings or Settings.load()
    server = Flask(__name__)
    server.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    # Every request body read as JSON is refused (400) when nested too deeply.
    server.json = security.RequestJSON(server)
    # Keep columns in the order the contract gives (group columns first).
    server.json.sort_keys = False  # type: ignore[attr-defined]
    # A request waits for the store a few seconds at most, even for a hung one.
    services = build_services(settings, server, deadlines=SERVING)
    security.install(server, settings)
    auth.install(server, settings, services.sessions, services.versions, local_demo)
    # After the gate: only those it lets through get a kept answer.
    answer_cache.install(server)
    csrf = CSRFProtect(server)
    # Token-authenticated (no cookies to abuse) and JSON-only: not form posts.
    csrf.exempt(api)
    server.register_blueprint(api)
    server.register_blueprint(views)
    ratelimit.install(server, settings)
    server.register_blueprint(exports)
    server.register_blueprint(charts)
    params.install(server)
    auth.protect(server, api.name, Role.analyst)
    auth.protect(server, exports.name, Role.analyst)
    auth.protect(server, charts.name, Role.analyst)

    # Pages register into Dash's global registry; start from a clean one so
    # several apps in one process (tests) do not see each other's pages.
    dash.page_registry.clear()
    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        # Bootstrap and icons are vendored in assets/: screens must work offline.
        serve_locally=True,
        suppress_callback_exceptions=True,
        title="Feedback Wall",
        update_title=None,
    )
    layouts.register_pages()
    app.layout = shell(services.settings)
    callbacks.register(app, services)
    # Dash callbacks post JSON, which no form of another site can send; the gate
    # refuses posts from a foreign Origin, and cookies are SameSite=Lax.
    csrf.exempt(server.view_functions["/_dash-update-component"])
    # A hand-made callback request or script path Dash cannot serve is a 4xx, not a 500.
    dash_requests.install(app)
    # Dash learns which script files it may serve only while rendering its index
    # page, so a gunicorn worker whose first request is for a script answered 500
    # ("dash is not a registered library"; plotly/dash#3971). Learn them now.
    with server.test_request_context("/"):
        app._generate_scripts_html()
        app._generate_css_dist_html()
    return app
