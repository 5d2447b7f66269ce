"""Wall callbacks: overview, live feed and themes, refreshed on each panel's poll timer.

Thin: parse the page's filters, ask the cached NPS engine, shape components.
Each refresh disables its own timer while it runs (``running``), so a slow
store never stacks refreshes up; every screen shares the engine's cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, html

from callbacks.components import export_links
from dashapp.access.gate import current_person
from dashapp.access.users import Role
from dashapp.figures import charts as figures
from dashapp.figures.charts import signed
from dashapp.figures.nps_engine import NpsEngine, default_as_of
from dashapp.jobs import demo_seed
from dashapp.labels.sentiment import NAMES as SENTIMENT_NAMES
from dashapp.masking import mask
from dashapp.metrics.nps import DETRACTOR_MAX, Nps, classify, compare
from dashapp.metrics.params import parse_filters
from dashapp.metrics.queries import FeedItem, Filters, ResponseRow, Selection
from dashapp.services import Services
from layouts.ids import Kiosk, Panels, Shell

FEED_LENGTH = 30
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


def relative_time(at: dt.datetime, now: dt.datetime) -> str:
    """'just now', '2 min ago', '3 h ago', '2 d ago' (pure)."""
    seconds = max(0, int((now - at).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def kpi_texts(current: Nps, previous: Nps) -> tuple[str, str, Any]:
    """The big number, its interval line and the change line."""
    if current.nps is None:
        return "–", "No responses in the last 30 days yet", ""
    detail = figures.interval_line(current)
    if current.too_small:
        detail += " · too few responses to read much into"
    change = compare(current, previous)
    if change.delta is None:
        return signed(current.nps), detail, "No previous period to compare"
    arrow = "▲" if change.delta > 0 else "▼" if change.delta < 0 else "■"
    verdict = "significant" if change.significant else "within noise"
    badge = (
        "success"
        if change.significant and change.delta > 0
        else "danger"
        if change.significant
        else "secondary"
    )
    line = [
        html.Span(f"{arrow} {change.delta:+.1f} vs previous 30 days ", className="me-2"),
        dbc.Badge(verdict, color=badge, className="fw-badge"),
    ]
    return signed(current.nps), detail, line


def comment_card(
    ident: int,
    score: int,
    text: str,
    facts: tuple[str | None, ...],
    when: str,
    labels: Sequence[tuple[str, int]] = (),
) -> html.Div:
    """A response as a card: coloured score, the comment as text (never markup), facts, time.

    The caller decides whether *text* is masked (wall screens) or not (analysts).
    *labels* are (display name, sentiment) chips shown under the comment.
    """
    cls = classify(score)
    meta = " · ".join(part for part in facts if part)
    chips = [
        html.Span(
            f"{SENTIMENT_MARK[sentiment]} {name}",
            className=f"fw-chip fw-chip-{SENTIMENT_NAMES[sentiment]}",
            title=f"{name}: {SENTIMENT_NAMES[sentiment]}",
        )
        for name, sentiment in labels
    ]
    return html.Div(
        [
            html.Div(str(score), className=f"fw-score fw-{cls.value}"),
            html.Div(
                [
                    html.Div(text, className="fw-comment"),
                    *([html.Div(chips, className="fw-chips")] if chips else []),
                    html.Div(
                        [html.Span(meta), html.Span(when, className="fw-ago")], className="fw-meta"
                    ),
                ],
                className="fw-feed-text",
            ),
        ],
        className=f"fw-feed-item fw-border-{cls.value}",
        # assets/wall.js animates cards whose id it has not seen before.
        **{"data-id": str(ident)},
    )


def overview_panel(
    svc: Services, filters: Filters, scale: float, theme: str = figures.DEFAULT_THEME
) -> tuple[Any, ...]:
    """The overview's texts and figures in *theme*'s colours (as plain dicts, cheap to send)."""
    current, previous, _ = svc.nps.change(window=30, filters=filters)
    big, detail, change = kpi_texts(current, previous)
    heat = figures.heatmap(
        svc.nps.nps_by(("brand", "country"), window=30, filters=filters), scale, theme
    )
    trend = figures.trends(
        svc.nps.rolling(("brand",), window=30, days=90, filters=filters),
        svc.nps.rolling(("brand",), window=7, days=90, filters=filters),
        scale,
        theme,
    )
    volume = figures.volume(svc.nps.daily_volume(days=30, filters=filters), scale, theme)
    return big, detail, change, heat.to_dict(), trend.to_dict(), volume.to_dict()


def feed_panel(svc: Services, filters: Filters) -> list[Any]:
    """The live feed's cards, newest first."""
    items = svc.nps.feed(limit=FEED_LENGTH, filters=filters)
    if not items:
        return [html.Div("No comments yet. They appear here as they arrive.", className="fw-empty")]
    now = dt.datetime.now(dt.UTC)
    labels = label_chips(svc, [item.id for item in items])
    return [feed_card(item, now, labels.get(item.id, ()), svc.mask) for item in items]


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
        chips[rid] = [(taxonomy.labels[lbl].name, s) for lbl, s in shown if lbl in taxonomy.labels]
    return chips


def feed_card(
    item: FeedItem,
    now: dt.datetime,
    labels: Sequence[tuple[str, int]] = (),
    masker: Callable[[str], str] = mask,
) -> html.Div:
    """A live-feed card, with personal data (and configured words) masked for the wall."""
    facts = (item.brand, item.country, item.touchpoint, (item.language or "").upper())
    return comment_card(
        item.id,
        item.score,
        masker(item.comment),
        facts,
        relative_time(item.submitted_at, now),
        labels,
    )


def label_tiles(svc: Services, filters: Filters) -> list[Any]:
    """A tile per top-level label, sized by volume: NPS, share, sentiment, impact, a quote."""
    stats = [s for s in svc.nps.labels(window=30, filters=filters) if s.depth == 1 and s.volume]
    if not stats:
        return [html.Div("No labelled comments in the last 30 days yet.", className="fw-empty")]
    total = sum(s.volume for s in stats) or 1
    tiles = []
    used: set[int] = set()
    for stat in sorted(stats, key=lambda s: -s.volume)[:8]:
        score = stat.nps.nps if stat.nps.nps is not None else 0
        hue = max(0, min(120, (score + 40) * 1.0))  # -40 red ... +80 green
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
                        f"NPS {signed(score)}{change} · {100 * stat.share:.0f}% of comments",
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
                        title=f"{stat.positive} positive, {stat.neutral} neutral, "
                        f"{stat.negative} negative",
                    ),
                    html.Div(
                        f"impact {signed(stat.impact or 0)} · n = {stat.volume:,}",
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
                    "borderColor": f"hsl({hue:.0f}, 65%, 45%)",
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
    for drop in svc.nps.drops(("brand", "country"), window=7, filters=filters)[:2]:
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
                        f" (n {drop.previous.n:,} → {drop.current.n:,}),"
                        " last 7 days against the 7 before",
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


def register(app: Dash, services: Services) -> None:
    """Register the wall's data callbacks on *app*."""

    @app.callback(
        Output(Panels.NPS, "children"),
        Output(Panels.NPS_DETAIL, "children"),
        Output(Panels.CHANGE, "children"),
        Output(Panels.HEATMAP, "figure"),
        Output(Panels.TRENDS, "figure"),
        Output(Panels.VOLUME, "figure"),
        Output(Shell.STAMP, "data", allow_duplicate=True),
        Input(Panels.POLL_OVERVIEW, "data"),
        State(Panels.FILTERS, "data"),
        State(Shell.SCALE, "data"),
        State(Panels.THEME, "data"),
        running=[(Output(Panels.TICK_OVERVIEW, "disabled"), True, False)],
        prevent_initial_call=True,
    )
    def refresh_overview(
        _tick: int | None,
        filter_data: dict[str, str] | None,
        scale: float | None,
        theme: str | None,
    ) -> tuple[Any, ...]:
        filters, scale = filters_of(filter_data, services.nps), float(scale or 1)
        theme = figures.theme_of(theme)
        # Every screen with these filters, size and theme shows the same panel: built once per
        # data version and minute (the windows end at the next whole minute), then shared.
        panel = services.nps.memo(
            "panel:overview",
            (filters, scale, theme, default_as_of()),
            lambda: overview_panel(services, filters, scale, theme),
        )
        return (*panel, stamp())

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
        return f"loading demo history: {percent}%", False

    @app.callback(Output(Panels.EXPORTS, "children"), Input(Panels.FILTERS, "data"))
    def exports(filter_data: dict[str, str] | None) -> list[Any]:
        person = current_person()
        # Exports are the analysts' (the routes check it); screens show no dead links.
        if person is None or person.role < Role.analyst:
            return []
        query = urlencode({k: v for k, v in (filter_data or {}).items() if v})
        suffix = f"?{query}" if query else ""
        links: list[Any] = [html.Span("Download: ", className="text-muted me-2")]
        tables = {"heatmap": "nps", "trends": "trends", "volume": "volume"}
        for chart, table in tables.items():
            data_query = (
                f"{suffix}{'&' if suffix else '?'}by=brand,country" if table == "nps" else suffix
            )
            links.append(html.Span(f"{chart} ", className="ms-3 text-muted"))
            links += export_links(chart, suffix, table, data_query)
        links.append(html.Span("whole page ", className="ms-3 text-muted"))
        links.append(html.A("PDF", href=f"/export/dashboard.pdf{suffix}", className="me-2"))
        return links

    @app.callback(Output(Panels.FILTER_NOTE, "children"), Input(Panels.FILTERS, "data"))
    def note_filters(filter_data: dict[str, str] | None) -> Any:
        # A filter naming no brand (say a typo) would leave the screen saying only "No responses".
        return filter_note(services.nps.resolve(filters_of(filter_data))[1])

    @app.callback(
        Output(Panels.FEED, "children"),
        Output(Shell.STAMP, "data", allow_duplicate=True),
        Input(Panels.POLL_FEED, "data"),
        State(Panels.FILTERS, "data"),
        running=[(Output(Panels.TICK_FEED, "disabled"), True, False)],
        prevent_initial_call=True,
    )
    def refresh_feed(_tick: int | None, filter_data: dict[str, str] | None) -> tuple[Any, str]:
        filters = filters_of(filter_data, services.nps)
        # "2 min ago" changes each minute; new comments change the data version.
        panel = services.nps.memo(
            "panel:feed", (filters, default_as_of()), lambda: feed_panel(services, filters)
        )
        return panel, stamp()

    @app.callback(
        Output(Panels.ALERT, "children"),
        Output(Kiosk.ALERTS, "data"),
        Input(Panels.TICK_ALERT, "n_intervals"),
        State(Panels.FILTERS, "data"),
        running=[(Output(Panels.TICK_ALERT, "disabled"), True, False)],
    )
    def refresh_alert(_tick: int, filter_data: dict[str, str] | None) -> tuple[list[Any], int]:
        # Polled by every kiosk, shown or not: it decides whether the alert page joins.
        filters = filters_of(filter_data, services.nps)
        cards: list[Any] = services.nps.memo(
            "panel:alert", (filters, default_as_of()), lambda: alert_cards(services, filters)
        )
        return cards, len(cards)

    @app.callback(
        Output(Panels.LABELS, "children"),
        Output(Shell.STAMP, "data", allow_duplicate=True),
        Input(Panels.POLL_LABELS, "data"),
        State(Panels.FILTERS, "data"),
        running=[(Output(Panels.TICK_LABELS, "disabled"), True, False)],
        prevent_initial_call=True,
    )
    def refresh_labels(_tick: int | None, filter_data: dict[str, str] | None) -> tuple[Any, str]:
        filters = filters_of(filter_data, services.nps)
        panel = services.nps.memo(
            "panel:labels", (filters, default_as_of()), lambda: label_tiles(services, filters)
        )
        return panel, stamp()
