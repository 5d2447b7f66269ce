"""Compare callbacks: the controls write the URL; the URL decides the comparison."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Dash, Input, Output, html

from callbacks.components import export_links, filter_note, query_string
from dashapp.figures import charts as figures
from dashapp.figures import comparison
from dashapp.i18n.core import gettext as _
from dashapp.metrics.nps import Nps
from dashapp.metrics.params import BadParameter
from dashapp.services import Services
from layouts.ids import Compare


def _card(title: str, figure: Nps) -> dbc.Col:
    body = (
        [html.Div(_("No responses"), className="fw-empty")]
        if figure.nps is None
        else [
            html.Div(figures.signed(figure.nps), className="fw-kpi"),
            html.Div(
                figures.interval_line(figure)
                + (" · " + _("too few to read much into") if figure.too_small else ""),
                className="fw-detail",
            ),
        ]
    )
    return dbc.Col(
        dbc.Card(
            dbc.CardBody([html.Div(title, className="fw-label"), *body]), className="fw-card h-100"
        ),
        md=4,
    )


def register(app: Dash, services: Services) -> None:
    """Register the comparison page's callbacks."""

    @app.callback(
        Output(Compare.A, "options"),
        Output(Compare.B, "options"),
        Input(Compare.DIMENSION, "value"),
    )
    def options(by: str) -> tuple[list[str], list[str]]:
        values = services.nps.dimensions().get(by, [])
        return values, values

    @app.callback(
        Output(Compare.URL, "search"),
        Input(Compare.DIMENSION, "value"),
        Input(Compare.A, "value"),
        Input(Compare.B, "value"),
        Input(Compare.WINDOW, "value"),
        prevent_initial_call=True,
    )
    def controls_to_url(by: str, a: str | None, b: str | None, window: str) -> str:
        return query_string({"by": by, "a": a, "b": b, "window": window})

    @app.callback(
        Output(Compare.RESULT, "children"),
        Output(Compare.TRENDS, "figure"),
        Output(Compare.EXPORTS, "children"),
        Input(Compare.URL, "search"),
    )
    def show(search: str | None) -> tuple[Any, go.Figure, Any]:
        query = dict(parse_qsl((search or "").lstrip("?")))
        try:
            ask = comparison.parse_ask(query)
        except BadParameter as exc:
            return dbc.Alert(str(exc), color="warning"), figures.empty(""), None
        if ask is None:
            choose = html.Div(_("Choose what to compare."), className="fw-empty")
            return choose, figures.empty(_("Choose A (and B)")), None
        found = comparison.build(services.nps, ask)
        result = dbc.Row(
            [
                _card(found.titles[0], found.first),
                _card(found.titles[1], found.second),
                dbc.Col(
                    html.Div(
                        comparison.verdict(found.first, found.second), className="fw-detail fs-4"
                    ),
                    md=4,
                ),
            ],
            className="g-3",
        )
        if found.notes:
            result = html.Div([filter_note(found.notes), result])
        suffix = query_string({"by": ask.by, "a": ask.a, "b": ask.b, "window": str(ask.window)})
        exports = [
            html.Span(_("Export:") + " ", className="text-muted me-2"),
            *export_links("compare", suffix),
        ]
        return result, comparison.trends_figure(found), exports
