"""Clientside callbacks: "updated" stamp, screen scale, polls of shown panels, kiosk rotation."""

from __future__ import annotations

from dash import ALL, ClientsideFunction, Dash, Input, Output, State

from layouts.ids import Kiosk, Panels, Shell
from layouts.panels import PANELS


def register(app: Dash) -> None:
    """Wire the browser-side functions of assets/wall.js and assets/kiosk.js."""
    app.clientside_callback(
        ClientsideFunction(namespace="wall", function_name="updated"),
        Output(Shell.UPDATED, "children"),
        Input(Shell.STAMP, "data"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="wall", function_name="scale"),
        Output(Shell.SCALE, "data"),
        Input(Shell.URL, "pathname"),
    )
    for panel in PANELS:
        if panel.gated:
            app.clientside_callback(
                ClientsideFunction(namespace="wall", function_name="poll"),
                Output(Panels.poll(panel.name), "data"),
                Input(Panels.tick(panel.name), "n_intervals"),
            )
    app.clientside_callback(
        ClientsideFunction(namespace="kiosk", function_name="rotate"),
        Output(Kiosk.page(ALL), "style"),
        Output(Kiosk.PROGRESS, "style"),
        Output(Kiosk.ROOT, "className"),
        Input(Kiosk.CLOCK, "n_intervals"),
        State(Kiosk.CONFIG, "data"),
        State(Kiosk.ALERTS, "data"),
    )
