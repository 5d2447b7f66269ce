"""The daily report: yesterday and the trailing periods, as an HTML e-mail with a PDF attached.

Days are local days of the display time zone (``FEEDBACKWALL_TIMEZONE``); the report
is sent at the configured local time, in each recipient's language. Figures
come from the NPS engine, so they are the wall's figures. The PDF is the mail's
HTML printed, so it says everything the mail says; every period is named by its
dates. Text passes the ingest text rule on the way out
(:func:`dashapp.ingest.validation.safe_text`): a control character stored before the
rule must not cost the day its report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from jinja2 import Environment, select_autoescape

from dashapp.config import MailServer, ReportConfig
from dashapp.figures.nps_engine import NpsEngine
from dashapp.i18n import core as i18n
from dashapp.i18n import days as local_days
from dashapp.i18n import formats
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.ingest.validation import safe_text
from dashapp.jobs import mail
from dashapp.labels.discovered import ThemeView
from dashapp.labels.stats import LabelStat
from dashapp.masking import mask
from dashapp.metrics import nps
from dashapp.metrics.queries import FeedItem, Filters
from dashapp.metrics.windows import MAIN_DAYS, REPORT_DAYS, SHORT_DAYS

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
    #: The display time zone whose day *day* is.
    zone: str = local_days.UTC_NAME


def _line(scope: str, current: nps.Nps, previous: nps.Nps, before: str = "") -> Line:
    return Line(scope, current, previous, nps.compare(current, previous), before)


#: What a discovered theme's status reads as (its msgids; the template translates).
STATUS_NAMES = {"new": N_("new"), "growing": N_("growing")}

#: Labels listed as "moved most", and the fewest responses a label needs to be one.
LABEL_MOVERS = 5
LABEL_MIN_VOLUME = 10


def build(engine: NpsEngine, day: dt.date, filters: Filters = Filters(), scope: str = "") -> Report:
    """The report of local *day* (display zone): the day, 7 and 30 days against the periods
    before, per cell.

    *filters* narrow it to a brand or country (for that brand's or country's recipients).
    Every period is whole local days, so a daylight-saving day counts its 23 or 25 hours.
    """
    zone = engine.zone

    def edge(days_after: int) -> dt.datetime:
        return local_days.midnight(day + dt.timedelta(days=days_after), zone)

    end = edge(1)
    totals = []
    for window in REPORT_DAYS:
        current = engine.total(start=edge(1 - window), as_of=end, filters=filters)
        previous = engine.total(start=edge(1 - 2 * window), as_of=edge(1 - window), filters=filters)
        totals.append(_line(period(day, window), current, previous, before(day, window)))
    now = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"), start=edge(1 - MAIN_DAYS), as_of=end, filters=filters
        )
    }
    earlier = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"),
            start=edge(1 - 2 * MAIN_DAYS),
            as_of=edge(1 - MAIN_DAYS),
            filters=filters,
        )
    }
    empty = nps.compute(0, 0, 0)
    cells = [_line(" · ".join(key), now[key], earlier.get(key, empty)) for key in now]
    # Biggest significant moves first, then by size of move.
    cells.sort(key=lambda c: (not c.change.significant, -abs(c.change.delta or 0)))
    # The day's own comments, asked of the day itself: (end - 1 day, end], the window
    # its figures count, however many responses came in on the day or since.
    start = edge(0)
    detractors = engine.comments_between(
        start, end, filters=filters, max_score=nps.DETRACTOR_MAX, limit=3
    )
    promoters = engine.comments_between(
        start, end, filters=filters, min_score=nps.PROMOTER_MIN, limit=2
    )
    movers = [
        s
        for s in engine.labels(window=SHORT_DAYS, as_of=end, filters=filters)
        if s.change.delta is not None and s.volume >= LABEL_MIN_VOLUME
    ]
    movers.sort(key=lambda s: (not s.change.significant, -abs(s.change.delta or 0)))
    themes = [t for t in engine.themes("unlabelled") if t.status and not t.label]
    return Report(
        day=day,
        totals=totals,
        cells=cells,
        detractors=detractors,
        promoters=promoters,
        labels=movers[:LABEL_MOVERS],
        themes=themes[:5],
        scope=scope,
        zone=engine.zone_name,
    )


def span(first: dt.date, last: dt.date) -> str:
    """Days *first* to *last* in the reader's words: "14–20 Nov 2026", "22 Oct – 20 Nov 2026"."""
    return formats.span(first, last)


def period(day: dt.date, days: int) -> str:
    """The *days* days ending with *day*, named: "Fri, 20 Nov 2026", "7 days, 14–20 Nov 2026"."""
    if days == 1:
        return formats.day_named(day)
    return _(
        "%(days)s days, %(span)s", days=days, span=span(day - dt.timedelta(days=days - 1), day)
    )


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


_ENVIRONMENT = Environment(
    autoescape=select_autoescape(default=True), extensions=["jinja2.ext.i18n"]
)
_ENVIRONMENT.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
_TEMPLATE = _ENVIRONMENT.from_string(
    (Path(__file__).parent / "report.html.j2").read_text(encoding="utf-8")
)


def _move(delta: float | None, significant: bool) -> str:
    if delta is None:
        return _("no previous period")
    verdict = _("significant") if significant else _("within noise")
    return f"{formats.signed_decimal(delta)} ({verdict})"


def _fmt(value: float | None) -> str:
    return "–" if value is None else formats.signed(value)


def html(report: Report) -> str:
    """The e-mail body (autoescaped: comments are text; no control characters); printed, the PDF.

    In the current language (:func:`dashapp.i18n.use_locale`)."""
    return safe_text(
        _TEMPLATE.render(
            r=report,
            fmt=_fmt,
            move=lambda line: _move(line.change.delta, line.change.significant),
            label_move=lambda s: _move(s.change.delta, s.change.significant),
            masked=mask,
            period=period,
            before=before,
            percent=formats.percent,
            number=formats.number,
            clock=lambda moment: formats.time(moment.astimezone(zone_of(report)))[:5],
            zone_name=report.zone,
            lang=i18n.current(),
        )
    )


def zone_of(report: Report) -> dt.tzinfo:
    """The display zone the report's days are days of."""
    return local_days.zone(report.zone)


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
    title = _("Feedback Wall daily report %(day)s", day=report.day.isoformat())
    message["Subject"] = f"{title}{scope}"
    message["To"] = ", ".join(recipients)
    message["Content-Language"] = i18n.current()
    try:
        attachment: bytes | None = pdf(report)
        message.set_content(_("This report is HTML; the PDF is attached."))
    except ExportFailed as exc:
        log.warning("daily report %s goes without its PDF: %s", report.day, exc)
        attachment = None
        message.set_content(_("This report is HTML; its PDF could not be made: %(why)s", why=exc))
    message.add_alternative(html(report), subtype="html")
    if attachment is not None:
        message.add_attachment(
            attachment,
            maintype="application",
            subtype="pdf",
            filename=f"feedbackwall-{report.day}.pdf",
        )
    mail.send(server, message)


def languages(config: ReportConfig, recipients: list[str], default: str) -> dict[str, list[str]]:
    """*recipients* by the language each reads: their own, else the report's, else *default*."""
    found: dict[str, list[str]] = {}
    for address in recipients:
        language = config.languages.get(address) or config.language or default
        found.setdefault(language, []).append(address)
    return found


def send_all(
    engine: NpsEngine,
    day: dt.date,
    config: ReportConfig,
    server: MailServer,
    default_language: str = i18n.DEFAULT_LANGUAGE,
) -> list[tuple[str, list[str]]]:
    """Build and mail the report of *day* for every route, one mail per language its
    recipients read; (scope, recipients) of each sent."""
    sent = []
    for scope, filters, recipients in routes(config):
        for language, readers in languages(config, recipients, default_language).items():
            with i18n.use_locale(language):
                send(build(engine, day, filters, scope), readers, server)
            sent.append((scope, readers))
    return sent
