"""Drill-down views at 10M: every query the explore view runs, cold, for offices' selections.

The explore view (``callbacks/explore.py:show``) runs, per URL: the
selection's NPS, its breakdown one level down, its label figures against the
period before, one page of responses and their labels. Every push changes the
data version, so under load each view is built afresh: this times that cold
build, query by query, for ``--views`` selections drawn as the load test's
analysts draw them (:func:`benchmarks.offices.drilldown_search`; brand by
share, often a country, some labels and score orders, periods from yesterday
to a quarter months back). Medians and p95 per part and per view.

    python -m benchmarks.drilldown_views --schema fw_lh --views 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from flask_caching import Cache
from sqlalchemy import func, select

from benchmarks import offices
from benchmarks.common import require, save, store_url
from benchmarks.load_test import PG, SCHEMA
from dashapp.figures.nps_engine import NpsEngine
from dashapp.metrics.params import parse_selection
from dashapp.metrics.queries import Selection
from dashapp.store import db
from dashapp.store.models import Response

PAGE = 50
LEVELS = ("brand", "country", "touchpoint")


def next_level(selection: Selection) -> str:
    """As ``callbacks/explore.py:next_level``."""
    for level in LEVELS:
        if len(getattr(selection.filters, level)) != 1:
            return level
    return "touchpoint"


def view(engine: NpsEngine, search: str, timings: dict[str, list[float]]) -> dict[str, Any]:
    """Every figure the drill-down view shows for *search*, each part timed into *timings*."""
    params = dict(parse_qsl(search.lstrip("?")))

    def part(name: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = call()
        timings[name].append(time.perf_counter() - started)
        return value

    selection = parse_selection(params)
    filters, _ = engine.resolve(selection.filters)
    selection = replace(selection, filters=filters)
    end = selection.end or dt.datetime.now(dt.UTC)
    start = selection.start or end - dt.timedelta(days=30)
    total = part("selection NPS", lambda: engine.selection_nps(selection))
    level = next_level(selection)
    breakdown = part("breakdown", lambda: engine.selection_nps(selection, (level,)))
    labels = part("label figures", lambda: engine.labels_between(start, end, filters=filters))
    page = part("responses page", lambda: engine.responses(selection, limit=PAGE))
    chips = part("their labels", lambda: engine.response_labels([r.id for r in page]))
    return {"total": total, "breakdown": breakdown, "labels": labels, "page": page, "chips": chips}


def figures(values: list[float]) -> dict[str, float]:
    """Median, p95 and max in ms."""
    ordered = sorted(values)
    return {
        "median_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "max_ms": round(1000 * ordered[-1], 1),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=PG)
    parser.add_argument("--schema", default=SCHEMA)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sessions = db.make_sessionmaker(db.make_engine(store_url(args.url, args.schema)))
    # No cache: every view built as after a push (the data version changed).
    null = Cache(Flask(__name__), config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})
    engine = NpsEngine(sessions, null)
    with sessions() as session:
        newest = session.scalar(select(func.max(Response.submitted_at)))
    require(newest is not None, "empty store")
    assert newest is not None
    rng = random.Random(args.seed)
    timings: dict[str, list[float]] = defaultdict(list)
    slowest: list[tuple[float, str]] = []
    view(engine, offices.drilldown_search(rng, newest.date()), defaultdict(list))  # warm-up
    for _ in range(args.views):
        search = offices.drilldown_search(rng, newest.date())
        started = time.perf_counter()
        view(engine, search, timings)
        took = time.perf_counter() - started
        timings["whole view"].append(took)
        slowest.append((took, search))
    slowest.sort(reverse=True)
    result = {
        "schema": args.schema,
        "views": args.views,
        "parts": {name: figures(v) for name, v in timings.items()},
        "slowest": [{"ms": round(1000 * t, 1), "search": s} for t, s in slowest[:10]],
    }
    for name, fig in result["parts"].items():
        print(f"{name:16} {fig}")
    for row in result["slowest"]:
        print(row)
    save("drilldown_views", result)


if __name__ == "__main__":
    main()
