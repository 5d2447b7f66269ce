"""Small pieces several feature callbacks build: query strings, figure tables, export links,
filters and their note, comment cards with their label chips.

Feature modules import these, never each other (an import contract checks it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context, request

from dashapp.figures.nps_engine import NpsEngine
from dashapp.i18n import core as i18n
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.labels.sentiment import NAMES as SENTIMENT_NAMES
from dashapp.metrics.nps import classify
from dashapp.metrics.params import parse_filters, selection_days
from dashapp.metrics.queries import Filters
from dashapp.services import Services, display_zone


def chosen_language() -> str | None:
    """The language this reader chose with ?lang= (remembered), for the links made for them:
    a drill-down link shared from a German screen opens German."""
    if not has_request_context():
        return None
    return i18n.pick(request.args.get("lang") or request.cookies.get(i18n.LANGUAGE_COOKIE))


def query_string(params: dict[str, Any]) -> str:
    """``?a=1&b=x,y`` from a dict, leaving out empty values; a ?lang= choice is kept."""
    lang = chosen_language()
    if lang and "lang" not in params:
        params = {**params, "lang": lang}
    flat = {
        key: ",".join(value) if isinstance(value, list | tuple) else value
        for key, value in params.items()
        if value not in (None, "", [], ())
    }
    return "?" + urlencode(flat) if flat else ""


def explore_href(params: dict[str, Any]) -> str:
    """A link to the drill-down of *params* that names its days (the default window if none).

    A link without dates would mean "the last 30 days" on whatever day it is opened;
    named days reopen the very view it was made from.
    """
    first, last = selection_days(params, tz=display_zone())
    rest = {k: v for k, v in params.items() if k not in ("from", "to")}
    return "/explore" + query_string({"from": first.isoformat(), "to": last.isoformat(), **rest})


def export_links(
    chart: str, query: str, table: str | None = None, data_query: str | None = None
) -> list[Any]:
    """PNG/SVG/PDF links of *chart* and CSV/XLSX links of its table, for one query string."""
    table, data_query = table or chart, query if data_query is None else data_query
    return [
        *[
            html.A(fmt.upper(), href=f"/export/chart/{chart}.{fmt}{query}", className="me-2")
            for fmt in ("png", "svg", "pdf")
        ],
        *[
            html.A(fmt.upper(), href=f"/export/data/{table}.{fmt}{data_query}", className="me-2")
            for fmt in ("csv", "xlsx")
        ],
    ]


def figure_table(head: Sequence[str], rows: list[Any], class_name: str = "mb-0") -> dbc.Table:
    """A compact table of figures: *head* as column titles, *rows* as ``html.Tr``."""
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in head])), html.Tbody(rows)],
        size="sm",
        hover=True,
        className=class_name,
    )


#: How a label chip shows its sentiment beside its name (never by colour alone).
SENTIMENT_MARK = {1: "+", 0: "·", -1: "−"}


def filters_of(data: dict[str, str] | None, engine: NpsEngine | None = None) -> Filters:
    """The engine's Filters from the page's filter store; with *engine*, each value spelled as
    the store has it (``velora`` is Velora; a value naming nothing selects nothing)."""
    filters = parse_filters(data or {})
    return engine.resolve(filters)[0] if engine is not None else filters


def filter_note(notes: Sequence[str]) -> Any:
    """What the screen says when its filters name something the store does not have."""
    if not notes:
        return None
    return dbc.Alert(
        [html.Div(note) for note in notes], color="warning", className="fw-filter-note mb-2"
    )


def local_moment(at: dt.datetime) -> str:
    """An instant as a person reads it: in the display zone, in their language's format."""
    return formats.datetime(at.astimezone(display_zone()))


def relative_time(at: dt.datetime, now: dt.datetime) -> str:
    """'just now', '2 minutes ago', 'vor 3 Stunden' (CLDR, the reader's language; pure)."""
    if (now - at).total_seconds() < 60:
        return _("just now")
    return formats.relative(at, now, short=True)


def comment_text(text: str, translation: tuple[str, str | None] | None = None) -> list[Any]:
    """A comment as a card shows it: as written, or translated with the original a click
    away ("Translated from Swedish", a disclosure; kiosks show the note, not the control)."""
    if translation is None:
        return [html.Div(text, className="fw-comment")]
    translated, source = translation
    note = formats.translated_from(source)
    return [
        html.Div(translated, className="fw-comment", lang=i18n.tag(i18n.current())),
        html.Details(
            [
                html.Summary(note, className="fw-translated"),
                html.Div(text, className="fw-comment fw-original", lang=source or None),
            ],
            className="fw-translation",
        ),
    ]


def comment_card(
    ident: int,
    score: int,
    text: str,
    facts: tuple[str | None, ...],
    when: str,
    labels: Sequence[tuple[str, int]] = (),
    followup: bool = False,
    translation: tuple[str, str | None] | None = None,
) -> html.Div:
    """A response as a card: coloured score, the comment as text (never markup), facts, time.

    The caller decides whether *text* (and its *translation*) is masked (wall screens)
    or not (analysts). *labels* are (display name, sentiment) chips shown under the
    comment; with *followup*, a link opens the response's follow-up (hidden on kiosks
    by CSS).
    """
    cls = classify(score)
    meta = " · ".join(part for part in facts if part)
    chips = [
        html.Span(
            f"{SENTIMENT_MARK[sentiment]} {name}",
            className=f"fw-chip fw-chip-{SENTIMENT_NAMES[sentiment]}",
            title=f"{name}: {_(SENTIMENT_NAMES[sentiment])}",
        )
        for name, sentiment in labels
    ]
    return html.Div(
        [
            html.Div(str(score), className=f"fw-score fw-{cls.value}"),
            html.Div(
                [
                    *comment_text(text, translation),
                    *([html.Div(chips, className="fw-chips")] if chips else []),
                    html.Div(
                        [
                            html.Span(meta),
                            html.Span(when, className="fw-ago"),
                            *(
                                [
                                    html.A(
                                        _("follow-up"),
                                        href=f"/followups?response={ident}",
                                        className="fw-followup-open ms-2",
                                    )
                                ]
                                if followup
                                else []
                            ),
                        ],
                        className="fw-meta",
                    ),
                ],
                className="fw-feed-text",
            ),
        ],
        className=f"fw-feed-item fw-border-{cls.value}",
        # assets/wall.js animates cards whose id it has not seen before.
        **{"data-id": str(ident)},
    )


def label_chips(
    svc: Services, ids: Sequence[int], *, deepest: bool = False
) -> dict[int, list[tuple[str, int]]]:
    """(display name, sentiment) chips per response: its top-level labels, or with *deepest*
    the most specific ones (a child names its parent too: "Delivery time" says "Delivery")."""
    taxonomy = svc.nps.taxonomy()
    chips: dict[int, list[tuple[str, int]]] = {}
    for rid, pairs in svc.nps.response_labels(ids).items():
        if deepest:
            shown = [
                (lbl, s) for lbl, s in pairs if not any(o.startswith(lbl + "/") for o, _ in pairs)
            ]
        else:
            shown = [(lbl, s) for lbl, s in pairs if "/" not in lbl]
        chips[rid] = [
            (taxonomy.labels[lbl].name_in(), s) for lbl, s in shown if lbl in taxonomy.labels
        ]
    return chips
