"""The daily report: yesterday and the trailing periods, as an HTML e-mail with a PDF attached.

Days are UTC days; the report is sent at the configured local time. Figures
come from the NPS engine, so they are the wall's figures. Text passes the
ingest text rule on the way out (:func:`dashapp.validation.safe_text`, in the
mail here and in the PDF by :func:`dashapp.chart_export.render`): a control
character stored before the rule must not cost the day its report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import plotly.graph_objects as go
from jinja2 import Environment, select_autoescape

from dashapp import nps
from dashapp.config import ReportConfig
from dashapp.engine import NpsEngine
from dashapp.figures import signed
from dashapp.label_stats import LabelStat
from dashapp.mail import MailServer
from dashapp.masking import mask
from dashapp.queries import FeedItem, Filters
from dashapp.themes import ThemeView
from dashapp.validation import safe_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the report: a scope, its NPS now and before, and whether it moved."""

    scope: str
    current: nps.Nps
    previous: nps.Nps
    change: nps.Change


@dataclass(frozen=True, slots=True)
class Report:
    """Everything the daily report says about *day*."""

    day: dt.date
    totals: list[Line]
    cells: list[Line]
    detractors: list[FeedItem]
    promoters: list[FeedItem]
    #: Labels whose NPS moved most over 7 days against the 7 before (significant first).
    labels: list[LabelStat]
    #: Discovered themes that are new or growing this week.
    themes: list[ThemeView]
    #: "" for the whole business, else e.g. "Velora" or "DE".
    scope: str = ""


def _line(scope: str, current: nps.Nps, previous: nps.Nps) -> Line:
    return Line(scope, current, previous, nps.compare(current, previous))


#: Labels listed as "moved most", and the fewest responses a label needs to be one.
LABEL_MOVERS = 5
LABEL_MIN_VOLUME = 10


def build(engine: NpsEngine, day: dt.date, filters: Filters = Filters(), scope: str = "") -> Report:
    """The report of UTC *day*: the day, 7 and 30 days against the periods before, per cell.

    *filters* narrow it to a brand or country (for that brand's or country's recipients).
    """
    end = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(days=1)
    totals = []
    for window, label in ((1, "Yesterday"), (7, "Last 7 days"), (30, "Last 30 days")):
        current = engine.total(window=window, as_of=end, filters=filters)
        previous = engine.total(
            window=window, as_of=end - dt.timedelta(days=window), filters=filters
        )
        totals.append(_line(label, current, previous))
    now = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(("brand", "country"), window=30, as_of=end, filters=filters)
    }
    before = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"), window=30, as_of=end - dt.timedelta(days=30), filters=filters
        )
    }
    empty = nps.compute(0, 0, 0)
    cells = [_line(" · ".join(key), now[key], before.get(key, empty)) for key in now]
    # Biggest significant moves first, then by size of move.
    cells.sort(key=lambda c: (not c.change.significant, -abs(c.change.delta or 0)))
    recent = [
        i for i in engine.feed(limit=200, max_score=10, filters=filters) if i.submitted_at < end
    ]
    day_items = [i for i in recent if i.submitted_at.date() == day]
    movers = [
        s
        for s in engine.labels(window=7, as_of=end, filters=filters)
        if s.change.delta is not None and s.volume >= LABEL_MIN_VOLUME
    ]
    movers.sort(key=lambda s: (not s.change.significant, -abs(s.change.delta or 0)))
    themes = [t for t in engine.themes("unlabelled") if t.status and not t.label]
    return Report(
        day=day,
        totals=totals,
        cells=cells,
        detractors=[i for i in day_items if i.score <= 6][:3],
        promoters=[i for i in day_items if i.score >= 9][:2],
        labels=movers[:LABEL_MOVERS],
        themes=themes[:5],
        scope=scope,
    )


def routes(config: ReportConfig) -> list[tuple[str, Filters, list[str]]]:
    """(scope, filters, recipients) of every report to send: all, then per brand and country."""
    found = [("", Filters(), list(config.recipients))]
    found += [(b, Filters(brand=(b,)), list(to)) for b, to in config.by_brand.items()]
    found += [(c, Filters(country=(c,)), list(to)) for c, to in config.by_country.items()]
    return found


_TEMPLATE = Environment(autoescape=select_autoescape(default=True)).from_string(
    (Path(__file__).parent / "report.html.j2").read_text(encoding="utf-8")
)


def _move(line: Line) -> str:
    if line.change.delta is None:
        return "no previous period"
    verdict = "significant" if line.change.significant else "within noise"
    return f"{line.change.delta:+.1f} ({verdict})"


def _fmt(value: float | None) -> str:
    return "–" if value is None else signed(value)


def html(report: Report) -> str:
    """The e-mail body (autoescaped: comments are text; no control characters)."""
    return safe_text(_TEMPLATE.render(r=report, fmt=_fmt, move=_move, masked=mask))


def figure(report: Report) -> go.Figure:
    """The one-page PDF: the periods and the cells as a table."""
    rows = report.totals + report.cells
    fig = go.Figure(
        go.Table(
            header={
                "values": ["Scope", "NPS", "95% CI", "n", "Change"],
                "fill_color": "#343a40",
                "font": {"color": "white"},
            },
            cells={
                "values": [
                    [r.scope for r in rows],
                    [_fmt(r.current.nps) for r in rows],
                    [f"{_fmt(r.current.ci_low)} to {_fmt(r.current.ci_high)}" for r in rows],
                    [r.current.n for r in rows],
                    [_move(r) for r in rows],
                ]
            },
        )
    )
    scope = f" · {report.scope}" if report.scope else ""
    fig.update_layout(title=f"Feedback Wall · daily report for {report.day.isoformat()}{scope}")
    return fig


def pdf(report: Report) -> bytes:
    """The report as a PDF (kaleido with the system Chromium)."""
    from dashapp.chart_export import render

    return render(figure(report), "pdf")


def send(report: Report, recipients: list[str], server: MailServer) -> None:
    """Mail the report as HTML with the PDF attached to *recipients*.

    Without a PDF (no browser, a failed render) the mail still goes and says
    why: the day's figures matter more than their attachment.
    """
    from dashapp.chart_export import ExportFailed

    message = EmailMessage()
    scope = f" · {report.scope}" if report.scope else ""
    message["Subject"] = f"Feedback Wall daily report {report.day.isoformat()}{scope}"
    message["To"] = ", ".join(recipients)
    try:
        attachment: bytes | None = pdf(report)
        message.set_content("This report is HTML; the PDF is attached.")
    except ExportFailed as exc:
        log.warning("daily report %s goes without its PDF: %s", report.day, exc)
        attachment = None
        message.set_content(f"This report is HTML; its PDF could not be made: {exc}")
    message.add_alternative(html(report), subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment,
            maintype="application",
            subtype="pdf",
            filename=f"feedbackwall-{report.day}.pdf",
        )
    server.send(message)


def send_all(
    engine: NpsEngine, day: dt.date, config: ReportConfig, server: MailServer
) -> list[tuple[str, list[str]]]:
    """Build and mail the report of *day* for every route; (scope, recipients) of each sent."""
    sent = []
    for scope, filters, recipients in routes(config):
        send(build(engine, day, filters, scope), recipients, server)
        sent.append((scope, recipients))
    return sent
