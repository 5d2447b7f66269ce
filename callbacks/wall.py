"""Wall callbacks: overview, live feed and themes, refreshed on each panel's poll timer.

Thin: parse the page's filters, ask the cached NPS engine, shape components.
Each refresh disables its own timer while it runs (``running``), so a slow
store never stacks refreshes up; every screen shares the engine's cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html

from callbacks.components import (
    comment_card,
    export_links,
    filter_note,
    filters_of,
    label_chips,
    relative_time,
)
from callbacks.followup_panel import followups_panel
from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.figures import charts as figures
from dashapp.figures import overview
from dashapp.figures.charts import cell_colour, signed
from dashapp.i18n import formats
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.jobs import demo_seed
from dashapp.masking import mask
from dashapp.metrics.nps import DETRACTOR_MAX, Nps, compare
from dashapp.metrics.queries import FeedItem, Filters, ResponseRow, Selection
from dashapp.metrics.windows import MAIN_DAYS, SHORT_DAYS, default_as_of
from dashapp.services import Services
from layouts.ids import Kiosk, Panels, Shell
from layouts.panels import PANELS, WallPanel

FEED_LENGTH = 30
#: The big number while there is none, and the class of a panel's "nothing yet" note.
NO_FIGURE = "–"
EMPTY_CLASS = "fw-empty"
#: The overview's charts as the download line names them.
CHART_NAMES = {"heatmap": N_("heatmap"), "trends": N_("trends"), "volume": N_("volume")}


def kpi_texts(current: Nps, previous: Nps) -> tuple[str, str, Any]:
    """The big number, its interval line and the change line."""
    if current.nps is None:
        return NO_FIGURE, _("No responses in the last %(days)s days yet", days=MAIN_DAYS), ""
    detail = figures.interval_line(current)
    if current.too_small:
        detail += " · " + _("too few responses to read much into")
    change = compare(current, previous)
    if change.delta is None:
        return signed(current.nps), detail, _("No previous period to compare")
    arrow = "▲" if change.delta > 0 else "▼" if change.delta < 0 else "■"
    verdict = _("significant") if change.significant else _("within noise")
    # The NPS scale's blue and orange (the theme's green and red read at 2.4 and 3.8:1,
    # and apart only for some eyes); the arrow and the word say it without colour.
    badge = (
        " fw-badge-up"
        if change.significant and change.delta > 0
        else " fw-badge-down"
        if change.significant
        else ""
    )
    line = [
        html.Span(
            f"{arrow} "
            + _(
                "%(delta)s vs previous %(days)s days",
                delta=formats.signed_decimal(change.delta),
                days=MAIN_DAYS,
            )
            + " ",
            className="me-2",
        ),
        dbc.Badge(verdict, color="secondary", className=f"fw-badge{badge}"),
    ]
    return signed(current.nps), detail, line


def overview_panel(
    svc: Services,
    filters: Filters,
    scale: float,
    theme: str = figures.DEFAULT_THEME,
    wall: bool = False,
) -> tuple[Any, ...]:
    """The overview's texts and figures in *theme*'s colours (as plain dicts, cheap to send).

    A wall draws its charts to read from 4 m and shows no daily volume (its CSS hides
    the chart, so it is not drawn: an empty figure).
    """
    texts = kpi_texts(*overview.headline(svc.nps, filters))
    charts = (
        {}
        if wall and name == "volume"
        else overview.chart(svc.nps, name, filters, None, scale, theme, wall=wall).to_dict()
        for name in overview.TITLES
    )
    return (*texts, *charts)


def feed_panel(svc: Services, filters: Filters) -> list[Any]:
    """The live feed's cards, newest first."""
    items = svc.nps.feed(limit=FEED_LENGTH, filters=filters)
    if not items:
        return [
            html.Div(_("No comments yet. They appear here as they arrive."), className=EMPTY_CLASS)
        ]
    now = dt.datetime.now(dt.UTC)
    ids = [item.id for item in items]
    labels = label_chips(svc, ids)
    translated = svc.nps.translations(ids)
    return [
        feed_card(item, now, labels.get(item.id, ()), svc.mask, translated.get(item.id))
        for item in items
    ]


def feed_card(
    item: FeedItem,
    now: dt.datetime,
    labels: Sequence[tuple[str, int]] = (),
    masker: Callable[[str], str] = mask,
    translation: tuple[str, str | None] | None = None,
) -> html.Div:
    """A live-feed card, with personal data (and configured words) masked for the wall,
    in the translation too."""
    facts = (item.brand, item.country, item.touchpoint, (item.language or "").upper())
    return comment_card(
        item.id,
        item.score,
        masker(item.comment),
        facts,
        relative_time(item.submitted_at, now),
        labels,
        followup=True,
        translation=None if translation is None else (masker(translation[0]), translation[1]),
    )


def label_tiles(svc: Services, filters: Filters) -> list[Any]:
    """A tile per top-level label, sized by volume: NPS, share, sentiment, impact, a quote."""
    stats = [s for s in svc.nps.labels(filters=filters) if s.depth == 1 and s.volume]
    if not stats:
        return [
            html.Div(
                _("No labelled comments in the last %(days)s days yet.", days=MAIN_DAYS),
                className=EMPTY_CLASS,
            )
        ]
    total = sum(s.volume for s in stats) or 1
    tiles = []
    used: set[int] = set()
    for stat in sorted(stats, key=lambda s: -s.volume)[:8]:
        score = stat.nps.nps if stat.nps.nps is not None else 0
        quote = _telling_quote(svc, Selection(filters=filters, label=stat.label), used)
        split = max(1, stat.positive + stat.neutral + stat.negative)
        change = ""
        if stat.change.significant and stat.change.delta is not None:
            change = f" · {'▲' if stat.change.delta > 0 else '▼'} {signed(stat.change.delta)}"
        tiles.append(
            html.Div(
                [
                    html.Div(stat.name, className="fw-tile-name"),
                    html.Div(
                        f"NPS {signed(score)}{change} · "
                        + _("%(share)s of comments", share=formats.percent(stat.share)),
                        className="fw-tile-figures",
                    ),
                    html.Div(
                        [
                            html.Span(
                                className=f"fw-sent fw-sent-{name}",
                                style={"width": f"{100 * count / split:.1f}%"},
                            )
                            for name, count in (
                                ("positive", stat.positive),
                                ("neutral", stat.neutral),
                                ("negative", stat.negative),
                            )
                        ],
                        className="fw-sentiment",
                        title=_(
                            "%(positive)s positive, %(neutral)s neutral, %(negative)s negative",
                            positive=stat.positive,
                            neutral=stat.neutral,
                            negative=stat.negative,
                        ),
                    ),
                    html.Div(
                        " · ".join(
                            (
                                _("impact %(impact)s", impact=signed(stat.impact or 0)),
                                formats.size(stat.volume),
                                # The bar's split in words: colour never says it alone.
                                _(
                                    "%(positive)s positive, %(negative)s negative",
                                    positive=formats.percent(stat.positive / split),
                                    negative=formats.percent(stat.negative / split),
                                ),
                            )
                        ),
                        className="fw-tile-detail",
                    ),
                    *(
                        [html.Blockquote(svc.mask(quote.comment), className="fw-quote")]
                        if quote is not None and quote.comment
                        else []
                    ),
                ],
                className="fw-tile",
                style={
                    "flexGrow": max(1, round(100 * stat.volume / total)),
                    # The heatmap's NPS scale (orange to blue), not red against green.
                    "borderColor": cell_colour(score),
                },
            )
        )
    return tiles


def _telling_quote(svc: Services, selection: Selection, used: set[int]) -> ResponseRow | None:
    """A recent detractor comment of the label, about as little else as possible, not yet shown.

    A comment that names five labels says little about any one of them, and
    the same comment on every tile says nothing at all.
    """
    rows = svc.nps.responses(replace(selection, score_class="detractor"), limit=8)
    fresh = [r for r in rows if r.id not in used and r.comment]
    if not fresh:
        return None
    counts = {
        rid: len(pairs) for rid, pairs in svc.nps.response_labels([r.id for r in fresh]).items()
    }
    best = min(fresh, key=lambda r: counts.get(r.id, 0))
    used.add(best.id)
    return best


def alert_cards(svc: Services, filters: Filters) -> list[Any]:
    """The worst two significant drops of the last 7 days, each with its detractors' words."""
    cards = []
    for drop in svc.nps.drops(("brand", "country"), filters=filters)[:2]:
        brand, country = drop.group["brand"], drop.group["country"]
        quotes = svc.nps.feed(
            limit=3,
            filters=Filters((brand,), (country,), filters.touchpoint),
            max_score=DETRACTOR_MAX,
        )
        cards.append(
            html.Div(
                [
                    html.Div(f"{brand} · {country}", className="fw-alert-cell"),
                    html.Div(
                        f"NPS {signed(drop.previous.nps or 0)} → {signed(drop.current.nps or 0)}"
                        f" (n {formats.number(drop.previous.n)} → "
                        f"{formats.number(drop.current.n)}), "
                        + _("last %(days)s days against the %(days)s before", days=SHORT_DAYS),
                        className="fw-alert-figures",
                    ),
                    *[html.Blockquote(svc.mask(q.comment), className="fw-quote") for q in quotes],
                ],
                className="fw-alert",
            )
        )
    return cards


def stamp() -> str:
    """Now, for the browser's "updated" line."""
    return dt.datetime.now(dt.UTC).isoformat()


@dataclass(frozen=True, slots=True)
class PanelFill:
    """How one declared wall panel (layouts.panels.PANELS) is filled with data."""

    #: The (component id, property) pairs the builder's tuple fills, in order.
    outputs: tuple[tuple[str, str], ...]
    #: (services, filters, screen scale, theme, wall screen) -> one value per output.
    build: Callable[[Services, Filters, float, str, bool], tuple[Any, ...]]
    #: Drawn for the screen (charts sized by scale, coloured by theme, for a wall or
    #: a desk): kept per screen kind.
    drawn: bool = False
    #: Seconds a build stands for newer data (figures over days move little with one
    #: response; each new one would rebuild every wall's): 0 follows every data change.
    settle: float = 0.0
    #: Whether a build may stand (one that showed nothing never waits for the first data).
    settles: Callable[[tuple[Any, ...]], bool] | None = None


#: How long the wall's figures (overview, labels, the alert's drops over 7 days) stand
#: while new responses arrive.
FIGURES_SETTLE = 60.0


def _shows_data(built: tuple[Any, ...]) -> bool:
    """Whether a built panel shows figures, not its "nothing yet" note."""
    first = built[0]
    if isinstance(first, list):
        return not (len(first) == 1 and getattr(first[0], "className", None) == EMPTY_CLASS)
    return first != NO_FIGURE


def _feed(svc: Services, filters: Filters, *_screen: object) -> tuple[Any, ...]:
    return (feed_panel(svc, filters),)


def _labels(svc: Services, filters: Filters, *_screen: object) -> tuple[Any, ...]:
    return (label_tiles(svc, filters),)


def _followups(svc: Services, filters: Filters, *_screen: object) -> tuple[Any, ...]:
    return (followups_panel(svc, filters),)


def _alert(svc: Services, filters: Filters, *_screen: object) -> tuple[Any, ...]:
    cards = alert_cards(svc, filters)
    return cards, len(cards)


#: Each wall panel's fill, by the panel's name; a panel declared without one fails at start.
FILLS: dict[str, PanelFill] = {
    "overview": PanelFill(
        (
            (Panels.NPS, "children"),
            (Panels.NPS_DETAIL, "children"),
            (Panels.CHANGE, "children"),
            (Panels.HEATMAP, "figure"),
            (Panels.TRENDS, "figure"),
            (Panels.VOLUME, "figure"),
        ),
        overview_panel,
        drawn=True,
        settle=FIGURES_SETTLE,
        settles=_shows_data,
    ),
    "feed": PanelFill(((Panels.FEED, "children"),), _feed),
    "labels": PanelFill(
        ((Panels.LABELS, "children"),), _labels, settle=FIGURES_SETTLE, settles=_shows_data
    ),
    "followups": PanelFill(((Panels.part("followups", "content"), "children"),), _followups),
    # The alert's count tells the kiosk whether the alert page joins the rotation.
    "alert": PanelFill(
        ((Panels.ALERT, "children"), (Kiosk.ALERTS, "data")), _alert, settle=FIGURES_SETTLE
    ),
}


def register_panel(app: Dash, services: Services, panel: WallPanel, fill: PanelFill) -> None:
    """The refresh callback of one wall panel, from its declaration and its fill.

    A gated panel refreshes on its poll store (fed only while it is on screen) and
    moves the page's "updated" stamp; an ungated one (the alert) on every tick. Each
    refresh disables its own tick while it runs, so refreshes never overlap, and
    every screen with the same filters (and, for drawn panels, the same size and
    theme) shares one result per data version and minute.
    """
    outputs = [Output(ident, prop) for ident, prop in fill.outputs]
    trigger = (
        Input(Panels.poll(panel.name), "data")
        if panel.gated
        else Input(Panels.tick(panel.name), "n_intervals")
    )
    if panel.gated:
        outputs.append(Output(Shell.STAMP, "data", allow_duplicate=True))

    def refresh(
        _tick: object,
        filter_data: dict[str, str] | None,
        scale: float | None,
        theme: str | None,
        wall: bool | None,
    ) -> tuple[Any, ...]:
        filters = filters_of(filter_data, services.nps)
        screen = (float(scale or 1), figures.theme_of(theme), bool(wall))
        # The windows end at the next whole minute: the same minute, the same panel; the
        # last minute's stands in while one screen builds it (or while it settles).
        lineage = (filters, *(screen if fill.drawn else ()))
        built = services.nps.memo(
            f"panel:{panel.name}",
            (*lineage, default_as_of()),
            lambda: fill.build(services, filters, *screen),
            settle=fill.settle,
            settles=fill.settles,
            lineage=lineage,
        )
        return (*built, stamp()) if panel.gated else tuple(built)

    refresh.__name__ = f"refresh_{panel.name}"
    app.callback(
        *outputs,
        trigger,
        State(Panels.FILTERS, "data"),
        State(Shell.SCALE, "data"),
        State(Panels.THEME, "data"),
        State(Panels.WALL, "data"),
        running=[(Output(Panels.tick(panel.name), "disabled"), True, False)],
        prevent_initial_call=panel.gated,
    )(refresh)


def register(app: Dash, services: Services) -> None:
    """Register the wall's data callbacks on *app*: one refresh per declared panel."""
    for panel in PANELS:
        fill = FILLS.get(panel.name)
        if fill is None:
            raise LookupError(f"wall panel {panel.name!r} has no fill in callbacks/wall.py FILLS")
        register_panel(app, services, panel, fill)

    @app.callback(
        Output(Panels.HISTORY, "children"),
        Output(Panels.TICK_HISTORY, "disabled"),
        Input(Panels.TICK_HISTORY, "n_intervals"),
    )
    def refresh_history(_tick: int) -> tuple[str, bool]:
        # Read from the store the seeding job writes to: every screen and worker says the same.
        percent = demo_seed.loading(services.sessions)
        if percent is None:
            return "", True
        return _("loading demo history: %(percent)s%%", percent=percent), False

    @app.callback(Output(Panels.EXPORTS, "children"), Input(Panels.FILTERS, "data"))
    def exports(filter_data: dict[str, str] | None) -> list[Any]:
        person = current_person()
        # Exports are the analysts' (the routes check it); screens show no dead links.
        if person is None or person.role < Role.analyst:
            return []
        query = urlencode({k: v for k, v in (filter_data or {}).items() if v})
        suffix = f"?{query}" if query else ""
        links: list[Any] = [html.Span(_("Download:") + " ", className="text-muted me-2")]
        tables = {"heatmap": "nps", "trends": "trends", "volume": "volume"}
        for chart, table in tables.items():
            data_query = (
                f"{suffix}{'&' if suffix else '?'}by=brand,country" if table == "nps" else suffix
            )
            links.append(html.Span(f"{_(CHART_NAMES[chart])} ", className="ms-3 text-muted"))
            links += export_links(chart, suffix, table, data_query)
        links.append(html.Span(_("whole page") + " ", className="ms-3 text-muted"))
        links.append(html.A("PDF", href=f"/export/dashboard.pdf{suffix}", className="me-2"))
        return links

    @app.callback(Output(Panels.FILTER_NOTE, "children"), Input(Panels.FILTERS, "data"))
    def note_filters(filter_data: dict[str, str] | None) -> Any:
        # A filter naming no brand (say a typo) would leave the screen saying only "No responses".
        return filter_note(services.nps.resolve(filters_of(filter_data))[1])
