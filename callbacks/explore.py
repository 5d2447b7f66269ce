"""Explore callbacks: controls write the URL; the URL alone decides what the page shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.components import explore_href, figure_table, query_string
from callbacks.wall import comment_card, filter_note, label_chips
from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.figures.charts import interval_line, signed
from dashapp.figures.nps_engine import default_as_of
from dashapp.metrics.params import (
    BadParameter,
    format_before,
    parse_before,
    parse_filters,
    parse_selection,
    selection_days,
)
from dashapp.metrics.queries import ResponseRow, Selection, position
from dashapp.services import Services
from layouts.ids import Explore, Panels, Shell

PAGE_SIZE = 50
LEVELS = ("brand", "country", "touchpoint")


def next_level(selection: Selection) -> str:
    """The level to break down by: the first of brand, country, touchpoint not narrowed to one."""
    for level in LEVELS:
        if len(getattr(selection.filters, level)) != 1:
            return level
    return "touchpoint"


def _row_card(row: ResponseRow, labels: Sequence[tuple[str, int]]) -> html.Div:
    # Analysts see the comment as written: no masking here.
    facts = (row.brand, row.country, row.touchpoint, (row.language or "").upper())
    when = f"{row.submitted_at:%Y-%m-%d %H:%M} UTC"
    return comment_card(
        row.id, row.score, row.comment or "(no comment)", facts, when, labels, followup=True
    )


def _label_breakdown(services: Services, selection: Selection, base: dict[str, str]) -> list[Any]:
    """Labels of the selection (or the chosen label's children), each a link one level down."""
    end = selection.end or default_as_of()
    start = selection.start or end - dt.timedelta(days=30)
    stats = services.nps.labels_between(start, end, filters=selection.filters)
    if selection.label:
        stats = [s for s in stats if s.label.rpartition("/")[0] == selection.label]
    else:
        stats = [s for s in stats if s.depth == 1]
    stats = [s for s in stats if s.volume]
    if not stats:
        return []
    rows = [
        html.Tr(
            [
                html.Td(html.A(s.name, href="/explore" + query_string({**base, "label": s.label}))),
                html.Td(f"{s.volume:,}"),
                html.Td(f"{100 * s.share:.0f}%"),
                html.Td(signed(s.nps.nps or 0) + (" *" if s.nps.too_small else "")),
                html.Td(f"{s.positive} / {s.neutral} / {s.negative}"),
            ]
        )
        for s in sorted(stats, key=lambda s: -s.volume)
    ]
    return [
        html.Div(
            "By label" + (" (inside the chosen label)" if selection.label else ""),
            className="fw-label mt-3",
        ),
        figure_table(["Label", "n", "Share of comments", "NPS", "+ / · / −"], rows),
    ]


def register(app: Dash, services: Services) -> None:
    """Register the explore page's callbacks."""

    @app.callback(
        Output(Explore.URL, "search"),
        Input(Explore.FROM, "start_date"),
        Input(Explore.FROM, "end_date"),
        Input(Explore.BRAND, "value"),
        Input(Explore.COUNTRY, "value"),
        Input(Explore.TOUCHPOINT, "value"),
        Input(Explore.CLASS, "value"),
        Input(Explore.TEXT, "value"),
        Input(Explore.LABEL, "value"),
        Input(Explore.SORT, "value"),
        prevent_initial_call=True,
    )
    def controls_to_url(
        start: str | None,
        end: str | None,
        brand: list[str] | None,
        country: list[str] | None,
        touchpoint: list[str] | None,
        score_class: str | None,
        text: str | None,
        label: str | None,
        sort: str | None,
    ) -> str:
        return query_string(
            {
                "from": (start or "")[:10],
                "to": (end or "")[:10],
                "brand": brand,
                "country": country,
                "touchpoint": touchpoint,
                "class": score_class,
                "q": text,
                "label": label,
                "sort": None if sort == "new" else sort,
            }
        )

    @app.callback(
        Output(Explore.BRAND, "options"),
        Output(Explore.COUNTRY, "options"),
        Output(Explore.TOUCHPOINT, "options"),
        Output(Explore.LABEL, "options"),
        Output(Explore.BRAND, "value"),
        Output(Explore.COUNTRY, "value"),
        Output(Explore.TOUCHPOINT, "value"),
        Input(Explore.URL, "pathname"),
        State(Explore.URL, "search"),
    )
    def options(_path: str | None, search: str | None) -> tuple[Any, ...]:
        dims = services.nps.dimensions()
        taxonomy = services.nps.taxonomy()
        labels = [{"label": taxonomy.path_name(i), "value": i} for i in taxonomy.labels]
        params = dict(parse_qsl((search or "").lstrip("?")))
        resolved, _ = services.nps.resolve(parse_filters(params))
        offered, chosen = [], []
        for name in LEVELS:
            known, values = dims[name], list(getattr(resolved, name))
            # A value naming nothing stays offered: a dropdown drops values it does not offer,
            # which would widen the view to everything (the summary says it names nothing).
            offered.append(known + [v for v in values if v not in known])
            # Typed in another case ("velora"): the controls show the store's spelling
            # (they started from the URL's values as typed, layouts/explore.py).
            typed = {v for v in params.get(name, "").split(",") if v}
            chosen.append(no_update if typed == set(values) else values)
        return *offered, labels, *chosen

    @app.callback(
        Output(Explore.SUMMARY, "children"),
        Output(Explore.BREAKDOWN, "children"),
        Output(Explore.LIST, "children"),
        Output(Explore.PAGER, "children"),
        Output(Explore.EXPORTS, "children"),
        Input(Explore.URL, "search"),
    )
    def show(search: str | None) -> tuple[Any, ...]:
        params = dict(parse_qsl((search or "").lstrip("?")))
        try:
            selection = parse_selection(params)
            before = parse_before(params.get("before"), selection.sort)
        except BadParameter as exc:
            return dbc.Alert(str(exc), color="warning"), "", "", "", ""
        filters, notes = services.nps.resolve(selection.filters)
        selection = replace(selection, filters=filters)
        found = services.nps.selection_nps(selection)
        total = found[0] if found else None
        summary: list[Any] = [
            *([filter_note(notes)] if notes else []),
            html.Div("NPS of this selection", className="fw-label"),
        ]
        if total is None:
            summary.append(html.Div("No responses in this range.", className="fw-empty"))
        else:
            n = total.nps
            summary += [
                html.Div(signed(n.nps or 0), className="fw-kpi"),
                html.Div(
                    interval_line(n),
                    className="fw-detail",
                ),
            ]
            if selection.score_class or selection.text:
                summary.append(
                    html.Div(
                        "The list below is narrowed further by class and words.",
                        className="fw-detail",
                    )
                )
        level = next_level(selection)
        # Every link from here names the days shown (the pickers' window when the URL has none).
        first_day, last_day = selection_days(params)
        base = {
            **{k: v for k, v in params.items() if k != "before"},
            "from": first_day.isoformat(),
            "to": last_day.isoformat(),
        }
        rows = [
            html.Tr(
                [
                    html.Td(
                        html.A(
                            g.group[level],
                            href="/explore" + query_string({**base, level: g.group[level]}),
                        )
                    ),
                    html.Td(f"{g.nps.n:,}"),
                    html.Td(signed(g.nps.nps or 0) + (" *" if g.nps.too_small else "")),
                    html.Td(f"{signed(g.nps.ci_low or 0)} to {signed(g.nps.ci_high or 0)}"),
                ]
            )
            for g in services.nps.selection_nps(selection, (level,))
        ]
        breakdown = [
            html.Div(
                f"By {level}: click to drill down"
                f" (* fewer than {services.settings.min_n} responses)",
                className="fw-label",
            ),
            figure_table([level.capitalize(), "n", "NPS", "95% CI"], rows),
        ]
        breakdown += _label_breakdown(services, selection, base)
        page = services.nps.responses(selection, limit=PAGE_SIZE, before=before)
        labels = label_chips(services, [r.id for r in page], deepest=True)
        listing = [_row_card(r, labels.get(r.id, ())) for r in page] or [
            html.Div("No responses match.", className="fw-empty")
        ]
        pager = []
        if before is not None:
            pager.append(
                dbc.Button(
                    "Newest",
                    href="/explore" + query_string(base),
                    color="secondary",
                    className="me-2",
                )
            )
        if len(page) == PAGE_SIZE:
            last = page[-1]
            older = query_string({**base, "before": format_before(position(last, selection.sort))})
            pager.append(dbc.Button("Older responses", href="/explore" + older, color="primary"))
        export_query = query_string(base)
        exports = [
            html.Span("Download this selection: ", className="text-muted me-2"),
            html.A("CSV", href=f"/export/data/responses.csv{export_query}", className="me-3"),
            html.A("XLSX", href=f"/export/data/responses.xlsx{export_query}"),
        ]
        return summary, breakdown, listing, pager, exports


def register_heatmap_link(app: Dash) -> None:
    """A heatmap cell on the overview opens its drill-down (for analysts; screens stay put).

    Registered for viewers, because the overview is a viewer page: the browser
    asks this on every load, and a screen must not get a 403 for it.
    """

    @app.callback(
        Output(Shell.URL, "href"),
        Input(Panels.HEATMAP, "clickData"),
        prevent_initial_call=True,
    )
    def heatmap_to_explore(click: dict[str, Any] | None) -> str:
        # The graph is created with the page, which fires this once without a click.
        person = current_person()
        # A wall screen's heatmap is not a way into the drill-down it may not see.
        if not click or not click.get("points") or person is None or person.role < Role.analyst:
            raise PreventUpdate
        point = click["points"][0]
        return explore_href({"brand": point.get("y"), "country": point.get("x")})
