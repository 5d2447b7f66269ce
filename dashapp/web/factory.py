"""The app factory: one call builds an isolated Dash app with its store, cache and pages."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash
from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

import callbacks
import layouts
from dashapp.access import gate as auth
from dashapp.access import ratelimit
from dashapp.access.users import Role
from dashapp.access.views import views
from dashapp.config import Settings
from dashapp.services import attach, build_services
from dashapp.store.db import SERVING
from dashapp.web import answer_cache, dash_requests, errors, locale, security
from dashapp.web.annotations_api import annotations_api
from dashapp.web.api import MAX_BODY_BYTES, api
from dashapp.web.build import BUILD, CONFIG_KEY, build_of
from dashapp.web.chart_export import charts
from dashapp.web.exports import exports
from dashapp.web.followups_api import followups_api
from dashapp.web.rules_api import rules_api
from dashapp.web.subscriptions import pages as subscription_pages
from layouts.not_found import is_page
from layouts.shell import shell

ASSETS = Path(__file__).resolve().parents[1] / "assets"
#: The Flask endpoint of Dash's index for every path other than "/" (its catch-all).
DASH_CATCH_ALL = "/<path:path>"


def _not_found_status(response: Response) -> Response:
    """Dash serves its index for any path; for one no page has, say 404 (the page is the same:
    Dash Pages' router draws the site's not-found page, as it does on in-page navigation)."""
    if (
        request.endpoint == DASH_CATCH_ALL
        and response.status_code == 200
        and not is_page(request.path)
    ):
        response.status_code = 404
    return response


def create_app(settings: Settings | None = None, *, local_demo: bool = False) -> Dash:
    """Build the Dash app for *settings* (default: from the environment).

    *local_demo* signs in loopback peers as an admin, for a caller that
    serves this app on loopback sockets only (tests' browser server);
    ``feedbackwall run --demo`` instead asks :func:`dashapp.access.gate.allow_local_demo`
    with the addresses its sockets were bound to.

    Raises ConfigError when the settings name a wall page no panel declares.
    Does not migrate the store or start any scheduled work: the CLI does both,
    so that several gunicorn workers never run jobs twice.
    """
    settings = settings or Settings.load()
    server = Flask(__name__)
    server.config.update(MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    # Every request body read as JSON is refused (400) when nested too deeply.
    server.json = security.RequestJSON(server)
    # Keep columns in the order the contract gives (group columns first).
    server.json.sort_keys = False
    # A request waits for the store a few seconds at most, even for a hung one.
    services = attach(server, build_services(settings, deadlines=SERVING))
    security.install(server, settings)
    auth.install(server, settings, services.sessions, services.versions)
    if local_demo:
        auth.allow_local_demo(server, ["127.0.0.1"])  # the caller's word: see above
    # The reader's language, before and after the gate (dashapp/web/locale.py).
    locale.install(server, settings)
    # After the gate: only those it lets through get a kept answer.
    answer_cache.install(server)
    csrf = CSRFProtect(server)
    # Token-authenticated (no cookies to abuse) and JSON-only: not form posts.
    csrf.exempt(api)
    csrf.exempt(rules_api)
    csrf.exempt(annotations_api)
    # RFC 8058: a mail client posts the one-click unsubscribe without any token of ours.
    csrf.exempt("dashapp.web.subscriptions.unsubscribe")
    server.register_blueprint(api)
    server.register_blueprint(rules_api)
    server.register_blueprint(annotations_api)
    server.register_blueprint(subscription_pages)
    # PATCH with JSON: no HTML form can send it, and another origin needs a CORS
    # preflight this server never grants.
    csrf.exempt(followups_api)
    server.register_blueprint(followups_api)
    server.register_blueprint(views)
    ratelimit.install(server, settings)
    server.register_blueprint(exports)
    server.register_blueprint(charts)
    errors.install(server)
    auth.protect(server, api.name, Role.analyst)
    auth.protect(server, rules_api.name, Role.admin)
    auth.protect(server, annotations_api.name, Role.analyst)
    auth.protect(server, followups_api.name, Role.analyst)
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
        # The store busy or down: a notice on the page, never a failed request.
        on_error=errors.callback_failed,
    )
    layouts.register_pages(settings.playlists)
    locale.html_lang(app)
    server.config[CONFIG_KEY] = BUILD
    # Built per page load, so a page carries the build id the server reports at that moment.
    app.layout = lambda: shell(services.settings, build_of(server))
    callbacks.register(app, services)
    # Dash callbacks post JSON, which no form of another site can send; the gate
    # refuses posts from a foreign Origin, and cookies are SameSite=Lax.
    csrf.exempt(server.view_functions["/_dash-update-component"])
    server.after_request(_not_found_status)
    # Browsers ask for /favicon.ico on pages without a favicon link (sign-in): Dash's icon,
    # rather than its index page (now a 404, as for any address no page has).
    server.add_url_rule("/favicon.ico", "favicon", server.view_functions["/_favicon.ico"])
    # A hand-made callback request or script path Dash cannot serve is a 4xx, not a 500.
    dash_requests.install(app)
    # Dash learns which script files it may serve only while rendering its index
    # page, so a gunicorn worker whose first request is for a script answered 500
    # ("dash is not a registered library"; plotly/dash#3971). Learn them now.
    with server.test_request_context("/"):
        app._generate_scripts_html()
        app._generate_css_dist_html()
    return app
