"""Kiosk: a rotation of wall pages for an unattended screen, configured entirely by its URL.

``/kiosk?pages=overview,feed,labels&interval=30&brand=Velora&country=DE&night=22-6``
or ``/kiosk?playlist=lobby`` for a playlist from the configuration. No
navigation, no scrollbars, the cursor hides when still; space pauses, arrows
step. Rotation runs in the browser (assets/kiosk.js); its position is kept
in the URL's fragment, so a reload resumes where it was.
"""

from __future__ import annotations

import math
from typing import Any

import dash
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.config import ConfigError, Playlist
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.services import services_of
from layouts.ids import Kiosk, Shell
from layouts.panels import (
    DEFAULT_ROTATION,
    PANELS,
    WallPanel,
    filters_store,
    history_line,
    unknown_pages,
)

DEFAULT_INTERVAL = 30.0
MIN_INTERVAL = 5.0
MAX_INTERVAL = 3600.0


def kiosk_config(query: dict[str, str], playlists: dict[str, Any]) -> dict[str, Any]:
    """The rotation a URL asks for, with bad values replaced by defaults (a screen must start).

    Pure: returns pages (known names, in order, at least one), interval in
    seconds (5 to 3600), brand/country filters, theme and the night window.
    """
    base: dict[str, Any] = {}
    playlist = playlists.get(query.get("playlist", ""))
    if playlist is not None:
        base = {
            "pages": ",".join(playlist.pages or ()),
            "interval": str(playlist.interval),
            "brand": ",".join(playlist.brand),
            "country": ",".join(playlist.country),
            "theme": playlist.theme,
        }
    merged = {**base, **{k: v for k, v in query.items() if k != "playlist"}}
    asked = (merged.get("pages") or "").split(",")
    pages = [p for p in asked if p in DEFAULT_ROTATION] or list(DEFAULT_ROTATION)
    try:
        interval = float(merged.get("interval") or DEFAULT_INTERVAL)
    except ValueError:
        interval = DEFAULT_INTERVAL
    # "nan" is no interval; "1e999" is infinite (JSON has no such number: the screen broke).
    interval = DEFAULT_INTERVAL if math.isnan(interval) else interval
    interval = min(MAX_INTERVAL, max(MIN_INTERVAL, interval))
    night = None
    try:
        start, end = (int(h) for h in (merged.get("night") or "").split("-"))
        if 0 <= start <= 23 and 0 <= end <= 23:
            night = [start, end]
    except ValueError:
        pass
    return {
        "pages": list(dict.fromkeys(pages)),
        "interval": interval,
        "brand": merged.get("brand", ""),
        "country": merged.get("country", ""),
        "theme": "light" if merged.get("theme") == "light" else "dark",
        "night": night,
        # Pages a kiosk shows only while they have something to say (assets/kiosk.js).
        "standby": [panel.name for panel in PANELS if not panel.rotation],
    }


def layout(**query: str) -> html.Div:
    """The kiosk screen for this URL's rotation."""
    config = kiosk_config(query, services_of().settings.playlists)
    chosen = [panel for name in config["pages"] for panel in PANELS if panel.name == name]
    # Panels out of the rotation (the alert) wait hidden until they have something to
    # say; assets/kiosk.js shows them then.
    waiting = [panel for panel in PANELS if not panel.rotation]
    pages = [_page(panel, shown=i == 0) for i, panel in enumerate(chosen + waiting)]
    return html.Div(
        [
            dcc.Store(id=Kiosk.CONFIG, data=config),
            dcc.Store(id=Kiosk.ALERTS, data=0),
            dcc.Interval(id=Kiosk.CLOCK, interval=500),
            # The charts are drawn in the screen's theme.
            filters_store(config["brand"], config["country"], config["theme"], wall=True),
            html.Div(id=Kiosk.PROGRESS, className="fw-progress"),
            history_line(),
            *pages,
            html.Div(id=Shell.UPDATED, className="fw-kiosk-updated"),
        ],
        id=Kiosk.ROOT,
        className=f"fw-kiosk theme-{config['theme']}",
    )


def _page(panel: WallPanel, *, shown: bool) -> html.Div:
    """One page of the rotation: the panel's title over its body."""
    title_class = "fw-kiosk-title" if panel.rotation else f"fw-kiosk-title fw-{panel.name}-title"
    return html.Div(
        [html.Div(_(panel.title), className=title_class), panel.body()],
        id=Kiosk.page(panel.name),
        className="fw-kiosk-page",
        style={"display": "block" if shown else "none"},
        **{"data-page": panel.name},
    )


def check_playlists(playlists: dict[str, Playlist]) -> None:
    """Raise ConfigError naming the playlist and page when a playlist names no wall page.

    A kiosk skips an unknown page (a screen must start), so a typo in the
    configuration would otherwise pass unseen: say it when the app starts.
    """
    for name, playlist in playlists.items():
        if unknown := unknown_pages(playlist.pages or ()):
            raise ConfigError(
                f"playlists.{name}.pages: no wall page called {', '.join(map(repr, unknown))};"
                f" choose from {', '.join(DEFAULT_ROTATION)}"
            )


def register() -> None:
    """Register the kiosk with Dash Pages (order >= 100 keeps it out of the navigation)."""
    dash.register_page(
        __name__,
        path="/kiosk",
        name=N_("Kiosk"),
        title="Feedback Wall",
        order=100,
        layout=layout,
        role=Role.viewer,
    )
