"""Wall panel builds at 10M: what one new data version costs each wall, cold.

Every wall panel is built once per data version (the feed) or once a minute (the
figures: they settle, ``callbacks/wall.py:FIGURES_SETTLE``), and shared by the
screens of a wall. This times each build cold (the cache emptied before each,
as after a push), for the offices' walls (:func:`benchmarks.offices.filter_sets`)
on the load test's store, and the constant floor in the same run: one callback
through the gate, the answer cache and Dash's dispatch, in process.

    python -m benchmarks.load_test build --rows 10000000   # the store, once
    python -m benchmarks.panel_builds --walls 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from benchmarks import offices
from benchmarks.common import require, save, store_url
from benchmarks.load_test import FLOOR_OUT, FLOOR_TICK, PG, SCHEMA


def figures(values: list[float]) -> dict[str, float]:
    """Median and p95 in ms."""
    ordered = sorted(values)
    return {
        "median_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "n": len(ordered),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG)
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--floor", type=int, default=500, help="floor requests to time")
    args = parser.parse_args()
    os.environ["FEEDBACKWALL_DATABASE_URL"] = store_url(args.url, args.schema)
    os.environ["FEEDBACKWALL_CACHE_URL"] = "simple"

    # The floor app: the real app plus the constant callback (imported with the settings above).
    from benchmarks.floor_app import app
    from callbacks import wall
    from callbacks.components import filters_of
    from dashapp.access import tokens as access_tokens
    from dashapp.access.gate import DISPLAY_COOKIE
    from dashapp.services import services_of

    server = app.server
    svc = services_of(server)
    with svc.sessions.begin() as session:
        display = access_tokens.issue_display(session, f"panel-builds-{uuid.uuid4().hex[:8]}")
    walls = offices.filter_sets()[: args.walls]
    timings: dict[str, list[float]] = {"overview": [], "feed": [], "labels": [], "alert": []}
    with server.test_request_context("/kiosk"):
        require(bool(svc.nps.dimensions()["brand"]), "the load store is empty: build it first")
        for rep in range(2):  # the first round warms imports and connections
            for chosen in walls:
                data = {
                    k: v for k, v in (("brand", chosen.brand), ("country", chosen.country)) if v
                }
                filters = filters_of(data, svc.nps)
                builds: dict[str, Callable[[], Any]] = {
                    "overview": partial(wall.overview_panel, svc, filters, 2.0, "dark", True),
                    "feed": partial(wall.feed_panel, svc, filters),
                    "labels": partial(wall.label_tiles, svc, filters),
                    "alert": partial(wall.alert_cards, svc, filters),
                }
                for name, build in builds.items():
                    svc.cache.clear()
                    started = time.perf_counter()
                    build()
                    if rep:
                        timings[name].append(time.perf_counter() - started)
    client = server.test_client()
    client.set_cookie(DISPLAY_COOKIE, display, domain="localhost")
    floor: list[float] = []
    for i in range(args.floor + 20):
        body = {
            "output": f"{FLOOR_OUT}.children",
            "outputs": {"id": FLOOR_OUT, "property": "children"},
            "inputs": [{"id": FLOOR_TICK, "property": "n_intervals", "value": i}],
            "changedPropIds": [f"{FLOOR_TICK}.n_intervals"],
        }
        started = time.perf_counter()
        answer = client.post("/_dash-update-component", json=body)
        if i >= 20:
            floor.append(time.perf_counter() - started)
        require(answer.status_code == 200, f"floor: {answer.status_code}")
    result = {
        "schema": args.schema,
        "walls": len(walls),
        "builds": {name: figures(v) for name, v in timings.items()},
        "floor": figures(floor),
    }
    for name, fig in result["builds"].items():
        print(f"{name:9} {fig}")
    print(f"{'floor':9} {result['floor']}")
    save("panel_builds", result)


if __name__ == "__main__":
    main()
