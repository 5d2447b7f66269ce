"""Plotly figures for the wall, built from the NPS engine's results (pure functions).

SVG traces only (no WebGL: plotly.js #6365 leaks contexts on long-running
screens); font sizes scale with the screen so 4K walls stay legible; text
colours come from the screen's theme (dark or light, :data:`THEMES`). Colours are safe
for colour-blind eyes (a blue–orange NPS scale, Okabe–Ito categories) and never carry
meaning alone: every NPS is written with its sign, every series is named. Every word
is in the reader's language (:mod:`dashapp.i18n`), numbers with its separators.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashapp.figures.nps_engine import GroupNps, RollingPoint
from dashapp.i18n import formats
from dashapp.i18n.core import gettext as _
from dashapp.ingest.validation import safe_text
from dashapp.labels.stats import LabelStat
from dashapp.metrics.annotations import Mark
from dashapp.metrics.nps import Nps
from dashapp.metrics.queries import Counts

#: Orange (low) through a light grey to blue (high) over the NPS range walls actually see:
#: a diverging scale that red–green colour blindness (8% of men) reads as it is meant.
NPS_SCALE = [
    [0.0, "#b35806"],
    [0.25, "#f1a340"],
    [0.5, "#e8e8e8"],
    [0.75, "#6baed6"],
    [1.0, "#08519c"],
]
NPS_RANGE = (-40, 80)
#: Okabe–Ito: categories any eye tells apart (black left out: it vanishes on dark screens).
PALETTE = ("#56B4E9", "#E69F00", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
#: Promoters, passives, detractors: blue, grey, orange (the NPS scale's ends), always named.
CLASS_COLOURS = ("#0072B2", "#999999", "#E69F00")
#: Heatmap cell labels: black or white, whichever stands out more from the cell's colour
#: (one of the two always reaches 4.5:1, whatever the colour).
CELL_TEXT = ("#000000", "#ffffff")


@dataclass(frozen=True, slots=True)
class FigureTheme:
    """The colours of one screen theme's charts, and of the card they sit on (assets/wall.css)."""

    text: str
    muted: str
    grid: str
    line: str
    zeroline: str
    card: str
    #: Heatmap cells with too few responses to colour (their n in muted text).
    small_cell: str
    #: Annotation labels: the marks' violet, light or dark enough to read on the card.
    mark: str


THEMES = {
    "dark": FigureTheme(
        text="#e9ecef",
        muted="#9aa3ab",
        grid="rgba(255,255,255,0.08)",
        line="#506784",
        zeroline="#283442",
        card="#2b2f33",
        small_cell="#2b2f33",
        mark="#b9a3ec",
    ),
    "light": FigureTheme(
        text="#1b1e21",
        muted="#5c636a",
        grid="rgba(0,0,0,0.10)",
        line="#adb5bd",
        zeroline="#dee2e6",
        card="#ffffff",
        small_cell="#e9ecef",
        mark="#5b3cc4",
    ),
}
DEFAULT_THEME = "dark"


def _template(theme: FigureTheme) -> go.layout.Template:
    """The parts of a plotly template these charts use, in *theme*'s colours.

    Made once per theme: naming a whole template cost more than building the chart
    itself (it is validated and copied per figure) and sent 7 KB more with every
    figure to every screen.
    """
    axis = {
        "gridcolor": theme.grid,
        "linecolor": theme.line,
        "ticks": "",
        "zeroline": False,
        "zerolinecolor": theme.zeroline,
        "title": {"standoff": 15},
        "automargin": True,
    }
    return go.layout.Template(
        layout={
            "colorway": PALETTE,
            "font": {"color": theme.text},
            "hovermode": "closest",
            "hoverlabel": {"align": "left"},
            "xaxis": axis,
            "yaxis": axis,
            "coloraxis": {"colorbar": {"outlinewidth": 0, "ticks": ""}},
            "annotationdefaults": {"arrowcolor": theme.text, "arrowhead": 0, "arrowwidth": 1},
        }
    )


TEMPLATES = {name: _template(theme) for name, theme in THEMES.items()}


def theme_of(name: str | None) -> str:
    """A known theme's name: *name*, or the default for anything else."""
    return name if name in THEMES else DEFAULT_THEME


def _rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb``, ``#rgb`` or ``rgb(r, g, b)`` as three 0-255 numbers."""
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(float(int(digits[i : i + 2], 16)) for i in (0, 2, 4))  # type: ignore[return-value]
    r, g, b = (float(v) for v in colour[colour.index("(") + 1 : -1].split(",")[:3])
    return r, g, b


def luminance(colour: str) -> float:
    """WCAG relative luminance of an opaque colour."""
    lin = [
        c / 255 / 12.92 if c <= 10.31 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)
    ]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two opaque colours (1 to 21; 4.5 is legible body text)."""
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def cell_colour(value: float) -> str:
    """The heatmap colour of an NPS (the scale clamped to :data:`NPS_RANGE`)."""
    low, high = NPS_RANGE
    return sample_colorscale(NPS_SCALE, [min(1.0, max(0.0, (value - low) / (high - low)))])[0]


def cell_text(value: float) -> str:
    """The label colour that stands out most from an NPS's cell colour."""
    background = cell_colour(value)
    return max(CELL_TEXT, key=lambda text: contrast(text, background))


def style(fig: go.Figure, scale: float = 1.0, theme: str = DEFAULT_THEME) -> go.Figure:
    """*fig* in the wall's style for *theme* ("dark" or "light")."""
    return _layout(fig, scale, theme)


#: An NPS as published: whole points, "+" or a real minus (U+2212), never "−0".
signed = formats.signed


def interval_line(figure: Nps) -> str:
    """The line under every published NPS: its 95% interval and its n ("" without responses)."""
    if figure.nps is None:
        return ""
    low, high = signed(figure.ci_low or 0), signed(figure.ci_high or 0)
    return _("95%% CI %(low)s to %(high)s · %(n)s", low=low, high=high, n=formats.size(figure.n))


#: Whether plotly checks (and deep-copies) every property of the charts built here. They
#: are built from figures this module computes, never from input as given, and the checks
#: were most of a wall panel's build (the overview's trends 182 -> 35 ms, docs/benchmarks.md).
#: tests/test_charts_unchecked.py builds every chart both ways and requires the same JSON.
CHECKED = False


def figure(data: Any = None) -> go.Figure:
    """A new figure holding *data* (traces) as given: see :data:`CHECKED`."""
    return go.Figure(data, _validate=CHECKED)


def _days(count: int) -> str:
    return _("%(days)s days", days=count)


def to_range(low: float, high: float) -> str:
    """An interval of two NPS values: "−3 to +12" (en), "−3 bis +12" (de)."""
    return _("%(low)s to %(high)s", low=signed(low), high=signed(high))


def _layout(fig: go.Figure, scale: float, theme: str = DEFAULT_THEME) -> go.Figure:
    size = round(14 * scale)
    name = theme_of(theme)
    fig.update_layout(
        template=TEMPLATES[name],
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        # Text colour from the theme: a light screen's charts got near-white text before.
        font={"color": THEMES[name].text, "size": size},
        margin={
            "l": round(10 * scale),
            "r": round(10 * scale),
            "t": round(8 * scale),
            "b": round(10 * scale),
        },
        legend={"orientation": "h", "y": -0.15, "font": {"size": size, "color": THEMES[name].text}},
        # Decimal mark and grouping of the reader's language (axes, hovers, exports).
        separators=formats.plotly_separators(),
        autosize=True,
        uirevision="static",
    )
    return fig


def for_print(fig: go.Figure, title: str, subtitle: str) -> go.Figure:
    """*fig* restyled for slides and reports: white background, dark text, a title line."""
    # A checked copy: a figure built unchecked keeps a template given by name as a string,
    # which plotly.js ignores (exports are rare; the copy costs nothing that matters).
    fig = go.Figure(fig)
    fig.update_layout(
        template="plotly_white",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"color": "#212529", "size": 14},
        separators=formats.plotly_separators(),
        title={"text": f"{title}<br><sup>{subtitle}</sup>", "x": 0.01},
        margin={"t": 90, "l": 60, "r": 30, "b": 60},
    )
    fig.update_xaxes(gridcolor="#e5e5e5")
    fig.update_yaxes(gridcolor="#e5e5e5")
    fig.for_each_annotation(
        lambda label: label.update(font_color=THEMES["light"].mark), selector={"name": MARK_NAME}
    )
    return fig


def dashboard(
    headline: tuple[str, str, str],
    panels: Sequence[tuple[str, go.Figure]],
    subtitle: str,
) -> go.Figure:
    """The overview on one landscape page: the heatmap, trends and volume as (title, figure)
    *panels*, and the (caption, big number, interval line) *headline* top right."""
    (heat_title, heat), (trend_title, trend), (vol_title, vol) = panels
    caption, big, detail = headline
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2,
        cols=2,
        column_widths=[0.62, 0.38],
        row_heights=[0.5, 0.5],
        subplot_titles=(heat_title, "", trend_title, vol_title),
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    for trace in heat.data:
        fig.add_trace(trace, row=1, col=1)
    for trace in trend.data:
        if trace.name != MARK_NAME:  # hover markers are for screens; paper has the labels
            fig.add_trace(trace, row=2, col=1)
    _carry_marks(trend, fig, row=2, col=1)
    for trace in vol.data:
        fig.add_trace(trace.update(showlegend=False), row=2, col=2)
    fig.update_layout(barmode="stack")
    fig.add_annotation(
        text=f"<b>{big}</b>",
        x=0.84,
        y=0.86,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": 96},
    )
    fig.add_annotation(
        text=f"{caption}<br>{detail}",
        x=0.84,
        y=0.66,
        xref="paper",
        yref="paper",
        showarrow=False,
    )
    return for_print(fig, _("Feedback Wall · overview"), subtitle)


def _carry_marks(source: go.Figure, fig: go.Figure, row: int, col: int) -> None:
    """Copy *source*'s annotation marks (lines, bands, labels) onto subplot (row, col) of *fig*.

    Traces keep their panel when added to a subplot; layout shapes and labels do not,
    so they are re-pointed: the panel's date axis, and its height instead of the page's.
    """
    panel = fig.get_subplot(row, col)
    x = panel.xaxis.plotly_name.replace("axis", "")
    y = panel.yaxis.plotly_name.replace("axis", "") + " domain"
    for shape in source.layout.shapes:
        fig.add_shape({**shape.to_plotly_json(), "xref": x, "yref": y})
    for label in source.layout.annotations:
        fig.add_annotation({**label.to_plotly_json(), "xref": x, "yref": y})


def empty(message: str, scale: float = 1.0, theme: str = DEFAULT_THEME) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        font={"size": round(18 * scale), "color": THEMES[theme_of(theme)].muted},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, scale, theme)


def heatmap(
    rows: Sequence[GroupNps], scale: float = 1.0, theme: str = DEFAULT_THEME, *, wall: bool = False
) -> go.Figure:
    """NPS per brand (rows) x country (columns), every cell with its n; cells below min n grey.

    Drawn as three layers of one grid: coloured cells with black labels, coloured
    cells with white labels (whichever stands out on the cell's colour), and the
    grey cells with too few responses. Each cell's hover says its NPS, n and interval.
    On a *wall* a cell says its NPS alone (14 countries of "n=1,234" do not fit in
    text that reads from 4 m); a grey cell still says its n, in the same size.
    """
    if not rows:
        return empty(_("No responses in this window"), scale, theme)
    colours = THEMES[theme_of(theme)]
    brands = sorted({r.group["brand"] for r in rows}, reverse=True)
    countries = sorted({r.group["country"] for r in rows})
    cell = {(r.group["brand"], r.group["country"]): r.nps for r in rows}
    layers = (*CELL_TEXT, "small")
    grids: dict[str, tuple[list[list[float | None]], list[list[str]], list[list[list[str]]]]] = {
        layer: ([], [], []) for layer in layers
    }
    for brand in brands:
        for z, text, data in grids.values():
            z.append([])
            text.append([])
            data.append([])
        for country in countries:
            figures = cell.get((brand, country))
            layer = None
            if figures is not None and figures.nps is not None:
                layer = "small" if figures.too_small else cell_text(figures.nps)
            for name, (z, text, data) in grids.items():
                if name != layer or figures is None or figures.nps is None:
                    z[-1].append(None)
                    text[-1].append("")
                    data[-1].append(["", "", ""])
                    continue
                interval = to_range(figures.ci_low or 0, figures.ci_high or 0)
                n = formats.number(figures.n)
                data[-1].append([n, signed(figures.nps), interval])
                if name == "small":
                    z[-1].append(0)
                    text[-1].append(f"n={n}")
                else:
                    z[-1].append(figures.nps)
                    said = signed(figures.nps)
                    text[-1].append(said if wall else f"{said}<br>n={n}")
    size = round(15 * scale)
    common = {"x": countries, "y": brands, "xgap": 3, "ygap": 3, "showscale": False}
    traces = [
        go.Heatmap(
            _validate=CHECKED,
            z=grids[layer][0],
            text=grids[layer][1],
            customdata=grids[layer][2],
            texttemplate="%{text}",
            textfont={"size": size, "color": layer},
            colorscale=NPS_SCALE,
            zmin=NPS_RANGE[0],
            zmax=NPS_RANGE[1],
            hovertemplate="%{y} · %{x}<br>NPS %{customdata[1]} · n = %{customdata[0]}<br>"
            + _("95% CI")
            + " %{customdata[2]}<extra></extra>",
            **common,
        )
        for layer in CELL_TEXT
    ]
    traces.append(
        go.Heatmap(
            _validate=CHECKED,
            z=grids["small"][0],
            text=grids["small"][1],
            customdata=grids["small"][2],
            texttemplate="%{text}",
            textfont={"size": size if wall else round(size * 0.8), "color": colours.muted},
            colorscale=[[0, colours.small_cell], [1, colours.small_cell]],
            hovertemplate="%{y} · %{x}: "
            + _("too few responses to read")
            + " (n = %{customdata[0]})<br>NPS %{customdata[1]} · "
            + _("95% CI")
            + " %{customdata[2]}<extra></extra>",
            **common,
        )
    )
    fig = _layout(figure(traces), scale, theme)
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_yaxes(showgrid=False)
    if wall:
        # Every brand and country named, even where plotly.js would thin large labels out.
        fig.update_xaxes(dtick=1)
        fig.update_yaxes(dtick=1)
    return fig


def trends(
    long: Sequence[RollingPoint],
    short: Sequence[RollingPoint],
    scale: float = 1.0,
    theme: str = DEFAULT_THEME,
    marks: Sequence[Mark] = (),
    *,
    wall: bool = False,
) -> go.Figure:
    """Rolling NPS per brand: the *long* window's points as solid lines, the *short* one's as
    dotted ones in the same colour (on a *wall*, mark labels in the charts' text size).

    *marks* (annotations) are drawn as in Grafana: a dashed line for a day, a shaded
    band for a range, each with a marker at the top whose hover gives its text.
    """
    if not long:
        return empty(_("No history yet"), scale, theme)
    brands = sorted({p.group["brand"] for p in long})
    fig = figure()
    for i, brand in enumerate(brands):
        colour = PALETTE[i % len(PALETTE)]
        for points, dash, width, show in (
            (long, "solid", 3, True),
            (short, "dot", 1.5, False),
        ):
            mine = [p for p in points if p.group["brand"] == brand and p.nps.nps is not None]
            fig.add_trace(
                go.Scatter(
                    _validate=CHECKED,
                    x=[p.day for p in mine],
                    y=[p.nps.nps for p in mine],
                    mode="lines",
                    name=brand,
                    legendgroup=brand,
                    showlegend=show,
                    line={"color": colour, "dash": dash, "width": width * scale},
                    customdata=[
                        [formats.day_month(p.day), signed(p.nps.nps or 0), _days(p.window)]
                        for p in mine
                    ],
                    hovertemplate=f"{brand}: %{{customdata[1]}} · %{{customdata[0]}} · "
                    "%{customdata[2]}<extra></extra>",
                )
            )
    fig = _layout(fig, scale, theme)
    if wall:
        # Above the plot: below it, text this large runs into the date ticks.
        fig.update_layout(legend={"y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"})
    # Signed ticks with a real minus: plotly writes its own; the sign carries meaning.
    fig.update_yaxes(title=None, tickformat="+d")
    first, last = min(p.day for p in long), max(p.day for p in long)
    day_axis(fig)
    shown = [m for m in marks if m.ends_on >= first and m.starts_on <= last]
    annotate(fig, shown, scale, theme, span=(first, last), wall=wall)
    return fig


#: Annotation colour, and how much of its text a chart prints beside the line.
MARK_COLOUR = "#8e6bd8"
MARK_LABEL = 32
#: The name of the marks' hover trace (screens only) and of their labels.
MARK_NAME = "annotations"
#: A label's text size (px at scale 1): on desks and paper, and on a wall (the charts' own).
MARK_TEXT = 11
WALL_MARK_TEXT = 14
#: On a wall a character is about 23 px on a plot of about 1,050 (42 px text, the trends
#: at two thirds of a 1080p screen; both grow with the screen): labels are cut shorter.
WALL_MARK_CHAR_SHARE = 0.025
WALL_MARK_LABEL = 20
#: A label line's height (px at scale 1), and a label character's share of a chart's
#: width: 11 px text on a plot of 500 (the dashboard PDF's panel) to 1,100 px (a desk).
MARK_LINE = 14
MARK_CHAR_SHARE = 0.01
MARK_ROWS = 4


#: Days between ticks on a day axis: the first that gives at most DAY_TICKS ticks.
TICK_STEPS = (1, 2, 7, 14, 28, 56, 91, 182, 364)
DAY_TICKS = 8


def day_axis(fig: go.Figure) -> go.Figure:
    """Date ticks in the reader's order on a screen ("6 Sept", "6. Sept"), as plotly.js
    picks them for the range in view, so they follow a zoom.

    The month names come from the page's locale (assets/locale.js); a file drawn by
    kaleido knows none, so :func:`print_day_ticks` replaces these for exports.
    """
    format_of = formats.d3_day_formats()
    return fig.update_xaxes(
        tickformatstops=[
            {"dtickrange": [None, "M1"], "value": format_of["day"]},
            {"dtickrange": ["M1", "M12"], "value": format_of["month"]},
            {"dtickrange": ["M12", None], "value": "%Y"},
        ]
    )


def print_day_ticks(fig: go.Figure) -> go.Figure:
    """A copy of *fig* (a figure about to become a file) whose date axes have their ticks
    written out by :func:`day_ticks`, from the days its traces span on each axis."""
    fig = go.Figure(fig)
    spans: dict[str, list[dt.date]] = {}
    for trace in fig.data:
        days = [x for x in (getattr(trace, "x", None) or ()) if isinstance(x, dt.date)]
        if days and trace.type in ("scatter", "bar"):
            axis = "xaxis" + (trace.xaxis or "x")[1:]
            spans.setdefault(axis, []).extend(
                d.date() if isinstance(d, dt.datetime) else d for d in days
            )
    for axis, days in spans.items():
        values, text = day_ticks(min(days), max(days))
        fig.update_layout({axis: {"tickmode": "array", "tickvals": values, "ticktext": text}})
    return fig


def day_ticks(first: dt.date, last: dt.date) -> tuple[list[dt.date], list[str]]:
    """Ticks for a day axis first..last, and their labels in the reader's language:
    "6 Sept", "6. Sept." (pure).

    For files: plotly.js in kaleido names and orders dates in English only. Weekly
    steps start on a Monday; a tick's year shows under the first tick and where the
    year changes. (Fixed ticks do not follow a zoom: screens use :func:`day_axis`.)
    """
    span = (last - first).days
    step = next((s for s in TICK_STEPS if span / s <= DAY_TICKS), TICK_STEPS[-1])
    day = first if step < 7 else first + dt.timedelta(days=-first.weekday() % 7)
    ticks: list[dt.date] = []
    while day <= last:
        ticks.append(day)
        day += dt.timedelta(days=step)
    text = [
        formats.day_month(d) + (f"<br>{d.year}" if i == 0 or d.year != ticks[i - 1].year else "")
        for i, d in enumerate(ticks)
    ]
    return ticks, text


def _label_rows(
    marks: Sequence[Mark],
    span: tuple[dt.date, dt.date] | None,
    char_share: float = MARK_CHAR_SHARE,
    longest: int = MARK_LABEL,
) -> dict[int, int]:
    """The line (0 = top) of each mark's label: the first whose previous label ends before it.

    *char_share* is a label character's width as a share of the plot's; labels are
    cut to *longest* characters.
    """
    first = span[0] if span else min(m.starts_on for m in marks)
    last = span[1] if span else max(m.ends_on for m in marks)
    days = max(1, (last - first).days)
    ends: list[float] = []
    rows: dict[int, int] = {}
    for mark in sorted(marks, key=lambda m: (m.starts_on, m.id)):
        at = (mark.starts_on - first).days / days
        row = next((i for i, end in enumerate(ends) if end <= at), len(ends))
        if row == len(ends) and row < MARK_ROWS:
            ends.append(0.0)
        elif row == len(ends):  # every line taken: the one free soonest
            row = min(range(MARK_ROWS), key=ends.__getitem__)
        width = min(len(safe_text(mark.text)), longest) * char_share
        ends[row] = max(ends[row], at + width)
        rows[mark.id] = row
    return rows


def annotate(
    fig: go.Figure,
    marks: Sequence[Mark],
    scale: float = 1.0,
    theme: str = DEFAULT_THEME,
    span: tuple[dt.date, dt.date] | None = None,
    *,
    wall: bool = False,
) -> go.Figure:
    """Draw *marks* on a date-axis *fig*: lines or bands, hover markers, short labels.

    *span* is the axis's first and last day (default: the marks'); labels of marks
    close together on it go on lines below each other instead of over each other.
    On a *wall* labels are in the chart's own text size (read from 4 m), not smaller.
    """
    if not marks:
        return fig
    text_px = WALL_MARK_TEXT if wall else MARK_TEXT
    longest = WALL_MARK_LABEL if wall else MARK_LABEL
    rows = _label_rows(marks, span, WALL_MARK_CHAR_SHARE if wall else MARK_CHAR_SHARE, longest)
    for mark in marks:
        if mark.starts_on == mark.ends_on:
            fig.add_shape(
                type="line",
                x0=mark.starts_on,
                x1=mark.starts_on,
                y0=0,
                y1=1,
                yref="paper",
                line={"color": MARK_COLOUR, "width": 1.5 * scale, "dash": "dash"},
                layer="below",
            )
        else:
            fig.add_shape(
                type="rect",
                x0=mark.starts_on,
                x1=mark.ends_on,
                y0=0,
                y1=1,
                yref="paper",
                fillcolor=MARK_COLOUR,
                opacity=0.12,
                line={"width": 0},
                layer="below",
            )
        # Plotly reads <b>, <br> and the like in text: typed markup is shown, not applied.
        plain = safe_text(mark.text)
        plain = plain if len(plain) <= longest else plain[: longest - 1] + "…"
        short = html.escape(plain, quote=False)
        fig.add_annotation(
            x=mark.starts_on,
            y=1,
            yref="paper",
            yshift=-rows[mark.id] * MARK_LINE * scale * text_px / MARK_TEXT,
            text=short,
            name=MARK_NAME,
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": text_px * scale, "color": THEMES[theme_of(theme)].mark},
        )
    when = [
        m.starts_on.isoformat()
        if m.starts_on == m.ends_on
        else f"{m.starts_on.isoformat()} – {m.ends_on.isoformat()}"
        for m in marks
    ]
    # The hover: one marker per annotation on a hidden axis at the top of the plot.
    fig.add_trace(
        go.Scatter(
            _validate=CHECKED,
            x=[m.starts_on for m in marks],
            y=[1.0] * len(marks),
            yaxis="y2",
            mode="markers",
            marker={"symbol": "triangle-down", "size": 12 * scale, "color": MARK_COLOUR},
            hovertext=[
                "<br>".join(
                    (
                        w,
                        html.escape(safe_text(m.text), quote=False),
                        f"({html.escape(m.scope_words)})",
                    )
                )
                for w, m in zip(when, marks, strict=True)
            ],
            hoverinfo="text",
            showlegend=False,
            name=MARK_NAME,
        )
    )
    fig.update_layout(
        yaxis2={"overlaying": "y", "range": [0, 1.02], "visible": False, "fixedrange": True}
    )
    return fig


def volume(
    days: Sequence[tuple[dt.date, Counts]], scale: float = 1.0, theme: str = DEFAULT_THEME
) -> go.Figure:
    """Responses per local day, stacked by promoters, passives and detractors (each named)."""
    if not any(sum(c) for _day, c in days):
        return empty(_("No responses yet"), scale, theme)
    x = [day for day, _counts in days]
    fig = figure()
    names = (_("Promoters"), _("Passives"), _("Detractors"))
    for index, (name, colour) in enumerate(zip(names, CLASS_COLOURS, strict=True)):
        fig.add_trace(
            go.Bar(
                _validate=CHECKED,
                x=x,
                y=[c[index] for _day, c in days],
                name=name,
                marker={"color": colour},
                customdata=[formats.date(day) for day, _counts in days],
                hovertemplate=f"{name}: %{{y:,}} · %{{customdata}}<extra></extra>",
            )
        )
    fig = _layout(fig, scale, theme)
    fig.update_layout(barmode="stack", bargap=0.15)
    return day_axis(fig)


def label_treemap(stats: Sequence[LabelStat], scale: float = 1.0) -> go.Figure:
    """Labels as nested tiles: area = comments carrying the label, colour = their NPS.

    Each tile's ``customdata`` holds the label id, so a click can open its comments.
    """
    shown = [s for s in stats if s.volume]
    if not shown:
        return empty(_("No labelled comments in this period yet."), scale)
    ids = {s.label for s in shown}
    fig = figure(
        go.Treemap(
            _validate=CHECKED,
            ids=[s.label for s in shown],
            labels=[s.name for s in shown],
            parents=[
                parent if (parent := s.label.rpartition("/")[0]) in ids else "" for s in shown
            ],
            values=[s.volume for s in shown],
            branchvalues="total",
            customdata=[s.label for s in shown],
            marker={
                "colors": [s.nps.nps if s.nps.nps is not None else 0 for s in shown],
                "colorscale": NPS_SCALE,
                "cmin": NPS_RANGE[0],
                "cmax": NPS_RANGE[1],
                "colorbar": {"title": {"text": "NPS"}, "thickness": round(12 * scale)},
            },
            text=[
                f"NPS {signed(s.nps.nps or 0)} · {formats.percent(s.share)}"
                + (" *" if s.nps.too_small else "")
                for s in shown
            ],
            texttemplate="<b>%{label}</b><br>%{text}<br>n\u00a0=\u00a0%{value:,}",
            hovertemplate="%{label}<br>%{text}<br>n\u00a0=\u00a0%{value:,}<extra></extra>",
            tiling={"pad": 2},
            pathbar={"visible": False},
            maxdepth=2,
        )
    )
    return _layout(fig, scale)
