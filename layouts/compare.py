"""Compare: two brands, countries or touchpoints side by side, or this period against the last.

``/compare?by=brand&a=Velora&b=Nordhem&window=30``; with ``b`` empty, ``a``'s
last window is compared with the window before it. The verdict uses the NPS
engine's difference test, so "different" means more than noise.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access.users import Role
from dashapp.figures.comparison import DIMENSIONS as COMPARABLE
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.metrics.windows import COMPARE_DAYS, MAIN_DAYS
from layouts.controls import dropdown, graph
from layouts.ids import Compare
from layouts.nav import navbar
from layouts.panels import GRAPH_CONFIG

#: The dimensions' names as people read them (the values stay the URL's).
DIMENSION_NAMES = {"brand": N_("Brand"), "country": N_("Country"), "touchpoint": N_("Touchpoint")}


def _dimensions() -> list[dict[str, str]]:
    return [{"label": _(DIMENSION_NAMES.get(d, d)), "value": d} for d in COMPARABLE]


def _windows() -> list[dict[str, str]]:
    return [{"label": _("%(days)s days", days=d), "value": str(d)} for d in COMPARE_DAYS]


def layout(
    by: str = "brand", a: str = "", b: str = "", window: str = str(MAIN_DAYS), **_query: str
) -> html.Div:
    """The comparison page; controls start from the URL."""
    by = by if by in COMPARABLE else "brand"
    # The store's values arrive through a callback: layouts hold no queries.
    options = [v for v in (a, b) if v]
    return html.Div(
        [
            navbar(),
            dcc.Location(id=Compare.URL, refresh="callback-nav"),
            dbc.Row(
                [
                    dbc.Col(
                        dropdown(
                            id=Compare.DIMENSION, options=_dimensions(), value=by, clearable=False
                        ),
                        md=2,
                    ),
                    dbc.Col(
                        dropdown(id=Compare.A, options=options, value=a or None, placeholder="A"),
                        md=3,
                    ),
                    dbc.Col(
                        html.Div(_("against"), className="text-muted text-center"), width="auto"
                    ),
                    dbc.Col(
                        dropdown(
                            id=Compare.B,
                            options=options,
                            value=b or None,
                            placeholder=_("B (empty: A's previous period)"),
                        ),
                        md=3,
                    ),
                    dbc.Col(
                        dropdown(
                            id=Compare.WINDOW, options=_windows(), value=window, clearable=False
                        ),
                        md=2,
                    ),
                ],
                className="g-2 align-items-center mb-3",
            ),
            html.Div(id=Compare.RESULT, className="mb-3"),
            dbc.Card(
                dbc.CardBody(graph(Compare.TRENDS, GRAPH_CONFIG, style={"height": "360px"})),
                className="fw-card",
            ),
            html.Div(id=Compare.EXPORTS, className="mt-2"),
        ],
        className="fw-page",
    )


def register() -> None:
    """Register this page with Dash Pages."""
    dash.register_page(
        __name__,
        path="/compare",
        name=N_("Compare"),
        title=lambda **_path: _("Compare") + " · Feedback Wall",
        order=4,
        layout=layout,
        role=Role.analyst,
    )
