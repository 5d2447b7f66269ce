"""The load test's floor: a Dash app whose one callback returns a constant.

The load test sends its screens' and analysts' requests here too (every
callback request goes to this callback, every heartbeat to a constant
``/api/v1/version``), so that its latencies give what gunicorn, Flask and
Dash cost on this machine before any feedback is read.

    gunicorn benchmarks.floor_app:server -w 4 --threads 4
"""

from __future__ import annotations

from dash import Dash, Input, Output, dcc, html

app = Dash(__name__)
app.layout = html.Div([dcc.Interval(id="tick"), html.Div(id="out")])


@app.callback(Output("out", "children"), Input("tick", "n_intervals"))
def constant(_tick: int | None) -> str:
    """Always the same answer."""
    return "constant"


server = app.server


@server.get("/api/v1/version")
def version() -> dict[str, str]:
    """Always the same answer, standing in for the wall's heartbeat."""
    return {"version": "floor"}
