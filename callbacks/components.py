"""Small pieces several feature callbacks build: query strings, figure tables, export links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context, request

from dashapp.i18n import core as i18n
from dashapp.metrics.params import selection_days
from dashapp.services import display_zone


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
