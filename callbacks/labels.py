"""Labels page callbacks: treemap and table per label, discovered themes, theme -> label."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from callbacks.components import (
    explore_href,
    export_links,
    figure_table,
    filters_of,
    query_string,
)
from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.figures import charts as figures
from dashapp.figures.charts import signed
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.labels import discovered as themes
from dashapp.labels.stats import LabelStat
from dashapp.services import Services
from layouts.ids import Labels, Panels, Shell


def label_rows(stats: list[LabelStat], min_n: int) -> html.Div:
    """The labels as a table: volume, share, NPS, change, impact, most problematic, sentiment."""
    if not any(s.volume for s in stats):
        return html.Div(_("No labelled comments in this period yet."), className="fw-empty")

    def change(s: LabelStat) -> str:
        if s.change.delta is None:
            return _("new") if s.new_in_window else "–"
        return signed(s.change.delta) + (" *" if s.change.significant else "")

    rows = [
        html.Tr(
            [
                html.Td(
                    html.A(s.name, href=explore_href({"label": s.label})),
                    style={"paddingLeft": f"{0.3 + 1.1 * (s.depth - 1)}rem"},
                ),
                html.Td(formats.number(s.volume)),
                html.Td(formats.percent(s.share)),
                html.Td(signed(s.nps.nps or 0) + (" ·" if s.nps.too_small else "")),
                html.Td(change(s)),
                html.Td(signed(s.impact) if s.impact is not None else "–"),
                html.Td(formats.percent(s.problematic) if s.problematic is not None else "–"),
                html.Td(f"{s.positive} / {s.neutral} / {s.negative}"),
            ]
        )
        for s in stats
        if s.volume
    ]
    head = [_("Label"), "n", _("Share"), "NPS", "Δ", _("Impact"), _("Of detractors"), "+ / · / −"]
    return html.Div(
        [
            figure_table(head, rows, "mb-1"),
            html.Div(
                _(
                    "* significant change at 95%% · fewer than %(n)s responses · Impact ="
                    " NPS(all) − NPS(all without the label) · Of detractors = share of detractor"
                    " comments that carry the label",
                    n=formats.number(min_n),
                ),
                className="fw-detail small",
            ),
        ]
    )


def theme_cards(found: list[themes.ThemeView], can_make: bool = True) -> list[Any]:
    """A card per discovered theme: its name, size, status, examples and a "make a label" form.

    The form is shown only when *can_make* (admins); the server checks the role anyway.
    """
    if not found:
        return [
            html.Div(
                _("No themes yet: discovery runs every hour over the last 14 days of comments."),
                className="fw-empty",
            )
        ]
    cards = []
    for theme in found:
        badge = (
            [dbc.Badge(_(theme.status), color="warning" if theme.status == "new" else "info")]
            if theme.status
            else []
        )
        action: Any
        if theme.label:
            action = html.Div(
                _("Label %(label)s made from this theme", label=theme.label), className="fw-detail"
            )
        elif not can_make:
            action = None
        else:
            action = dbc.InputGroup(
                [
                    dbc.Input(
                        id=Labels.theme_name(theme.id),
                        value=" ".join(theme.terms[:2]).capitalize(),
                        placeholder=_("Label name"),
                        size="sm",
                    ),
                    dbc.Button(
                        _("Make a label"),
                        id=Labels.theme_make(theme.id),
                        color="secondary",
                        size="sm",
                        n_clicks=0,
                    ),
                ],
                size="sm",
                className="mt-2",
            )
        cards.append(
            html.Div(
                [
                    html.Div(
                        [html.Span(theme.name, className="fw-theme-name me-2"), *badge],
                        className="d-flex align-items-center",
                    ),
                    html.Div(
                        f"{theme.language.upper()} · "
                        + _(
                            "%(size)s comments · %(now)s this week, %(before)s the week before",
                            size=formats.number(theme.size),
                            now=formats.number(theme.this_week),
                            before=formats.number(theme.last_week),
                        ),
                        className="fw-detail",
                    ),
                    *[html.Blockquote(text, className="fw-quote") for text in theme.examples],
                    *([action] if action is not None else []),
                ],
                className="fw-theme",
            )
        )
    return cards


def register(app: Dash, services: Services) -> None:
    """Register the labels page's callbacks."""

    @app.callback(
        Output(Labels.TREEMAP, "figure"),
        Output(Labels.TABLE, "children"),
        Output(Labels.PROGRESS, "children"),
        Output(Labels.EXPORTS, "children"),
        Input(Panels.tick("labels"), "n_intervals"),
        State(Panels.FILTERS, "data"),
    )
    def refresh(_tick: int, filter_data: dict[str, str] | None) -> tuple[Any, ...]:
        filters = filters_of(filter_data, services.nps)
        stats = services.nps.labels(filters=filters)
        progress = services.nps.relabel_progress()
        note = (
            dbc.Alert(
                _(
                    "The taxonomy changed: relabelling stored comments, %(done)s done."
                    " Figures fill in as it goes.",
                    done=formats.percent(progress),
                ),
                color="info",
                className="my-2",
            )
            if progress is not None
            else None
        )
        query = query_string({"brand": list(filters.brand), "country": list(filters.country)})
        exports = [
            html.Span(_("Export:") + " ", className="text-muted me-2"),
            *export_links("labels", query),
        ]
        return (
            figures.label_treemap(stats),
            label_rows(stats, services.settings.min_n),
            note,
            exports,
        )

    @app.callback(
        Output(Labels.THEMES, "children"),
        Output(Labels.SHOWN, "data"),
        Input(Labels.SCOPE, "value"),
        Input(Panels.tick("labels"), "n_intervals"),
        Input(Labels.MESSAGE, "children"),
        State(Labels.SHOWN, "data"),
    )
    def show_themes(scope: str, _tick: int, _message: Any, shown: list[Any] | None) -> Any:
        found = services.nps.themes(scope or "unlabelled")
        now_shown = [[t.id, t.label, t.size] for t in found]
        # Re-drawing unchanged cards would wipe a name someone is typing.
        if ctx.triggered_id == Panels.tick("labels") and now_shown == shown:
            raise PreventUpdate
        person = current_person()
        return theme_cards(found, person is not None and person.role >= Role.admin), now_shown

    @app.callback(
        Output(Shell.URL, "href", allow_duplicate=True),
        Input(Labels.TREEMAP, "clickData"),
        prevent_initial_call=True,
    )
    def treemap_to_explore(click: dict[str, Any] | None) -> str:
        if not click or not click.get("points"):
            raise PreventUpdate
        label = click["points"][0].get("customdata") or click["points"][0].get("id")
        if not label:
            raise PreventUpdate
        return explore_href({"label": label})


def register_admin(app: Dash, services: Services) -> None:
    """Register the labels page's admin action: a discovered theme becomes a label."""

    @app.callback(
        Output(Labels.MESSAGE, "children"),
        Input(Labels.theme_make(ALL), "n_clicks"),
        State(Labels.theme_name(ALL), "value"),
        State(Labels.theme_name(ALL), "id"),
        prevent_initial_call=True,
    )
    def make_label(
        clicks: list[int | None], names: list[str | None], ids: list[dict[str, Any]]
    ) -> Any:
        trigger = ctx.triggered_id
        # The cards are re-rendered with n_clicks=0, which also fires this callback.
        if not isinstance(trigger, dict) or not any(clicks):
            raise PreventUpdate
        theme_id = int(trigger["theme"])
        name = next((n for n, i in zip(names, ids, strict=True) if i["theme"] == theme_id), "")
        try:
            label_id = themes.label_from_theme(services.sessions, theme_id, name or "")
        except themes.ThemeError as exc:
            return dbc.Alert(str(exc), color="warning", dismissable=True)
        return dbc.Alert(
            _(
                "Label “%(name)s” (%(id)s) added; stored comments are being relabelled.",
                name=name,
                id=label_id,
            ),
            color="success",
            dismissable=True,
        )
