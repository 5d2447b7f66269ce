"""The wall's panels: big NPS, heatmap, trends, volume, live feed, themes.

Components only; callbacks fill them. The same panels serve the stand-alone
pages and the kiosk, whose CSS sizes them from the viewport.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.services import services_of
from layouts.ids import Panels

#: Static charts: no mode bar or zoom on a wall, SVG rendering (no WebGL contexts to leak).
GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": False, "responsive": True}


def filters_store(brand: str | None, country: str | None) -> html.Div:
    """The page's brand/country filters, taken from its URL, and the place that says when one
    names nothing the store has."""
    return html.Div(
        [
            dcc.Store(id=Panels.FILTERS, data={"brand": brand or "", "country": country or ""}),
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


def _polled(tick_id: str, poll_id: str) -> list[dcc.Interval | dcc.Store]:
    # A panel on a hidden kiosk page would ask the server for what nobody sees:
    # the tick passes through a browser-side check that lets only shown panels ask.
    return [_tick(tick_id), dcc.Store(id=poll_id)]


def _graph(graph_id: str, height: str) -> dcc.Graph:
    return dcc.Graph(
        id=graph_id, config=GRAPH_CONFIG, style={"height": height}, className="fw-graph"
    )


def overview_body(theme: str = "dark") -> html.Div:
    """Big rolling NPS with interval and change, the brand x country heatmap, trends and volume.

    *theme* ("dark" or "light") is the screen's: the charts are drawn in its colours.
    """
    kpi = dbc.Card(
        dbc.CardBody(
            [
                html.Div("NPS · last 30 days", className="fw-label"),
                html.Div("–", id=Panels.NPS, className="fw-kpi"),
                html.Div(id=Panels.NPS_DETAIL, className="fw-detail"),
                html.Div(id=Panels.CHANGE, className="fw-change"),
            ]
        ),
        className="fw-card h-100",
    )
    return html.Div(
        [
            *_polled(Panels.TICK_OVERVIEW, Panels.POLL_OVERVIEW),
            dcc.Store(id=Panels.THEME, data=theme),
            dbc.Row(
                [
                    dbc.Col(kpi, width=3, className="fw-col"),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div(
                                        "NPS by brand and country · 30 days", className="fw-label"
                                    ),
                                    _graph(Panels.HEATMAP, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=9,
                        className="fw-col",
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
                                    html.Div(
                                        "Rolling 30-day NPS by brand (dotted: 7-day)",
                                        className="fw-label",
                                    ),
                                    _graph(Panels.TRENDS, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=8,
                        className="fw-col",
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.Div("Responses per day", className="fw-label"),
                                    _graph(Panels.VOLUME, "100%"),
                                ]
                            ),
                            className="fw-card h-100",
                        ),
                        width=4,
                        className="fw-col",
                    ),
                ],
                className="fw-row fw-row-bottom g-3",
            ),
        ],
        className="fw-body fw-overview",
        **{Panels.POLL_ATTR: Panels.POLL_OVERVIEW},
    )


def feed_body() -> html.Div:
    """The newest comments, newest on top."""
    return html.Div(
        [
            *_polled(Panels.TICK_FEED, Panels.POLL_FEED),
            html.Div("Live comments", className="fw-label"),
            html.Div(id=Panels.FEED, className="fw-feed"),
        ],
        className="fw-body fw-feed-body",
        **{Panels.POLL_ATTR: Panels.POLL_FEED},
    )


def alert_body() -> html.Div:
    """Cells whose NPS dropped significantly, and the comments behind them."""
    return html.Div(
        [_tick(Panels.TICK_ALERT), html.Div(id=Panels.ALERT, className="fw-alerts")],
        className="fw-body fw-alert-body",
    )


def labels_body() -> html.Div:
    """One tile per theme, sized by volume and coloured by NPS."""
    return html.Div(
        [
            *_polled(Panels.TICK_LABELS, Panels.POLL_LABELS),
            html.Div("What customers talk about · 30 days", className="fw-label"),
            html.Div(id=Panels.LABELS, className="fw-tiles"),
        ],
        className="fw-body fw-labels-body",
        **{Panels.POLL_ATTR: Panels.POLL_LABELS},
    )
