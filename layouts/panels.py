"""The wall's panels: big NPS, heatmap, trends, volume, live feed, themes, drop alert.

Components only; callbacks fill them. The same panels serve the stand-alone
pages and the kiosk, whose CSS sizes them from the viewport. Each panel is
declared once, in :data:`PANELS`: its name (in kiosk URLs and playlists), its
kiosk title, its body and how it polls. The kiosk, the default rotation,
playlist checks, the browser's poll gates and the refresh callbacks
(:mod:`callbacks.wall`) all follow from that declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashapp.figures import overview
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.metrics.windows import MAIN_DAYS
from dashapp.services import services_of
from layouts.controls import graph
from layouts.ids import Panels

#: Static charts: no mode bar or zoom on a wall, SVG rendering (no WebGL contexts to leak).
GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": False, "responsive": True}


def filters_store(
    brand: str | None, country: str | None, theme: str = "dark", *, wall: bool = False
) -> html.Div:
    """The page's brand/country filters, taken from its URL, the place that says when one
    names nothing the store has, the screen's theme ("dark" or "light"), in whose
    colours the panels' charts are drawn, and whether it is a wall screen (the kiosk),
    whose charts are drawn to read from 4 m."""
    return html.Div(
        [
            dcc.Store(id=Panels.FILTERS, data={"brand": brand or "", "country": country or ""}),
            dcc.Store(id=Panels.THEME, data=theme),
            dcc.Store(id=Panels.WALL, data=wall),
            html.Div(id=Panels.FILTER_NOTE),
        ]
    )


def history_line() -> html.Div:
    """Where the wall says how much of the demo's history is stored while it is seeded."""
    return html.Div(
        [_tick(Panels.TICK_HISTORY), html.Div(id=Panels.HISTORY, className="fw-history")]
    )


def poll_ms() -> int:
    """The configured poll interval in milliseconds."""
    return int(services_of().settings.poll_interval * 1000)


def _tick(tick_id: str) -> dcc.Interval:
    # Fires at once on load, then every poll interval; the refresh callback
    # disables it while it runs, so refreshes never overlap.
    return dcc.Interval(id=tick_id, interval=poll_ms(), n_intervals=0)


def _polled(panel: str) -> list[dcc.Interval | dcc.Store]:
    # A panel on a hidden kiosk page would ask the server for what nobody sees:
    # the tick passes through a browser-side check that lets only shown panels ask.
    return [_tick(Panels.tick(panel)), dcc.Store(id=Panels.poll(panel))]


def _gated(panel: str) -> dict[str, str]:
    # The attribute by which assets/wall.js and kiosk.js find the panel's poll store.
    return {Panels.POLL_ATTR: Panels.poll(panel)}


def _graph(graph_id: str, height: str) -> dcc.Graph:
    return graph(graph_id, GRAPH_CONFIG, style={"height": height}, className="fw-graph")


def overview_body() -> html.Div:
    """Big rolling NPS with interval and change, the brand x country heatmap, trends and volume."""
    kpi = dbc.Card(
        dbc.CardBody(
            [
                html.Div(overview.headline_caption(), className="fw-label"),
                html.Div("–", id=Panels.NPS, className="fw-kpi"),
                html.Div(id=Panels.NPS_DETAIL, className="fw-detail"),
                html.Div(id=Panels.CHANGE, className="fw-change"),
            ]
        ),
        className="fw-card h-100",
    )
    return html.Div(
        [
            *_polled("overview"),
            dbc.Row(
                [
                    dbc.Col(kpi, width=3, className="fw-col fw-kpi-col"),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div(overview.title("heatmap"), className="fw-label"),
                                    _graph(Panels.HEATMAP, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=9,
                        className="fw-col fw-heatmap-col",
                    ),
                ],
                className="fw-row fw-row-top g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div(overview.title("trends"), className="fw-label"),
                                    _graph(Panels.TRENDS, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=8,
                        className="fw-col fw-trends-col",
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div(overview.title("volume"), className="fw-label"),
                                    _graph(Panels.VOLUME, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=4,
                        className="fw-col fw-volume-col",
                    ),
                ],
                className="fw-row fw-row-bottom g-3",
            ),
        ],
        className="fw-body fw-overview",
        **_gated("overview"),
    )


def feed_body() -> html.Div:
    """The newest comments, newest on top."""
    return html.Div(
        [
            *_polled("feed"),
            html.Div(_("Live comments"), className="fw-label"),
            html.Div(id=Panels.FEED, className="fw-feed"),
        ],
        className="fw-body fw-feed-body",
        **_gated("feed"),
    )


def alert_body() -> html.Div:
    """Cells whose NPS dropped significantly, and the comments behind them."""
    return html.Div(
        [_tick(Panels.tick("alert")), html.Div(id=Panels.ALERT, className="fw-alerts")],
        className="fw-body fw-alert-body",
    )


def labels_body() -> html.Div:
    """One tile per theme, sized by volume and coloured by NPS."""
    return html.Div(
        [
            *_polled("labels"),
            html.Div(
                _("What customers talk about · %(days)s days", days=MAIN_DAYS),
                className="fw-label",
            ),
            html.Div(id=Panels.LABELS, className="fw-tiles"),
        ],
        className="fw-body fw-labels-body",
        **_gated("labels"),
    )


def followups_body() -> html.Div:
    """How fast teams answer: open and overdue follow-ups, answer times (figures only)."""
    return html.Div(
        [
            *_polled("followups"),
            html.Div(
                _("Follow-ups · open now, answer times over %(days)s days", days=MAIN_DAYS),
                className="fw-label",
            ),
            html.Div(id=Panels.part("followups", "content"), className="fw-followup-panel"),
        ],
        className="fw-body fw-followups-body",
        **_gated("followups"),
    )


@dataclass(frozen=True, slots=True)
class WallPanel:
    """One wall panel, declared once; everything else about it follows from this."""

    #: Its name in kiosk URLs and playlists (``/kiosk?pages=overview,feed``).
    name: str
    #: The heading a kiosk shows above it.
    title: str
    #: Its components (filled by the panel's refresh callback).
    body: Callable[[], Component]
    #: True: refreshed only while on screen (its tick passes the browser's check);
    #: False: polls always, as the alert does to decide whether it joins the rotation.
    gated: bool = True
    #: In the default rotation; False: a kiosk shows it only while it has something to say.
    rotation: bool = True


#: Every wall panel, in the default rotation's order. A new panel is one entry here, its
#: body above (ids from ``Panels.part``) and its builder in callbacks/wall.py (``FILLS``).
PANELS: tuple[WallPanel, ...] = (
    # Titles are marked for the catalog; the kiosk shows them in the reader's language.
    WallPanel("overview", N_("NPS overview"), overview_body),
    WallPanel("feed", N_("Live comments"), feed_body),
    WallPanel("labels", N_("What customers talk about"), labels_body),
    WallPanel("followups", N_("How fast we answer"), followups_body),
    WallPanel("alert", N_("Significant drop"), alert_body, gated=False, rotation=False),
)
BY_NAME = {panel.name: panel for panel in PANELS}
#: The pages a kiosk rotates through when its URL or playlist names none.
DEFAULT_ROTATION = tuple(panel.name for panel in PANELS if panel.rotation)


def unknown_pages(pages: Iterable[str]) -> list[str]:
    """The names in *pages* that no rotating panel has (pure; for playlist checks)."""
    return [page for page in pages if page not in DEFAULT_ROTATION]
