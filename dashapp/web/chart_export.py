"""Charts as PNG, SVG or PDF, rendered server-side by kaleido with the system Chromium.

``GET /export/chart/<heatmap|trends|volume|labels>.<png|svg|pdf>?brand=&country=&as_of=``
gives the wall's chart exactly as filtered, restyled for print, with its
title, filters and date in the file. One kaleido server (one browser) per
process is started on first use; without Chromium the answer says how to
install it instead of failing with a stack trace. Any other failure says what
failed (500), never "needs Chromium". Text in a figure passes the ingest text
rule (:func:`dashapp.ingest.validation.safe_text`) first: plotly.js refuses control
characters, which rows stored before the rule may hold.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import kaleido
import numpy as np
import plotly.graph_objects as go
from choreographer.errors import (
    BrowserClosedError,
    BrowserFailedError,
    ChannelClosedError,
    ChromeNotFoundError,
)
from flask import Blueprint, Response, jsonify, request

from dashapp.figures import charts as figures
from dashapp.figures import comparison, overview
from dashapp.i18n import formats
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.ingest.validation import safe_text
from dashapp.metrics.params import parse_as_of, parse_filters
from dashapp.metrics.queries import Filters
from dashapp.metrics.windows import MAIN_DAYS, SHORT_DAYS
from dashapp.services import services_of

log = logging.getLogger(__name__)
charts = Blueprint("feedbackwall_charts", __name__)

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
SIZE = (1600, 900)
TITLES = {
    **overview.TITLES,
    "labels": N_("Labels: area = comments, colour = NPS, last %(main)s days"),
    "compare": N_("Comparison"),
}
#: Seconds the browser may take to start, and to render one chart.
START_SECONDS = 30.0
RENDER_SECONDS = 60.0
T = TypeVar("T")

#: Exports are printed on white: charts are drawn in the light theme's colours.
PRINT_THEME = "light"
_lock = threading.Lock()
_browser: _Browser | None = None


class ExportFailed(RuntimeError):
    """A chart could not be rendered; the message says what failed."""


class ExportUnavailable(ExportFailed):
    """Chart rendering cannot run here (no browser, or it would not start); says what to do."""


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


def render(fig: go.Figure, fmt: str, size: tuple[int, int] = SIZE) -> bytes:
    """*fig* as *fmt* bytes of *size* pixels, through this process's one browser.

    Raises :class:`ExportUnavailable` when there is no browser (or it does not
    start) and :class:`ExportFailed` for any other failure, each saying what.
    """
    global _browser
    opts = {"format": fmt, "width": size[0], "height": size[1], "scale": 1}
    # One browser per process, shared by all requests; kaleido is not made
    # for concurrent calls, so they take turns.
    with _lock:
        if _browser is None:
            _browser = _Browser.start()
        try:
            return _browser.render(printable(figures.print_day_ticks(fig).to_dict()), opts)
        except (BrowserClosedError, BrowserFailedError, ChannelClosedError) as exc:
            # The browser died under us: the next call starts a new one.
            _browser.close()
            _browser = None
            log.warning("chart export: the browser stopped: %s", exc)
            raise ExportUnavailable(
                f"chart export: the browser stopped ({_first_line(exc)}); try again"
            ) from None
        except concurrent.futures.TimeoutError:
            # A renderer that hangs would hold every later export behind it.
            _browser.close()
            _browser = None
            raise ExportFailed(
                f"chart export failed: no answer from the browser within {RENDER_SECONDS:g} s"
            ) from None
        except Exception as exc:
            log.warning("chart export failed", exc_info=True)
            raise ExportFailed(f"chart export failed: {type(exc).__name__}: {exc}") from None


class _Browser:
    """One kaleido (one Chromium) on an event loop in a thread of its own.

    Calls wait with a time limit: kaleido's own sync server waits for ever
    when its browser fails to start, holding every later export behind it.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="kaleido", daemon=True).start()
        self.kaleido: kaleido.Kaleido | None = None

    @classmethod
    def start(cls) -> _Browser:
        """A started browser; only a missing one asks for Chromium to be installed."""
        # Checked first: left to find a browser itself, kaleido may try to download one.
        path = browser_path()
        if path is None:
            raise ExportUnavailable(INSTALL_HINT)
        browser = cls()
        try:
            browser.kaleido = browser._call(browser._open(path), START_SECONDS)
        except ChromeNotFoundError:
            browser.close()
            raise ExportUnavailable(INSTALL_HINT) from None
        except Exception as exc:
            log.warning("chart export: the browser %s did not start", path, exc_info=True)
            browser.close()
            reason = (
                f"no answer within {START_SECONDS:g} s"
                if isinstance(exc, concurrent.futures.TimeoutError)
                else f"{type(exc).__name__}: {_first_line(exc)}"
            )
            raise ExportUnavailable(
                f"chart export: the browser {path} did not start ({reason})"
            ) from None
        atexit.register(browser.close)
        return browser

    async def _open(self, path: str) -> kaleido.Kaleido:
        opened = kaleido.Kaleido(path=path, mathjax=False, timeout=RENDER_SECONDS)
        await opened.open()
        return opened

    def _call(self, coroutine: Coroutine[Any, Any, T], seconds: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def render(self, fig: dict[str, Any], opts: dict[str, Any]) -> bytes:
        """*fig* rendered with kaleido's *opts*, or the error kaleido raised."""
        assert self.kaleido is not None
        # A little beyond kaleido's own limit, so that its error (which says more) comes first.
        return bytes(self._call(self.kaleido.calc_fig(fig, opts=opts), RENDER_SECONDS + 5))

    def close(self) -> None:
        """Close the browser (if it opened) and end the loop's thread."""
        if self.kaleido is not None:
            try:
                self._call(self.kaleido.close(), 10)
            except Exception:  # it is gone already
                log.debug("closing the browser", exc_info=True)
            self.kaleido = None
        self.loop.call_soon_threadsafe(self.loop.stop)


def _first_line(exc: BaseException) -> str:
    """What *exc* says first (choreographer's errors carry several sentences as a tuple)."""
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    return first.splitlines()[0] if first else type(exc).__name__


def printable(value: Any) -> Any:
    """A figure's JSON-like *value* with every text passed through :func:`safe_text`."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [printable(v) for v in value]
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return printable(value.tolist())
    return value


#: Longest printing one document to PDF may take, in seconds.
PRINT_TIMEOUT = 60.0


def print_pdf(html: str) -> bytes:
    """*html*, a whole document without outside resources, printed to PDF by headless Chromium.

    A document (the daily report) is printed, not drawn as a figure: it runs over
    as many pages as it needs and says what its HTML says. Paper size and margins
    come from the document's ``@page`` rule.
    """
    path = browser_path()
    if path is None:
        raise ExportUnavailable(INSTALL_HINT.replace("chart export", "printing a PDF"))
    with tempfile.TemporaryDirectory(prefix="feedbackwall-print-") as tmp:
        page, out = Path(tmp) / "document.html", Path(tmp) / "document.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            path,
            "--headless",
            # As kaleido runs it: the sandbox cannot start as root or in most containers,
            # and the page is our own escaped HTML with nothing to fetch.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-first-run",
            "--no-pdf-header-footer",
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        # Its own process group: Chromium's helper processes end with it on a timeout.
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            _out, err = proc.communicate(timeout=PRINT_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise ExportUnavailable(
                f"{path} did not print the PDF within {PRINT_TIMEOUT:.0f} s"
            ) from None
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            log.warning("printing a PDF failed: %s", err.decode(errors="replace")[-2000:])
            raise ExportUnavailable(f"{path} could not print the PDF (exit {proc.returncode})")
        return out.read_bytes()


def figure(name: str, filters: Filters, as_of: dt.datetime | None) -> go.Figure:
    """The chart *name* for these filters, as the wall shows it (in the light theme: print is
    on white paper)."""
    engine = services_of().nps
    if name == "labels":
        return figures.label_treemap(engine.labels(as_of=as_of, filters=filters))
    return overview.chart(engine, name, filters, as_of, theme=PRINT_THEME)


def _comparison_figure(as_of: dt.datetime | None) -> go.Figure:
    """The compare page's trends for the request's ``by``, ``a``, ``b`` and ``window``."""
    ask = comparison.require_ask(request.args.get)
    found = comparison.build(services_of().nps, ask, as_of)
    verdict = comparison.verdict(found.first, found.second)
    subtitle = _("%(what)s · as of %(when)s", what=verdict, when=_moment(found.end))
    subtitle += " · Feedback Wall"
    return figures.for_print(comparison.trends_figure(found), comparison.title(found), subtitle)


def describe(filters: Filters, as_of: dt.datetime | None) -> str:
    """The subtitle: what the chart is filtered to, and when it was made."""
    chosen = [
        ", ".join(values)
        for values in (filters.brand, filters.country, filters.touchpoint)
        if values
    ]
    when = _moment(as_of or dt.datetime.now(dt.UTC))
    scope = " · ".join(chosen) or _("All brands, countries and touchpoints")
    return _("%(what)s · as of %(when)s", what=scope, when=when) + " · Feedback Wall"


def _moment(moment: dt.datetime) -> str:
    """An instant in the display zone, in the reader's words, with the zone's abbreviation."""
    local = moment.astimezone(services_of().settings.zone())
    return f"{formats.datetime(local)} {local.tzname()}"


@charts.get("/export/dashboard.pdf")
def export_dashboard() -> Response | tuple[Response, int]:
    """The whole overview on one PDF page, for the monthly slide."""
    # A bad parameter raises BadParameter: a 400 naming it (dashapp.web.errors).
    filters = services_of().nps.resolve(parse_filters(request.args.get))[0]
    as_of = parse_as_of(request.args.get("as_of"))
    total, _previous = overview.headline(services_of().nps, filters, as_of)
    big = "–" if total.nps is None else figures.signed(total.nps)
    detail = figures.interval_line(total) or _("no responses")
    panels = [(overview.title(name), figure(name, filters, as_of)) for name in overview.TITLES]
    fig = figures.dashboard(
        (overview.headline_caption(), big, detail), panels, subtitle=describe(filters, as_of)
    )
    return _download(fig, "pdf", "dashboard")


@charts.get("/export/chart/<name>.<fmt>")
def export_chart(name: str, fmt: str) -> Response | tuple[Response, int]:
    """A wall chart as PNG, SVG or PDF, exactly as filtered."""
    if name not in TITLES:
        return jsonify(error=f"no chart called {name!r}; choose from {', '.join(TITLES)}"), 404
    if fmt not in MIMETYPES:
        return jsonify(error=f"format {fmt!r}: choose png, svg or pdf", parameter="format"), 400
    filters = services_of().nps.resolve(parse_filters(request.args.get))[0]
    as_of = parse_as_of(request.args.get("as_of"))
    if name == "compare":
        fig = _comparison_figure(as_of)
    else:
        fig = figures.for_print(
            figure(name, filters, as_of),
            _(TITLES[name], main=MAIN_DAYS, short=SHORT_DAYS),
            describe(filters, as_of),
        )
    return _download(fig, fmt, name)


def _download(fig: go.Figure, fmt: str, stem: str) -> Response | tuple[Response, int]:
    """*fig* as a *fmt* attachment named ``feedbackwall-<stem>-<UTC date>.<fmt>``.

    503 when no browser can render it (the message says what to install or what
    stopped), 500 saying what failed otherwise.
    """
    try:
        data = render(fig, fmt)
    except ExportUnavailable as exc:
        return jsonify(error=str(exc)), 503
    except ExportFailed as exc:
        return jsonify(error=str(exc)), 500
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    return Response(
        data,
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="feedbackwall-{stem}-{stamp}.{fmt}"'
        },
    )
