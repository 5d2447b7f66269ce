"""The load test's app: the real app, plus one callback that returns a constant (the floor).

The floor callback is registered as the wall's panels are: under the viewer
role, so every request passes the same access gate, and shared, so its answer
goes through the same answer cache (Redis under gunicorn). The load test
sends it from every screen in between the real polls, to the same workers at
the same time: its latency is what the gate, the cache, gunicorn, Flask and
Dash cost under that very load before any feedback is read.

    gunicorn benchmarks.floor_app:server -w 4 --threads 12
"""

from __future__ import annotations

from dash import Input, Output

from benchmarks.load_test import FLOOR_OUT, FLOOR_TICK
from dashapp import create_app
from dashapp.access.gate import register_callbacks
from dashapp.access.users import Role
from dashapp.web import answer_cache

app = create_app()


def _register() -> None:
    @app.callback(Output(FLOOR_OUT, "children"), Input(FLOOR_TICK, "n_intervals"))
    def constant(_tick: int | None) -> str:
        """Always the same answer."""
        return "constant"


answer_cache.share(app.server, register_callbacks(app, Role.viewer, _register))
server = app.server
