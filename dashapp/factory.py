"""The app factory: one call builds an isolated Dash app with its store, cache and pages."""

from __future__ import annotations

from pathlib import Path

import dash
from dash import Dash
from flask import Flask

import callbacks
import layouts
from dashapp import ratelimit, security
from dashapp.api import MAX_BODY_BYTES, api
from dashapp.chart_export import charts
from dashapp.config import Settings
from dashapp.exports import exports
from dashapp.services import build_services
from layouts.shell import shell

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def create_app(settings: Settings | None = None) -> Dash:
    """Build the Dash app for *settings* (default: from the environment).

    Does not migrate the store or start any scheduled work: the CLI does both,
    so that several gunicorn workers never run jobs twice.
    """
    settings = settings or Settings.load()
    server = Flask(__name__)
    server.config.update(SECRET_KEY=settings.secret_key, MAX_CONTENT_LENGTH=MAX_BODY_BYTES)
    # Keep columns in the order the contract gives (group columns first).
    server.json.sort_keys = False  # type: ignore[attr-defined]
    services = build_services(settings, server)
    security.install(server)
    server.register_blueprint(api)
    ratelimit.install(server, settings)
    server.register_blueprint(exports)
    server.register_blueprint(charts)

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
    return app
