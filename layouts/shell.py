"""The frame around every page: URL, poll timer, data stamp and screen scale."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashapp.config import Settings
from dashapp.i18n.core import gettext as _
from layouts.ids import Shell


def shell(settings: Settings, build: str) -> html.Div:
    """The app's root layout; pages render inside ``dash.page_container``.

    *build* is the build id the server reports now (dashapp/web/build.py).
    """
    return html.Div(
        [
            dcc.Location(id=Shell.URL),
            dcc.Store(id=Shell.STAMP),
            dcc.Store(id=Shell.SCALE, data=1.0),
            # Read by assets/wall.js: how often data should arrive (for the stale banner),
            # and the build this page came from (a screen reloads once when the server's differs).
            html.Div(
                id=Shell.SETTINGS,
                **{
                    "data-poll-ms": str(int(settings.poll_interval * 1000)),
                    "data-version": build,
                    # The status lines assets/wall.js writes, in the page's language; the
                    # sign before each says it without colour.
                    "data-text-updated": _("updated {time}"),
                    "data-text-stale": "⚠ " + _("Data stale since {time}"),
                    "data-text-offline": "⛔ "
                    + _("Offline since {time} · showing the last data · retrying"),
                },
            ),
            # Said politely: a change the store could not take (dashapp/web/errors.py).
            html.Div(id=Shell.NOTICE, className="fw-notice", role="status"),
            dash.page_container,
        ],
        className="fw-root",
    )
