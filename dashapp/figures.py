"""Plotly figures for the wall, built from the NPS engine's results (pure functions).

SVG traces only (no WebGL: plotly.js #6365 leaks contexts on long-running
screens); font sizes scale with the screen so 4K walls stay legible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import plotly.graph_objects as go

from dashapp.engine import GroupNps, RollingPoint
from dashapp.label_stats import LabelStat
from dashapp.queries import Counts

TEXT = "#e9ecef"
MUTED = "#8d96a0"
GRID = "rgba(255,255,255,0.08)"
#: Red through amber to green over the NPS range walls actually see.
NPS_SCALE = [
    [0.0, "#c0392b"],
    [0.35, "#e67e22"],
    [0.55, "#f1c40f"],
    [0.75, "#7dbb42"],
    [1.0, "#1e9e58"],
]
NPS_RANGE = (-40, 80)
PALETTE = ("#4cc9f0", "#f72585", "#ffd166", "#06d6a0", "#b388ff", "#ff8c42", "#90be6d")
_AXIS = {
    "gridcolor": GRID,
    "linecolor": "#506784",
    "ticks": "",
    "zeroline": False,
    "zerolinecolor": "#283442",
    "title": {"standoff": 15},
    "automargin": True,
}
#: The parts of plotly_dark these charts use, made once. Naming the whole
#: template cost more than building the chart itself (it is validated and copied
#: per figure) and sent 7 KB more with every figure to every screen.
WALL_TEMPLATE = go.layout.Template(
    layout={
        "colorway": PALETTE,
        "font": {"color": TEXT},
        "hovermode": "closest",
        "hoverlabel": {"align": "left"},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "coloraxis": {"colorbar": {"outlinewidth": 0, "ticks": ""}},
        "annotationdefaults": {"arrowcolor": TEXT, "arrowhead": 0, "arrowwidth": 1},
    }
)


def style(fig: go.Figure, scale: float = 1.0) -> go.Figure:
    """*fig* in the wall's dark style."""
    return _layout(fig, scale)


def signed(value: float) -> str:
    """An NPS as published on the wall: whole points with a sign, and never "-0"."""
    whole = round(value)
    return f"{whole:+d}" if whole else "0"


def _layout(fig: go.Figure, scale: float) -> go.Figure:
    size = round(14 * scale)
    fig.update_layout(
        template=WALL_TEMPLATE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": TEXT, "size": size},
        margin={
            "l": round(10 * scale),
            "r": round(10 * scale),
            "t": round(8 * scale),
            "b": round(10 * scale),
        },
        legend={"orientation": "h", "y": -0.15, "font": {"size": size}},
        autosize=True,
        uirevision="static",
    )
    return fig


def for_print(fig: go.Figure, title: str, subtitle: str) -> go.Figure:
    """*fig* restyled for slides and reports: white background, dark text, a title line."""
    fig.update_layout(
        template="plotly_white",
        paper_bgcolor="white",
        plot_bgcolor="white",
        font={"color": "#212529", "size": 14},
        title={"text": f"{title}<br><sup>{subtitle}</sup>", "x": 0.01},
        margin={"t": 90, "l": 60, "r": 30, "b": 60},
    )
    fig.update_xaxes(gridcolor="#e5e5e5")
    fig.update_yaxes(gridcolor="#e5e5e5")
    return fig


def dashboard(
    big: str, detail: str, heat: go.Figure, trend: go.Figure, vol: go.Figure, subtitle: str
) -> go.Figure:
    """The overview on one landscape page: the big number, heatmap, trends and volume."""
    from plotly.subplots import make_subplots

    fig = make_subplots(
        rows=2,
        cols=2,
        column_widths=[0.62, 0.38],
        row_heights=[0.5, 0.5],
        subplot_titles=(
            "NPS by brand and country, 30 days",
            "",
            "Rolling 30-day NPS by brand",
            "Responses per day",
        ),
        vertical_spacing=0.14,
        horizontal_spacing=0.08,
    )
    for trace in heat.data:
        fig.add_trace(trace, row=1, col=1)
    for trace in trend.data:
        fig.add_trace(trace, row=2, col=1)
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
        text=f"NPS, last 30 days<br>{detail}",
        x=0.84,
        y=0.66,
        xref="paper",
        yref="paper",
        showarrow=False,
    )
    return for_print(fig, "Feedback Wall · overview", subtitle)


def empty(message: str, scale: float = 1.0) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, font={"size": round(18 * scale), "color": MUTED}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, scale)


def heatmap(rows: Sequence[GroupNps], scale: float = 1.0) -> go.Figure:
    """NPS per brand (rows) x country (columns); cells below min n are grey with their n."""
    if not rows:
        return empty("No responses in the last 30 days", scale)
    brands = sorted({r.group["brand"] for r in rows}, reverse=True)
    countries = sorted({r.group["country"] for r in rows})
    cell = {(r.group["brand"], r.group["country"]): r.nps for r in rows}
    z, small, text = [], [], []
    for brand in brands:
        z_row, s_row, t_row = [], [], []
        for country in countries:
            n = cell.get((brand, country))
            if n is None:
                value, grey, label = None, None, ""
            elif n.too_small:
                value, grey, label = None, 0, f"n={n.n}"
            else:
                value, grey, label = n.nps, None, signed(n.nps)
            z_row.append(value)
            s_row.append(grey)
            t_row.append(label)
        z.append(z_row)
        small.append(s_row)
        text.append(t_row)
    size = round(15 * scale)
    fig = go.Figure(
        [
            go.Heatmap(
                z=z,
                x=countries,
                y=brands,
                text=text,
                texttemplate="%{text}",
                textfont={"size": size, "color": "#111"},
                colorscale=NPS_SCALE,
                zmin=NPS_RANGE[0],
                zmax=NPS_RANGE[1],
                xgap=3,
                ygap=3,
                showscale=False,
                hovertemplate="%{y} · %{x}: NPS %{z:.0f}<extra></extra>",
            ),
            go.Heatmap(
                z=small,
                x=countries,
                y=brands,
                text=text,
                texttemplate="%{text}",
                textfont={"size": round(size * 0.8), "color": MUTED},
                colorscale=[[0, "#2b2f33"], [1, "#2b2f33"]],
                xgap=3,
                ygap=3,
                showscale=False,
                hovertemplate="%{y} · %{x}: too few responses (%{text})<extra></extra>",
            ),
        ]
    )
    fig = _layout(fig, scale)
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_yaxes(showgrid=False)
    return fig


def trends(
    points_30: Sequence[RollingPoint], points_7: Sequence[RollingPoint], scale: float = 1.0
) -> go.Figure:
    """Rolling 30-day NPS per brand as solid lines, 7-day as dotted ones in the same colour."""
    if not points_30:
        return empty("No history yet", scale)
    brands = sorted({p.group["brand"] for p in points_30})
    fig = go.Figure()
    for i, brand in enumerate(brands):
        colour = PALETTE[i % len(PALETTE)]
        for points, dash, width, show in (
            (points_30, "solid", 3, True),
            (points_7, "dot", 1.5, False),
        ):
            mine = [p for p in points if p.group["brand"] == brand and p.nps.nps is not None]
            fig.add_scatter(
                x=[p.day for p in mine],
                y=[p.nps.nps for p in mine],
                mode="lines",
                name=brand,
                legendgroup=brand,
                showlegend=show,
                line={"color": colour, "dash": dash, "width": width * scale},
                hovertemplate=f"{brand}: %{{y:.0f}} on %{{x|%d %b}}<extra></extra>",
            )
    fig = _layout(fig, scale)
    fig.update_yaxes(title=None, tickformat="+d")
    return fig


def volume(days: Sequence[tuple[dt.date, Counts]], scale: float = 1.0) -> go.Figure:
    """Responses per UTC day, stacked by promoters, passives and detractors."""
    if not any(sum(c) for _, c in days):
        return empty("No responses yet", scale)
    x = [day for day, _ in days]
    fig = go.Figure()
    for index, (name, colour) in enumerate(
        (("Promoters", "#1e9e58"), ("Passives", "#f1c40f"), ("Detractors", "#c0392b"))
    ):
        fig.add_bar(x=x, y=[c[index] for _, c in days], name=name, marker_color=colour)
    fig = _layout(fig, scale)
    fig.update_layout(barmode="stack", bargap=0.15)
    return fig


def label_treemap(stats: Sequence[LabelStat], scale: float = 1.0) -> go.Figure:
    """Labels as nested tiles: area = comments carrying the label, colour = their NPS.

    Each tile's ``customdata`` holds the label id, so a click can open its comments.
    """
    shown = [s for s in stats if s.volume]
    if not shown:
        return empty("No labelled comments in this period yet.", scale)
    ids = {s.label for s in shown}
    fig = go.Figure(
        go.Treemap(
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
                f"NPS {signed(s.nps.nps or 0)} · {100 * s.share:.0f}%"
                + (" *" if s.nps.too_small else "")
                for s in shown
            ],
            texttemplate="<b>%{label}</b><br>%{text}<br>n = %{value:,}",
            hovertemplate="%{label}<br>%{text}<br>n = %{value:,}<extra></extra>",
            tiling={"pad": 2},
            pathbar={"visible": False},
            maxdepth=2,
        )
    )
    return _layout(fig, scale)
