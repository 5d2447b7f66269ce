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
from dashapp.services import services_of
from layouts.ids import Kiosk, Shell
from layouts.panels import (
    alert_body,
    feed_body,
    filters_store,
    history_line,
    labels_body,
    overview_body,
)

BODIES = {"overview": overview_body, "feed": feed_body, "labels": labels_body}
TITLES = {
    "overview": "NPS overview",
    "feed": "Live comments",
    "labels": "What customers talk about",
    "alert": "Significant drop",
}
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
            "pages": ",".join(playlist.pages),
            "interval": str(playlist.interval),
            "brand": ",".join(playlist.brand),
            "country": ",".join(playlist.country),
            "theme": playlist.theme,
        }
    merged = {**base, **{k: v for k, v in query.items() if k != "playlist"}}
    pages = [p for p in (merged.get("pages") or "").split(",") if p in BODIES] or list(BODIES)
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
    }


def layout(**query: str) -> html.Div:
    """The kiosk screen for this URL's rotation."""
    config = kiosk_config(query, services_of().settings.playlists)
    pages = [
        html.Div(
            [
                html.Div(TITLES[name], className="fw-kiosk-title"),
                # The overview's charts are drawn in the screen's theme.
                overview_body(config["theme"]) if name == "overview" else BODIES[name](),
            ],
            id=Kiosk.page(name),
            className="fw-kiosk-page",
            **{"data-page": name},
            style={"display": "block" if i == 0 else "none"},
        )
        for i, name in enumerate(config["pages"])
    ]
    # Shown only while a brand x country cell has dropped significantly (assets/kiosk.js).
    pages.append(
        html.Div(
            [html.Div(TITLES["alert"], className="fw-kiosk-title fw-alert-title"), alert_body()],
            id=Kiosk.page("alert"),
            className="fw-kiosk-page",
            style={"display": "none"},
            **{"data-page": "alert"},
        )
    )
    return html.Div(
        [
            dcc.Store(id=Kiosk.CONFIG, data=config),
            dcc.Store(id=Kiosk.ALERTS, data=0),
            dcc.Interval(id=Kiosk.CLOCK, interval=500),
            filters_store(config["brand"], config["country"]),
            html.Div(id=Kiosk.PROGRESS, className="fw-progress"),
            history_line(),
            *pages,
            html.Div(id=Shell.UPDATED, className="fw-kiosk-updated"),
        ],
        id=Kiosk.ROOT,
        className=f"fw-kiosk theme-{config['theme']}",
    )


def register() -> None:
    """Register the kiosk with Dash Pages (order >= 100 keeps it out of the navigation)."""
    dash.register_page(
        __name__,
        path="/kiosk",
        name="Kiosk",
        title="Feedback Wall",
        order=100,
        layout=layout,
        role=Role.viewer,
    )
