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

import base64
import datetime as dt
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from dashapp.access import subscriptions
from dashapp.config import MailServer, ReportConfig
from dashapp.figures import charts
from dashapp.figures.nps_engine import NpsEngine, RollingPoint
from dashapp.followups import service as followups
from dashapp.followups.service import Figures as FollowupFigures
from dashapp.followups.timing import timing_text
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
from dashapp.metrics.annotations import Mark
from dashapp.metrics.queries import FeedItem, Filters
from dashapp.metrics.windows import MAIN_DAYS, REPORT_DAYS, SHORT_DAYS, TREND_DAYS

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
    #: The quoted comments translated into the report's language, where the translation
    #: job made one: (translation, source language) by response id.
    translations: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    #: Rolling 30- and 7-day NPS per brand over the 90 days to *day* (the chart in the mail).
    trend_30: list[RollingPoint] = field(default_factory=list)
    trend_7: list[RollingPoint] = field(default_factory=list)
    #: Annotations over the chart's 90 days.
    marks: list[Mark] = field(default_factory=list)
    #: "daily" (the day) or "weekly" (the 7 days to *day*), and the days the cells cover.
    cadence: str = "daily"
    cell_days: int = MAIN_DAYS
    #: The display time zone whose day *day* is.
    zone: str = local_days.UTC_NAME

    @property
    def days(self) -> int:
        """Days the report is about: 1, or 7 for the weekly one."""
        return SHORT_DAYS if self.cadence == "weekly" else 1

    #: Follow-ups per brand x country and in total (last): open and overdue when the
    #: report is made, answer times of those opened in the 30 days.
    followups: list[FollowupFigures] = field(default_factory=list)


def _line(scope: str, current: nps.Nps, previous: nps.Nps, before: str = "") -> Line:
    return Line(scope, current, previous, nps.compare(current, previous), before)


#: Labels listed as "moved most", and the fewest responses a label needs to be one.
LABEL_MOVERS = 5
LABEL_MIN_VOLUME = 10
#: What a discovered theme's status and a report's cadence read as (msgids; translated
#: where shown).
STATUS_NAMES = {"new": N_("new"), "growing": N_("growing")}
CADENCE_NAMES = {"daily": N_("daily"), "weekly": N_("weekly")}


def build(
    engine: NpsEngine,
    day: dt.date,
    filters: Filters = Filters(),
    scope: str = "",
    cadence: str = "daily",
) -> Report:
    """The report of local *day* (display zone): the day, 7 and 30 days against the periods
    before, per cell.

    *filters* narrow it to a brand or country (for that brand's or country's recipients).
    The weekly one is about the 7 days to *day*: the week and 30 days against the
    periods before, each cell's week against the week before, the week's comments.
    Every period is whole local days, so a daylight-saving day counts its 23 or 25 hours.
    """
    zone = engine.zone

    def edge(days_after: int) -> dt.datetime:
        return local_days.midnight(day + dt.timedelta(days=days_after), zone)

    end = edge(1)
    weekly = cadence == "weekly"
    cell_days = SHORT_DAYS if weekly else MAIN_DAYS
    totals = []
    for window in (SHORT_DAYS, MAIN_DAYS) if weekly else REPORT_DAYS:
        current = engine.total(start=edge(1 - window), as_of=end, filters=filters)
        previous = engine.total(start=edge(1 - 2 * window), as_of=edge(1 - window), filters=filters)
        totals.append(_line(period(day, window), current, previous, before(day, window)))
    now = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"), start=edge(1 - cell_days), as_of=end, filters=filters
        )
    }
    earlier = {
        tuple(r.group.values()): r.nps
        for r in engine.nps_by(
            ("brand", "country"),
            start=edge(1 - 2 * cell_days),
            as_of=edge(1 - cell_days),
            filters=filters,
        )
    }
    empty = nps.compute(0, 0, 0)
    cells = [_line(" · ".join(key), now[key], earlier.get(key, empty)) for key in now]
    # Biggest significant moves first, then by size of move.
    cells.sort(key=lambda c: (not c.change.significant, -abs(c.change.delta or 0)))
    # The day's own comments, asked of the day itself: (end - 1 day, end], the window
    # its figures count, however many responses came in on the day or since.
    start = edge(1 - SHORT_DAYS) if weekly else edge(0)
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
    loop = followups.figures(
        engine.sessions, end, 30, brand=filters.brand, country=filters.country, with_total=True
    )
    return Report(
        day=day,
        totals=totals,
        cells=cells,
        detractors=detractors,
        promoters=promoters,
        translations=engine.translations([item.id for item in detractors + promoters]),
        labels=movers[:LABEL_MOVERS],
        themes=themes[:5],
        scope=scope,
        trend_30=engine.rolling(
            ("brand",), window=MAIN_DAYS, days=TREND_DAYS, as_of=end, filters=filters
        ),
        trend_7=engine.rolling(
            ("brand",), window=SHORT_DAYS, days=TREND_DAYS, as_of=end, filters=filters
        ),
        marks=engine.annotations(days=TREND_DAYS, as_of=end, filters=filters),
        cadence=cadence,
        cell_days=cell_days,
        zone=engine.zone_name,
        followups=loop,
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


def _line_move(line: Line) -> str:
    return _move(line.change.delta, line.change.significant)


def _fmt(value: float | None) -> str:
    return "–" if value is None else formats.signed(value)


def zone_of(report: Report) -> dt.tzinfo:
    """The display zone the report's days are days of."""
    return local_days.zone(report.zone)


def html(report: Report, chart: str | None = None, unsubscribe: str | None = None) -> str:
    """The e-mail body (autoescaped: comments are text; no control characters); printed, the PDF.

    *chart* is the trend image's address: ``cid:...`` in the mail, a data URL in the PDF;
    *unsubscribe* the subscriber's one-click link. In the current language
    (:func:`dashapp.i18n.use_locale`).
    """
    return safe_text(
        _TEMPLATE.render(
            r=report,
            fmt=_fmt,
            move=_line_move,
            label_move=lambda s: _move(s.change.delta, s.change.significant),
            masked=mask,
            period=period,
            before=before,
            percent=formats.percent,
            number=formats.number,
            clock=lambda moment: formats.time(moment.astimezone(zone_of(report)))[:5],
            zone_name=report.zone,
            lang=i18n.current(),
            chart=chart,
            unsubscribe=unsubscribe,
            timing=timing_text,
            translated_from=formats.translated_from,
        )
    )


def text(report: Report) -> str:
    """The report as plain text (the mail's text/plain part): the same figures, no markup."""
    scope = f" · {report.scope}" if report.scope else ""
    title = _(
        "Feedback Wall · %(cadence)s report for %(period)s",
        cadence=_(CADENCE_NAMES.get(report.cadence, report.cadence)),
        period=period(report.day, report.days),
    )
    lines = [f"{title}{scope}", ""]
    lines += [
        _(
            "%(scope)s: NPS %(nps)s (n %(n)s), %(move)s against %(before)s",
            scope=t.scope,
            nps=_fmt(t.current.nps),
            n=formats.number(t.current.n),
            move=_line_move(t),
            before=t.before,
        )
        for t in report.totals
    ]
    lines += ["", _("Brand × country, %(period)s", period=period(report.day, report.cell_days))]
    lines += [
        f"  {c.scope}: {_fmt(c.current.nps)} (n {formats.number(c.current.n)}), {_line_move(c)}"
        for c in report.cells
    ]
    if report.followups:
        lines += ["", _("Follow-ups, %(period)s", period=period(report.day, 30))]
        lines += [
            "  "
            + _(
                "%(cell)s: open %(open)s, overdue %(overdue)s, first contact %(contact)s,"
                " resolution %(resolution)s",
                cell=" · ".join(f.group.values()) if f.group else _("All"),
                open=formats.number(f.open),
                overdue=formats.number(f.overdue),
                contact=timing_text(f.contact),
                resolution=timing_text(f.resolution),
            )
            for f in report.followups
        ]
    if report.labels:
        lines += ["", _("Labels that moved most, %(period)s", period=period(report.day, 7))]
        lines += [
            f"  {s.path}: {_fmt(s.nps.nps)} (n {formats.number(s.volume)}),"
            f" {_move(s.change.delta, s.change.significant)}"
            for s in report.labels
        ]
    lines += ["", _("In their words, %(day)s", day=period(report.day, report.days))]
    for item in report.detractors + report.promoters:
        lines.append(f"  {item.score} · {item.brand} · {item.country} · {item.touchpoint}")
        translation = report.translations.get(item.id)
        if translation is not None:
            lines.append(f"    {mask(translation[0])}")
            lines.append(
                f"    ({formats.translated_from(translation[1])}: {mask(item.comment or '')})"
            )
        else:
            lines.append(f"    {mask(item.comment or '')}")
    return safe_text("\n".join(lines) + "\n")


#: The trend chart in the mail, in pixels: readable in a mail client's column.
CHART_SIZE = (900, 420)


def chart_png(report: Report) -> bytes | None:
    """The report's trend chart as PNG, or None (no history, or no browser to draw it)."""
    from dashapp.web.chart_export import PRINT_THEME, ExportFailed, render

    if not report.trend_30:
        return None
    figure = charts.trends(report.trend_30, report.trend_7, theme=PRINT_THEME, marks=report.marks)
    try:
        return render(figure, "png", CHART_SIZE)
    except ExportFailed as exc:
        log.warning("daily report %s goes without its chart: %s", report.day, exc)
        return None


def pdf(report: Report, png: bytes | None = None) -> bytes:
    """The report as a PDF: the mail's HTML (the chart inline), printed by headless Chromium."""
    from dashapp.web.chart_export import print_pdf

    chart = f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else None
    return print_pdf(html(report, chart))


def message(report: Report, recipients: list[str], unsubscribe: str | None = None) -> EmailMessage:
    """The report's mail: text and HTML alternatives, the chart inline, the PDF attached.

    multipart/mixed [multipart/alternative [text/plain, multipart/related [text/html,
    image/png]], application/pdf]. Without a PDF (no browser, a failed render)
    the mail still goes and says why: the day's figures matter more than their
    attachment. A subscriber's mail carries *unsubscribe*, the one-click link, in
    RFC 8058's List-Unsubscribe and List-Unsubscribe-Post headers and in both bodies.
    """
    from dashapp.web.chart_export import ExportFailed

    mail_message = EmailMessage()
    note = ""
    scope = f" · {report.scope}" if report.scope else ""
    title = _(
        "Feedback Wall %(cadence)s report %(day)s",
        cadence=_(CADENCE_NAMES.get(report.cadence, report.cadence)),
        day=report.day.isoformat(),
    )
    mail_message["Subject"] = f"{title}{scope}"
    mail_message["To"] = ", ".join(recipients)
    mail_message["Content-Language"] = i18n.current()
    if unsubscribe:
        mail_message["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail_message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        note += "\n" + _("Unsubscribe (one click, no sign-in): %(link)s", link=unsubscribe) + "\n"
    png = chart_png(report)
    try:
        attachment: bytes | None = pdf(report, png)
        note = _("The PDF is attached.") + note
    except ExportFailed as exc:
        log.warning("daily report %s goes without its PDF: %s", report.day, exc)
        attachment = None
        note = _("No PDF this time: its PDF could not be made: %(why)s", why=exc) + note
    mail_message.set_content(f"{text(report)}\n{note}\n")
    cid = make_msgid("chart", domain="feedbackwall")
    mail_message.add_alternative(
        html(report, f"cid:{cid[1:-1]}" if png else None, unsubscribe), subtype="html"
    )
    if png is not None:
        html_part = mail_message.get_body(("html",))
        assert html_part is not None
        html_part.add_related(
            png, "image", "png", cid=cid, disposition="inline", filename="trend.png"
        )
    if attachment is not None:
        mail_message.add_attachment(
            attachment,
            maintype="application",
            subtype="pdf",
            filename=f"feedbackwall-{report.day}.pdf",
        )
    return mail_message


def send(
    report: Report,
    recipients: list[str],
    server: MailServer,
    unsubscribe: str | None = None,
) -> None:
    """Mail the report (see :func:`message`) to *recipients*."""
    mail.send(server, message(report, recipients, unsubscribe))


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


def cadences_on(today: dt.date) -> tuple[str, ...]:
    """The subscriptions whose report goes out on *today*: daily ones, weekly ones on Mondays."""
    return ("daily", "weekly") if today.weekday() == 0 else ("daily",)


def send_subscriptions(
    engine: NpsEngine,
    sessions: sessionmaker[Session],
    today: dt.date,
    server: MailServer,
    key: str,
    base_url: str,
) -> int:
    """Mail each subscription due *today* its report of yesterday (the week to Sunday on
    Mondays), narrowed to its brands and countries, with its one-click unsubscribe link.

    One subscriber's refused address never stops the others; how many were sent.
    """
    day = today - dt.timedelta(days=1)
    built: dict[tuple[str, tuple[str, ...], tuple[str, ...], str], Report] = {}
    sent = 0
    for sub in subscriptions.due(sessions, cadences_on(today)):
        brands, countries = tuple(sub.brands), tuple(sub.countries)
        # Built once per narrowing and language: a report names its periods in words.
        key_of = (sub.cadence, brands, countries, sub.language)
        link = f"{base_url.rstrip('/')}/unsubscribe?t={subscriptions.token(key, sub.id)}"
        try:
            with i18n.use_locale(sub.language):
                if key_of not in built:
                    scope = " · ".join(p for p in (", ".join(brands), ", ".join(countries)) if p)
                    filters = Filters(brands, countries)
                    built[key_of] = build(engine, day, filters, scope, sub.cadence)
                send(built[key_of], [sub.email], server, unsubscribe=link)
        except OSError as exc:
            log.warning("subscription %s (%s) not sent: %s", sub.id, sub.email, exc)
            continue
        subscriptions.mark_sent(sessions, sub.id, dt.datetime.now(dt.UTC))
        sent += 1
    return sent
