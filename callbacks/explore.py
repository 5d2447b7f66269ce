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
from pydantic import ValidationError

from callbacks.components import (
    comment_card,
    display_zone,
    explore_href,
    figure_table,
    filter_note,
    label_chips,
    query_string,
)
from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.figures.charts import interval_line, signed, to_range, trends
from dashapp.i18n import days as local_days
from dashapp.i18n import formats
from dashapp.i18n.core import N_
from dashapp.i18n.core import current as current_language
from dashapp.i18n.core import gettext as _
from dashapp.metrics import annotations as marks
from dashapp.metrics import windows
from dashapp.metrics.annotations import Mark
from dashapp.metrics.params import (
    BadParameter,
    format_before,
    parse_before,
    parse_filters,
    parse_selection,
    selection_days,
)
from dashapp.metrics.queries import Filters, ResponseRow, Selection, position
from dashapp.metrics.windows import SHORT_DAYS
from dashapp.services import Services
from dashapp.web.annotations_api import AnnotationIn, problems_of
from layouts.explore import MARK_FIELDS
from layouts.ids import Explore, Panels, Shell

PAGE_SIZE = 50
LEVELS = ("brand", "country", "touchpoint")
#: The levels as people read them.
LEVEL_NAMES = {"brand": N_("brand"), "country": N_("country"), "touchpoint": N_("touchpoint")}


def next_level(selection: Selection) -> str:
    """The level to break down by: the first of brand, country, touchpoint not narrowed to one."""
    for level in LEVELS:
        if len(getattr(selection.filters, level)) != 1:
            return level
    return "touchpoint"


def _row_card(
    row: ResponseRow,
    labels: Sequence[tuple[str, int]],
    zone: dt.tzinfo,
    translation: tuple[str, str | None] | None = None,
) -> html.Div:
    # Analysts see the comment as written: no masking here.
    facts = (row.brand, row.country, row.touchpoint, (row.language or "").upper())
    when = formats.datetime(row.submitted_at.astimezone(zone))
    return comment_card(
        row.id,
        row.score,
        row.comment or _("(no comment)"),
        facts,
        when,
        labels,
        followup=True,
        translation=translation,
    )


def _label_breakdown(services: Services, selection: Selection, base: dict[str, str]) -> list[Any]:
    """Labels of the selection (or the chosen label's children), each a link one level down."""
    start, end = windows.span(selection.start, selection.end)
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
                html.Td(formats.number(s.volume)),
                html.Td(formats.percent(s.share)),
                html.Td(signed(s.nps.nps or 0) + (" *" if s.nps.too_small else "")),
                html.Td(f"{s.positive} / {s.neutral} / {s.negative}"),
            ]
        )
        for s in sorted(stats, key=lambda s: -s.volume)
    ]
    return [
        html.Div(
            _("By label (inside the chosen label)") if selection.label else _("By label"),
            className="fw-label mt-3",
        ),
        figure_table([_("Label"), "n", _("Share of comments"), "NPS", "+ / · / −"], rows),
    ]


#: Days each side of an annotation that explore compares.
AROUND_DAYS = 14


def annotation_lines(
    services: Services, first: dt.date, last: dt.date, filters: Filters
) -> list[Any]:
    """Each annotation in the days shown, with NPS before against after it and the test."""
    end = dt.datetime.combine(last, dt.time(), dt.UTC) + dt.timedelta(days=1)
    marks = services.nps.annotations(days=(last - first).days + 1, as_of=end, filters=filters)
    if not marks:
        return []
    lines: list[Any] = [
        html.Div(
            _("Annotations: %(days)s days before against %(days)s days after", days=AROUND_DAYS),
            className="fw-label mt-3",
        )
    ]
    for mark in marks:
        before, after, change = services.nps.around(mark, days=AROUND_DAYS, filters=filters)
        when = mark.starts_on.isoformat() + (
            "" if mark.ends_on == mark.starts_on else f" – {mark.ends_on.isoformat()}"
        )
        if change.delta is None:
            verdict = _("not enough responses on both sides")
        else:
            test = _("significant") if change.significant else _("within noise")
            verdict = f"{formats.signed_decimal(change.delta)} ({test})"
        lines.append(
            html.Div(
                [
                    html.Div([html.B(when), f" · {mark.text} ({mark.scope_words})"]),
                    html.Div(
                        _(
                            "before %(before)s (n %(n_before)s) → after %(after)s"
                            " (n %(n_after)s): %(verdict)s",
                            before=signed(before.nps or 0),
                            n_before=formats.number(before.n),
                            after=signed(after.nps or 0),
                            n_after=formats.number(after.n),
                            verdict=verdict,
                        ),
                        className="fw-detail",
                    ),
                ],
                className="fw-annotation mb-2",
            )
        )
    return lines


def register(app: Dash, services: Services) -> None:
    """Register the explore page's callbacks."""
    zone = services.settings.zone()

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
        labels = [
            {"label": taxonomy.path_name(i, current_language()), "value": i}
            for i in taxonomy.labels
        ]
        params = dict(parse_qsl((search or "").lstrip("?")))
        resolved, _notes = services.nps.resolve(parse_filters(params))
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
        Input(Explore.MARKED, "data"),
    )
    def show(search: str | None, _marked: int | None = 0) -> tuple[Any, ...]:
        params = dict(parse_qsl((search or "").lstrip("?")))
        try:
            selection = parse_selection(params, zone)
            before = parse_before(params.get("before"), selection.sort)
        except BadParameter as exc:
            return dbc.Alert(str(exc), color="warning"), "", "", "", ""
        filters, notes = services.nps.resolve(selection.filters)
        selection = replace(selection, filters=filters)
        found = services.nps.selection_nps(selection)
        total = found[0] if found else None
        summary: list[Any] = [
            *([filter_note(notes)] if notes else []),
            html.Div(_("NPS of this selection"), className="fw-label"),
        ]
        if total is None:
            summary.append(html.Div(_("No responses in this range."), className="fw-empty"))
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
                        _("The list below is narrowed further by class and words."),
                        className="fw-detail",
                    )
                )
        level = next_level(selection)
        # Every link from here names the days shown (the pickers' window when the URL has none).
        first_day, last_day = selection_days(params, tz=zone)
        summary += annotation_lines(services, first_day, last_day, filters)
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
                    html.Td(formats.number(g.nps.n)),
                    html.Td(signed(g.nps.nps or 0) + (" *" if g.nps.too_small else "")),
                    html.Td(to_range(g.nps.ci_low or 0, g.nps.ci_high or 0)),
                ]
            )
            for g in services.nps.selection_nps(selection, (level,))
        ]
        breakdown = [
            html.Div(
                _(
                    "By %(level)s: click to drill down (* fewer than %(n)s responses)",
                    level=_(LEVEL_NAMES[level]),
                    n=formats.number(services.settings.min_n),
                ),
                className="fw-label",
            ),
            figure_table([_(LEVEL_NAMES[level]).capitalize(), "n", "NPS", _("95% CI")], rows),
        ]
        breakdown += _label_breakdown(services, selection, base)
        page = services.nps.responses(selection, limit=PAGE_SIZE, before=before)
        ids = [r.id for r in page]
        labels = label_chips(services, ids, deepest=True)
        translated = services.nps.translations(ids)
        listing = [
            _row_card(r, labels.get(r.id, ()), zone, translated.get(r.id)) for r in page
        ] or [html.Div(_("No responses match."), className="fw-empty")]
        pager = []
        if before is not None:
            pager.append(
                dbc.Button(
                    _("Newest"),
                    href="/explore" + query_string(base),
                    color="secondary",
                    className="me-2",
                )
            )
        if len(page) == PAGE_SIZE:
            last = page[-1]
            older = query_string({**base, "before": format_before(position(last, selection.sort))})
            pager.append(dbc.Button(_("Older responses"), href="/explore" + older, color="primary"))
        export_query = query_string(base)
        exports = [
            html.Span(_("Download this selection:") + " ", className="text-muted me-2"),
            html.A("CSV", href=f"/export/data/responses.csv{export_query}", className="me-3"),
            html.A("XLSX", href=f"/export/data/responses.xlsx{export_query}"),
        ]
        return summary, breakdown, listing, pager, exports


def trend_figure(services: Services, params: dict[str, str]) -> Any:
    """The selection's rolling 7-day NPS per brand over its days, with its annotations."""
    zone = display_zone()
    first, last = selection_days(params, tz=zone)
    filters, _ = services.nps.resolve(parse_selection(params).filters)
    days = min(max((last - first).days + 1, 2), 366)
    # The last instant of the last local day (the display zone's, as the pickers show):
    # rolling() ends on the local day holding its as_of.
    end = local_days.midnight(last + dt.timedelta(days=1), zone) - dt.timedelta(microseconds=1)
    fig = trends(
        services.nps.rolling(("brand",), window=SHORT_DAYS, days=days, as_of=end, filters=filters),
        [],
        marks=services.nps.annotations(days=days, as_of=end, filters=filters),
    )
    # A click anywhere over a day picks that day for the form (not only on a line's point).
    return fig.update_layout(hovermode="x")


def mark_from_form(
    services: Services, params: dict[str, str], values: dict[str, Any], who: str | None
) -> Mark:
    """An annotation from the form, scoped to the selection's one brand, country, touchpoint.

    Raises ValueError naming the field when the form is not one.
    """
    filters = parse_selection(params).filters
    scope = {
        key: chosen[0] if len(chosen) == 1 else None
        for key, chosen in (
            ("brand", filters.brand),
            ("country", filters.country),
            ("touchpoint", filters.touchpoint),
        )
    }
    try:
        given = AnnotationIn.model_validate(
            {k: v for k, v in {**values, **scope}.items() if v not in (None, "")}
        )
    except ValidationError as exc:
        # Said in the form's words: the field's label, and why in the reader's language
        # where the check is a common one (the API names its own fields instead).
        first = problems_of(exc)[0]
        field = first.field.partition(".")[0]
        where = _(MARK_FIELDS[field]) if field in MARK_FIELDS else (field or _("annotation"))
        said = {
            "missing": _("required"),
            "date_from_datetime_parsing": _("not a date"),
            "date_parsing": _("not a date"),
            "string_too_short": _("required"),
            "string_too_long": _("at most %(n)s characters", n=first.context.get("max_length")),
            "ends_before_start": _("before the day it starts"),
            "range_too_long": _("at most %(n)s days after it starts", n=first.context.get("days")),
        }.get(first.kind, first.message)
        raise ValueError(f"{where}: {said}") from None
    return marks.create(
        services.sessions,
        Mark(
            0,
            given.starts_on,
            given.ends_on or given.starts_on,
            given.text,
            given.brand,
            given.country.upper() if given.country else None,
            given.touchpoint,
            who,
        ),
    )


def register_marks(app: Dash, services: Services) -> None:
    """The trend chart of explore and marking an event from it (analysts)."""

    @app.callback(
        Output(Explore.TREND, "figure"),
        Input(Explore.URL, "search"),
        Input(Explore.MARKED, "data"),
    )
    def show_trend(search: str | None, _marked: int) -> Any:
        try:
            return trend_figure(services, dict(parse_qsl((search or "").lstrip("?"))))
        except BadParameter:
            raise PreventUpdate from None  # the summary says what is wrong with the URL

    @app.callback(
        Output(Explore.MARK_FROM, "value"),
        Input(Explore.TREND, "clickData"),
        prevent_initial_call=True,
    )
    def day_from_chart(click: dict[str, Any] | None) -> str:
        if not click or not click.get("points"):
            raise PreventUpdate
        return str(click["points"][0].get("x", ""))[:10]

    @app.callback(
        Output(Explore.MARK_MESSAGE, "children"),
        Output(Explore.MARKED, "data"),
        Input(Explore.MARK_ADD, "n_clicks"),
        State(Explore.URL, "search"),
        State(Explore.MARK_FROM, "value"),
        State(Explore.MARK_TO, "value"),
        State(Explore.MARK_TEXT, "value"),
        State(Explore.MARKED, "data"),
        prevent_initial_call=True,
    )
    def add_mark(
        _clicks: int,
        search: str | None,
        first: str | None,
        last: str | None,
        text: str | None,
        marked: int,
    ) -> tuple[Any, int]:
        person = current_person()
        values = {"starts_on": first, "ends_on": last, "text": (text or "").strip()}
        try:
            params = dict(parse_qsl((search or "").lstrip("?")))
            made = mark_from_form(services, params, values, person.name if person else None)
        except (ValueError, BadParameter) as exc:
            return dbc.Alert(str(exc), color="warning", dismissable=True), marked
        said = _(
            "Marked %(day)s: %(text)s (%(scope)s).",
            day=formats.date(made.starts_on),
            text=made.text,
            scope=made.scope_words,
        )
        return dbc.Alert(said, color="success", dismissable=True), marked + 1


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
