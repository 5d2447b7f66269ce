"""Overview callbacks: NPS and volume from the cached NPS engine."""

from __future__ import annotations

import datetime as dt

from dash import Dash, Input, Output

from dashapp.services import Services
from layouts.ids import Overview, Shell


def register(app: Dash, services: Services) -> None:
    """Fill the overview on every poll tick."""

    @app.callback(
        Output(Overview.NPS, "children"),
        Output(Overview.NPS_DETAIL, "children"),
        Output(Overview.VOLUME, "children"),
        Output(Shell.UPDATED, "children"),
        Input(Shell.TICK, "n_intervals"),
    )
    def refresh(_tick: int | None) -> tuple[str, str, str, str]:
        figure = services.nps.total(window=30)
        stamp = f"updated {dt.datetime.now().astimezone().strftime('%H:%M:%S')}"
        if figure.nps is None:
            return "–", "no responses yet", "0", stamp
        detail = f"95% CI {figure.ci_low:.0f} to {figure.ci_high:.0f} · n = {figure.n:,}"
        return f"{figure.nps:.0f}", detail, f"{figure.n:,}", stamp
