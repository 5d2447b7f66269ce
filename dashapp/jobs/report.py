"""The daily report: yesterday and the trailing periods, as an HTML e-mail with a PDF attached.

Days are UTC days; the report is sent at the configured local time. Figures
come from the NPS engine, so they are the wall's figures. The PDF is the mail's
HTML printed, so it says everything the mail says; every period is named by its
dates. Text passes the ingest text rule on the way out
(:func:`dashapp.ingest.validation.safe_text`): a control character stored before the
rule must not cost the day its report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment, select_autoescape

from dashapp.config import MailServer, ReportConfig
from dashapp.figures.charts import signed
from dashapp.figures.nps_engine import NpsEngine
from dashapp.followups import service as followups
from dashapp.followups.service import Figures as FollowupFigures
from dashapp.followups.timing import timing_text
from dashapp.ingest.validation import safe_text
from dashapp.jobs import mail
from dashapp.labels.discovered import ThemeView
from dashapp.labels.stats import LabelStat
from dashapp.masking import mask
from dashapp.metrics import nps
from dashapp.metrics.queries import FeedItem, Filters

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Line:
    """One row of the report: a scope, its NPS now and before, and whether it moved."""

    scope: str
    current: nps.Nps
    previous: nps.Nps
    change: nps.Change
    #: The period compared with, named (the trailing periods only), e.g. "7–13 Nov 2026".
    before: str = ""


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
    #: Follow-ups per brand x country and in total (last): open and overdue when the
    #: report is made, answer times of those opened in the 30 days.
    followups: list[FollowupFigures] = field(default_factory=list)


def _line(scope: str, current: nps.Nps, previous: nps.Nps, before: str = "") -> Line:
    return Line(scope, current, previous, nps.compare(current, previous), before)


#: Labels listed as "moved most", and the fewest responses a label needs to be one.
LABEL_MOVERS = 5
LABEL_MIN_VOLUME = 10


def build(engine: NpsEngine, day: dt.date, filters: Filters = Filters(), scope: str = "") -> Report:
    """The report of UTC *day*: the day, 7 and 30 days against the periods before, per cell.

    *filters* narrow it to a brand or country (for that brand's or country's recipients).
    """
    end = dt.datetime.combine(day, dt.time(), dt.UTC) + dt.timedelta(days=1)
    totals = []
    for window in (1, 7, 30):
        current = engine.total(window=window, as_of=end, filters=filters)
        previous = engine.total(
            window=window, as_of=end - dt.timedelta(days=window), filters=filters
        )
        totals.append(_line(period(day, window), current, previous, before(day, window)))
    now = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(("brand", "country"), window=30, as_of=end, filters=filters)
    }
    earlier = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"), window=30, as_of=end - dt.timedelta(days=30), filters=filters
        )
    }
    empty = nps.compute(0, 0, 0)
    cells = [_line(" · ".join(key), now[key], earlier.get(key, empty)) for key in now]
    # Biggest significant moves first, then by size of move.
    cells.sort(key=lambda c: (not c.change.significant, -abs(c.change.delta or 0)))
    # The day's own comments, asked of the day itself: (end - 1 day, end], the window
    # its figures count, however many responses came in on the day or since.
    start = end - dt.timedelta(days=1)
    detractors = engine.comments_between(
        start, end, filters=filters, max_score=nps.DETRACTOR_MAX, limit=3
    )
    promoters = engine.comments_between(
        start, end, filters=filters, min_score=nps.PROMOTER_MIN, limit=2
    )
    movers = [
        s
        for s in engine.labels(window=7, as_of=end, filters=filters)
        if s.change.delta is not None and s.volume >= LABEL_MIN_VOLUME
    ]
    movers.sort(key=lambda s: (not s.change.significant, -abs(s.change.delta or 0)))
    themes = [t for t in engine.themes("unlabelled") if t.status and not t.label]
    loop = followups.figures(
        engine.sessions, end, 30, brand=filters.brand, country=filters.country, with_total=True
    )
    return Report(
        day=day,
        totals=totals,
        cells=cells,
        detractors=detractors,
        promoters=promoters,
        labels=movers[:LABEL_MOVERS],
        themes=themes[:5],
        scope=scope,
        followups=loop,
    )


def _date(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def span(first: dt.date, last: dt.date) -> str:
    """Days *first* to *last* in words: "14–20 Nov 2026", "22 Oct – 20 Nov 2026"."""
    if first == last:
        return _date(last)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{_date(last)}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {_date(last)}"
    return f"{_date(first)} – {_date(last)}"


def period(day: dt.date, days: int) -> str:
    """The *days* days ending with *day*, named: "Fri 20 Nov 2026", "7 days, 14–20 Nov 2026"."""
    if days == 1:
        return f"{day:%a} {_date(day)}"
    return f"{days} days, {span(day - dt.timedelta(days=days - 1), day)}"


def before(day: dt.date, days: int) -> str:
    """The *days* days before :func:`period` (*day*, *days*), named: "7–13 Nov 2026"."""
    last = day - dt.timedelta(days=days)
    return span(last - dt.timedelta(days=days - 1), last)


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
    """The e-mail body (autoescaped: comments are text; no control characters); printed, the PDF."""
    return safe_text(
        _TEMPLATE.render(
            r=report,
            fmt=_fmt,
            move=_move,
            masked=mask,
            period=period,
            before=before,
            timing=timing_text,
        )
    )


def pdf(report: Report) -> bytes:
    """The report as a PDF: the mail's HTML, printed by headless Chromium."""
    from dashapp.web.chart_export import print_pdf

    return print_pdf(html(report))


def send(report: Report, recipients: list[str], server: MailServer) -> None:
    """Mail the report as HTML with the PDF attached to *recipients*.

    Without a PDF (no browser, a failed render) the mail still goes and says
    why: the day's figures matter more than their attachment.
    """
    from dashapp.web.chart_export import ExportFailed

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
    mail.send(server, message)


def send_all(
    engine: NpsEngine, day: dt.date, config: ReportConfig, server: MailServer
) -> list[tuple[str, list[str]]]:
    """Build and mail the report of *day* for every route; (scope, recipients) of each sent."""
    sent = []
    for scope, filters, recipients in routes(config):
        send(build(engine, day, filters, scope), recipients, server)
        sent.append((scope, recipients))
    return sent
