"""Charts built without plotly's checks are the charts built with them (charts.CHECKED).

Plotly validates and deep-copies every property it is given; the charts here are built
from figures the app computes, so the wall skips that (most of a panel's build). This
holds the shortcut to its promise: every chart the app draws, from a store with data in
it, with and without the checks, must encode to the same JSON (what the browser and
kaleido receive). A chart that passes something plotly would refuse or reshape fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest

from dashapp import create_app
from dashapp.config import Settings
from dashapp.figures import charts, comparison, overview
from dashapp.ingest.pipeline import ingest
from dashapp.metrics.annotations import Mark
from dashapp.metrics.nps import compute
from dashapp.metrics.queries import Filters
from dashapp.services import services_of
from dashapp.store import db
from tests.factories import located, random_records

END = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _every_chart() -> dict[str, Callable[[], go.Figure]]:
    """Each chart the app draws, by a name to report it under."""
    from callbacks.explore import trend_figure

    svc = services_of()
    engine = svc.nps
    built: dict[str, Callable[[], go.Figure]] = {}
    for name in overview.TITLES:
        for wall in (False, True):
            for theme in ("dark", "light"):
                built[f"{name} wall={wall} {theme}"] = partial(
                    overview.chart, engine, name, Filters(), None, 1.5, theme, wall=wall
                )
    built["heatmap one brand"] = lambda: overview.chart(engine, "heatmap", Filters(brand=("B1",)))
    built["labels treemap"] = lambda: charts.label_treemap(engine.labels())
    built["empty"] = lambda: charts.empty("nothing", 2.0, "light")
    ask = comparison.Ask("brand", "B1", "B2", 30)
    built["compare trends"] = lambda: comparison.trends_figure(comparison.build(engine, ask))
    built["explore trend"] = lambda: trend_figure(svc, {"brand": "B1"})
    day = END.date() - dt.timedelta(days=20)
    points = [
        charts.RollingPoint({"brand": "B1"}, day + dt.timedelta(days=i), 30, compute(50, 30, i))
        for i in range(20)
    ]
    marks = [
        Mark(1, day + dt.timedelta(days=3), day + dt.timedelta(days=3), "Price change <b>x</b>"),
        Mark(2, day + dt.timedelta(days=5), day + dt.timedelta(days=9), "Carrier strike " * 4),
    ]
    for wall in (False, True):
        built[f"trends with marks wall={wall}"] = partial(
            charts.trends, points, points, 2.0, "dark", marks, wall=wall
        )
    # As exports make them: restyled for print, then the day ticks written out.
    built["printed heatmap"] = lambda: charts.for_print(
        overview.chart(engine, "heatmap", Filters()), "Title", "sub"
    )
    built["printed, ticks after"] = lambda: charts.print_day_ticks(
        charts.for_print(charts.trends(points, points, marks=marks), "Title", "sub")
    )
    built["printed trends"] = lambda: charts.for_print(
        charts.print_day_ticks(charts.trends(points, points, marks=marks)), "Title", "sub"
    )
    built["dashboard"] = lambda: charts.dashboard(
        ("caption", "+12", "n = 100"),
        [(t, overview.chart(engine, n, Filters())) for n, t in overview.TITLES.items()],
        "subtitle",
    )
    return built


def _encoded(fig: go.Figure) -> Any:
    return json.loads(fig.to_json())


@pytest.fixture
def wall(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    db.upgrade(url)
    app = create_app(Settings.load(database_url=url, cache_url="simple", config=None))
    records = list(random_records(3000, end=END, days=120))
    for i, r in enumerate(records):
        r["brand"] = ("B1", "B2", "B3")[i % 3]
        if r["comment"]:
            r["comment"] = ("Lieferung zu spät", "Tolle Qualität", "zu teuer")[i % 3]
    ingest(services_of(app.server).sessions, "s", located(records))
    return app


def test_charts001_unchecked_charts_encode_as_checked_ones(
    wall: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wall.server.test_request_context("/"):
        builders = _every_chart()
        unchecked = {name: _encoded(build()) for name, build in builders.items()}
        monkeypatch.setattr(charts, "CHECKED", True)
        checked = {name: _encoded(build()) for name, build in builders.items()}
    for name in builders:
        assert unchecked[name] == checked[name], name
    # The store's data reached the charts (an empty chart proves nothing).
    assert any(t.get("type") == "heatmap" for t in unchecked["heatmap wall=False dark"]["data"])
    assert len(unchecked["trends wall=False dark"]["data"]) >= 3
