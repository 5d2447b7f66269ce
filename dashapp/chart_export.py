"""Charts as PNG, SVG or PDF, rendered server-side by kaleido with the system Chromium.

``GET /export/chart/<heatmap|trends|volume|labels>.<png|svg|pdf>?brand=&country=&as_of=``
gives the wall's chart exactly as filtered, restyled for print, with its
title, filters and date in the file. One kaleido server (one browser) per
process is started on first use; without Chromium the answer says how to
install it instead of failing with a stack trace.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import threading

import kaleido
import plotly.graph_objects as go
from flask import Blueprint, Response, jsonify, request

from dashapp import comparison, figures
from dashapp.params import BadParameter, parse_as_of, parse_filters
from dashapp.queries import Filters
from dashapp.services import services_of

log = logging.getLogger(__name__)
charts = Blueprint("feedbackwall_charts", __name__)

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SIZE = (1600, 900)
TITLES = {
    "heatmap": "NPS by brand and country, last 30 days",
    "trends": "Rolling 30-day NPS by brand (dotted: 7-day)",
    "volume": "Responses per day",
    "labels": "Labels: area = comments, colour = NPS, last 30 days",
    "compare": "Comparison",
}
#: Exports are printed on white: charts are drawn in the light theme's colours.
PRINT_THEME = "light"
_lock = threading.Lock()
_started = False


class ExportUnavailable(RuntimeError):
    """Chart rendering cannot run here (no browser); the message says what to install."""


BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")
INSTALL_HINT = (
    "chart export needs Chromium: install it (Debian: apt-get install chromium)"
    " or point BROWSER_PATH at a Chromium or Chrome binary"
)


def browser_path() -> str | None:
    """The browser kaleido will use: BROWSER_PATH if it exists, else one on PATH."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def render(fig: go.Figure, fmt: str) -> bytes:
    """*fig* as *fmt* bytes, through this process's one kaleido server."""
    global _started
    # One browser per process, shared by all requests; kaleido's server is not
    # made for concurrent calls, so they take turns.
    with _lock:
        if not _started:
            # Checked first: left to find a browser itself, kaleido may try to download one.
            path = browser_path()
            if path is None:
                raise ExportUnavailable(INSTALL_HINT)
            os.environ["BROWSER_PATH"] = path
        try:
            if not _started:
                kaleido.start_sync_server(mathjax=False, silence_warnings=True)
                _started = True
            opts = {"format": fmt, "width": SIZE[0], "height": SIZE[1], "scale": 1}
            return bytes(kaleido.calc_fig_sync(fig.to_dict(), opts=opts))
        except Exception as exc:
            log.warning("chart export failed: %s", exc)
            raise ExportUnavailable(INSTALL_HINT) from None


def figure(name: str, filters: Filters, as_of: dt.datetime | None) -> go.Figure:
    """The chart *name* for these filters, as the wall shows it (in the light theme: print is
    on white paper)."""
    engine = services_of().nps
    if name == "heatmap":
        return figures.heatmap(
            engine.nps_by(("brand", "country"), window=30, as_of=as_of, filters=filters),
            theme=PRINT_THEME,
        )
    if name == "trends":
        return figures.trends(
            engine.rolling(("brand",), window=30, days=90, as_of=as_of, filters=filters),
            engine.rolling(("brand",), window=7, days=90, as_of=as_of, filters=filters),
            theme=PRINT_THEME,
        )
    if name == "labels":
        return figures.label_treemap(engine.labels(window=30, as_of=as_of, filters=filters))
    return figures.volume(
        engine.daily_volume(days=30, as_of=as_of, filters=filters), theme=PRINT_THEME
    )


def _comparison_figure(as_of: dt.datetime | None) -> go.Figure:
    """The compare page's trends for the request's ``by``, ``a``, ``b`` and ``window``."""
    ask = comparison.require_ask(request.args.get)
    found = comparison.build(services_of().nps, ask, as_of)
    verdict = comparison.verdict(found.first, found.second)
    when = found.end.strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"{verdict} · as of {when} · Feedback Wall"
    return figures.for_print(comparison.trends_figure(found), comparison.title(found), subtitle)


def describe(filters: Filters, as_of: dt.datetime | None) -> str:
    """The subtitle: what the chart is filtered to, and when it was made."""
    chosen = [
        ", ".join(values)
        for values in (filters.brand, filters.country, filters.touchpoint)
        if values
    ]
    when = (as_of or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    scope = " · ".join(chosen) or "All brands, countries and touchpoints"
    return f"{scope} · as of {when} · Feedback Wall"


@charts.get("/export/dashboard.pdf")
def export_dashboard() -> Response | tuple[Response, int]:
    """The whole overview on one PDF page, for the monthly slide."""
    try:
        filters = services_of().nps.resolve(parse_filters(request.args.get))[0]
        as_of = parse_as_of(request.args.get("as_of"))
    except BadParameter as exc:
        return jsonify(error=str(exc), parameter=exc.name), 400
    total = services_of().nps.total(window=30, as_of=as_of, filters=filters)
    big = "–" if total.nps is None else figures.signed(total.nps)
    detail = "no responses"
    if total.nps is not None:
        low, high = figures.signed(total.ci_low or 0), figures.signed(total.ci_high or 0)
        detail = f"95% CI {low} to {high} · n = {total.n:,}"
    fig = figures.dashboard(
        big,
        detail,
        *(figure(name, filters, as_of) for name in ("heatmap", "trends", "volume")),
        subtitle=describe(filters, as_of),
    )
    try:
        data = render(fig, "pdf")
    except ExportUnavailable as exc:
        return jsonify(error=str(exc)), 503
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return Response(
        data,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="feedbackwall-dashboard-{stamp}.pdf"'
        },
    )


@charts.get("/export/chart/<name>.<fmt>")
def export_chart(name: str, fmt: str) -> Response | tuple[Response, int]:
    """A wall chart as PNG, SVG or PDF, exactly as filtered."""
    if name not in TITLES:
        return jsonify(error=f"no chart called {name!r}; choose from {', '.join(TITLES)}"), 404
    if fmt not in MIMETYPES:
        return jsonify(error=f"format {fmt!r}: choose png, svg or pdf", parameter="format"), 400
    try:
        filters = services_of().nps.resolve(parse_filters(request.args.get))[0]
        as_of = parse_as_of(request.args.get("as_of"))
        if name == "compare":
            fig = _comparison_figure(as_of)
        else:
            fig = figures.for_print(
                figure(name, filters, as_of), TITLES[name], describe(filters, as_of)
            )
    except BadParameter as exc:
        return jsonify(error=str(exc), parameter=exc.name), 400
    try:
        data = render(fig, fmt)
    except ExportUnavailable as exc:
        return jsonify(error=str(exc)), 503
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return Response(
        data,
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="feedbackwall-{name}-{stamp}.{fmt}"'
        },
    )
