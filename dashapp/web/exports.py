"""Data exports for managers and scripts: the table behind a view as CSV or XLSX.

``GET /export/data/responses.<csv|xlsx>?<the explore page's query>`` gives the
selected responses (unmasked: exports are for analysts); ``GET
/export/data/nps.<csv|xlsx>?by=brand,country&window=30d&...`` the NPS table
(behind the heatmap); ``trends`` and ``volume`` the tables behind those charts.
Cells a spreadsheet would run as formulas (a customer can type "=...") are
written as text. Text passes the ingest text rule on the way out
(:func:`dashapp.ingest.validation.safe_text`): rows stored before the rule may hold
control characters, which an XLSX file (XML) cannot carry at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, jsonify, request, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from dashapp.figures import comparison, overview
from dashapp.figures.nps_engine import rounded
from dashapp.figures.table import FIGURE_COLUMNS, to_records
from dashapp.followups import service as followups
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.ingest.validation import safe_text
from dashapp.labels.stats import to_records as label_records
from dashapp.metrics import queries
from dashapp.metrics.params import (
    parse_as_of,
    parse_by,
    parse_filters,
    parse_selection,
    parse_window,
)
from dashapp.metrics.windows import default_as_of
from dashapp.records import CANONICAL_FIELDS
from dashapp.services import services_of

exports = Blueprint("feedbackwall_exports", __name__)

RESPONSE_COLUMNS = ("source", *CANONICAL_FIELDS)
PAGE = 5_000
#: Excel's last row, less the header.
XLSX_MAX_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """*value*, with text a spreadsheet would evaluate turned into plain text (CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def cell(value: Any) -> Any:
    """*value* fit for a cell: text with no character the ingest rule forbids (U+FFFD instead)."""
    return safe_text(value) if isinstance(value, str) else value


def request_filters() -> queries.Filters:
    """The request's brand/country/touchpoint filters, spelled as the store has them."""
    return services_of().nps.resolve(parse_filters(request.args.get))[0]


def response_rows(selection: queries.Selection) -> Iterator[list[Any]]:
    """Every response of *selection* in its order, read page by page (keyset)."""
    sessions = services_of().sessions
    before = None
    while True:
        with sessions() as session:
            page = queries.responses_page(session, selection, limit=PAGE, before=before)
        for row in page:
            yield [
                row.source,
                row.external_id,
                row.submitted_at.isoformat(),
                row.brand,
                row.country,
                row.touchpoint,
                row.score,
                row.comment,
                row.language,
            ]
        if len(page) < PAGE:
            return
        before = queries.position(page[-1], selection.sort)


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([inert(cell(v)) for v in row])
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append([cell(h) for h in header])
    for count, row in enumerate(rows):
        if count >= XLSX_MAX_ROWS:
            break
        cells = []
        for value in row:
            written = WriteOnlyCell(sheet, value=cell(value))
            if isinstance(value, str):
                written.data_type = "s"  # never a formula, whatever the text starts with
            cells.append(written)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: Column and sheet names as a person reads them: English keeps the machine names (scripts
#: read them), German names them in words. Every header and sheet is one of these.
HEADINGS = {
    **{name: N_(name) for name in ("responses", "nps", "trends", "volume", "labels", "compare")},
    "source": N_("source"),
    "id": N_("id"),
    "submitted_at": N_("submitted_at"),
    "brand": N_("brand"),
    "country": N_("country"),
    "touchpoint": N_("touchpoint"),
    "score": N_("score"),
    "comment": N_("comment"),
    "language": N_("language"),
    "n": N_("n"),
    "promoters": N_("promoters"),
    "passives": N_("passives"),
    "detractors": N_("detractors"),
    "nps": N_("nps"),
    "ci_low": N_("ci_low"),
    "ci_high": N_("ci_high"),
    "too_small": N_("too_small"),
    "day": N_("day"),
    "window_days": N_("window_days"),
    "side": N_("side"),
    "what": N_("what"),
    "label": N_("label"),
    "path": N_("path"),
    "depth": N_("depth"),
    "volume": N_("volume"),
    "share_pct": N_("share_pct"),
    "previous_nps": N_("previous_nps"),
    "previous_volume": N_("previous_volume"),
    "change": N_("change"),
    "significant": N_("significant"),
    "impact": N_("impact"),
    "problematic_pct": N_("problematic_pct"),
    "positive": N_("positive"),
    "neutral": N_("neutral"),
    "negative": N_("negative"),
}


def heading(name: str) -> str:
    """A column's or sheet's name in the reader's language (unknown names as they are)."""
    return _(HEADINGS[name]) if name in HEADINGS else name


def _send(name: str, fmt: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    header = [heading(h) for h in header]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    filename = f"feedbackwall-{name}-{stamp}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(
            stream_with_context(_csv(header, rows)), mimetype="text/csv", headers=disposition
        )
    return Response(
        _xlsx(heading(name), header, rows),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )


@exports.get("/export/data/<name>.<fmt>")
def export_data(name: str, fmt: str) -> Response | tuple[Response, int]:
    """The responses of a selection, or an NPS table, as CSV (streamed) or XLSX."""
    if fmt not in ("csv", "xlsx"):
        return jsonify(error=f"format {fmt!r}: choose csv or xlsx", parameter="format"), 400
    # A bad parameter raises BadParameter: a 400 naming it (dashapp.web.errors).
    if name == "responses":
        selection = parse_selection(request.args.get, services_of().settings.zone())
        selection = replace(selection, filters=services_of().nps.resolve(selection.filters)[0])
        return _send(name, fmt, RESPONSE_COLUMNS, response_rows(selection))
    if name == "nps":
        by = parse_by(request.args.get("by"))
        rows = services_of().nps.nps_by(
            by,
            window=parse_window(request.args.get("window")),
            as_of=parse_as_of(request.args.get("as_of")),
            filters=request_filters(),
        )
        records = to_records(rows, by)
        header = [*by, *FIGURE_COLUMNS]
        # Follow-ups of the same groups: open and overdue now, answer times of those
        # opened in the same window.
        window = parse_window(request.args.get("window"))
        end = parse_as_of(request.args.get("as_of")) or default_as_of()
        filters = request_filters()
        loop = {
            tuple(f.group[c] for c in by): f
            for f in followups.figures(
                services_of().sessions,
                end,
                window,
                by=by,
                brand=filters.brand,
                country=filters.country,
                touchpoint=filters.touchpoint,
            )
        }
        return _send(
            name,
            fmt,
            [*header, *followups.FIGURE_COLUMNS],
            (
                [r[c] for c in header] + followups.figure_cells(loop.get(tuple(r[c] for c in by)))
                for r in records
            ),
        )
    if name in ("trends", "volume"):
        return _send(name, fmt, *chart_table(name))
    if name == "compare":
        ask = comparison.require_ask(request.args.get)
        as_of = parse_as_of(request.args.get("as_of"))
        return _send(name, fmt, *comparison.table(comparison.build(services_of().nps, ask, as_of)))
    if name == "labels":
        stats = services_of().nps.labels(
            window=parse_window(request.args.get("window")),
            as_of=parse_as_of(request.args.get("as_of")),
            filters=request_filters(),
        )
        records = label_records(stats)
        header = list(records[0]) if records else ["label"]
        return _send(name, fmt, header, ([r[c] for c in header] for r in records))
    return jsonify(
        error=f"no export called {name!r}; choose responses, nps, trends, volume, labels or compare"
    ), 404


def chart_table(name: str) -> tuple[list[str], Iterator[list[Any]]]:
    """The table behind the overview's trends or volume chart, for the request's filters."""
    engine = services_of().nps
    filters = request_filters()
    as_of = parse_as_of(request.args.get("as_of"))
    if name == "volume":
        days = overview.volume_days(engine, filters, as_of)
        header = ["day", "n", "promoters", "passives", "detractors"]
        return header, ([day.isoformat(), sum(c), *c] for day, c in days)
    header = ["brand", "day", "window_days", "n", "nps", "ci_low", "ci_high", "too_small"]
    points = [point for line in overview.trend_points(engine, filters, as_of) for point in line]
    return header, (
        [
            p.group["brand"],
            p.day.isoformat(),
            p.window,
            p.nps.n,
            rounded(p.nps.nps),
            rounded(p.nps.ci_low),
            rounded(p.nps.ci_high),
            p.nps.too_small,
        ]
        for p in points
    )
