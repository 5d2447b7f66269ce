"""Compare callbacks: the controls write the URL; the URL decides the comparison."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import Dash, Input, Output, html

from callbacks.explore import query_string
from dashapp import figures
from dashapp.engine import default_as_of
from dashapp.nps import Nps, compare
from dashapp.params import BadParameter, parse_window
from dashapp.queries import Filters
from dashapp.services import Services
from layouts.ids import Compare


def _card(title: str, figure: Nps) -> dbc.Col:
    body = (
        [html.Div("No responses", className="fw-empty")]
        if figure.nps is None
        else [
            html.Div(figures.signed(figure.nps), className="fw-kpi"),
            html.Div(
                f"95% CI {figures.signed(figure.ci_low or 0)}"
                f" to {figures.signed(figure.ci_high or 0)} · n = {figure.n:,}"
                + (" · too few to read much into" if figure.too_small else ""),
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


def verdict(a: Nps, b: Nps) -> str:
    """What a person should conclude from A against B (pure)."""
    change = compare(a, b)
    if change.delta is None:
        return "Nothing to compare yet."
    gap = f"A − B = {change.delta:+.1f} points"
    if a.too_small or b.too_small:
        return f"{gap}, but one side has too few responses to tell."
    if change.significant:
        return f"{gap}: a real difference (z = {change.z:+.2f}, 95% level)."
    return f"{gap}: within noise (z = {change.z:+.2f}); do not read a winner into it."


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
        Input(Compare.URL, "search"),
    )
    def show(search: str | None) -> tuple[Any, go.Figure]:
        params = dict(parse_qsl((search or "").lstrip("?")))
        by = params.get("by", "brand")
        a, b = params.get("a", ""), params.get("b", "")
        try:
            window = parse_window(params.get("window"))
        except BadParameter as exc:
            return dbc.Alert(str(exc), color="warning"), figures.empty("")
        if by not in ("brand", "country", "touchpoint") or not a:
            return html.Div("Choose what to compare.", className="fw-empty"), figures.empty(
                "Choose A (and B)"
            )
        end = default_as_of()
        one = Filters(**{by: (a,)})
        if b:
            other, titles = (
                Filters(**{by: (b,)}),
                (f"A: {a}, last {window} days", f"B: {b}, last {window} days"),
            )
            first = services.nps.total(window=window, as_of=end, filters=one)
            second = services.nps.total(window=window, as_of=end, filters=other)
        else:
            other, titles = (
                one,
                (f"A: {a}, last {window} days", f"B: {a}, the {window} days before"),
            )
            first = services.nps.total(window=window, as_of=end, filters=one)
            second = services.nps.total(
                window=window, as_of=end - dt.timedelta(days=window), filters=one
            )
        result = dbc.Row(
            [
                _card(titles[0], first),
                _card(titles[1], second),
                dbc.Col(html.Div(verdict(first, second), className="fw-detail fs-4"), md=4),
            ],
            className="g-3",
        )
        fig = go.Figure()
        for name, flt in ((a, one), (b, other)) if b else ((a, one),):
            points = services.nps.rolling((by,), window=window, days=90, filters=flt)
            fig.add_scatter(
                x=[p.day for p in points], y=[p.nps.nps for p in points], mode="lines", name=name
            )
        return result, figures.style(fig)
