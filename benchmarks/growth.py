"""Growth: overview and drill-down query times at 100,000, 1,000,000 and 10,000,000 responses.

For each size, a SQLite store (or, with ``--url``, a PostgreSQL schema) is
built as ``benchmarks.query_speed`` builds it (responses over 120 days,
rollups by INSERT ... SELECT), then timed, as medians
of ``--samples``, with an empty cache each time (what a screen pays once per
data change):

- overview: NPS per brand x country over 30 days (``NpsEngine.nps_by``), the
  rolling 30-day series per brand over 90 days, and the 30-day total;
- drill-down: the first page of 50 responses of one brand and country over 30
  days, newest first, and the page in the middle of the same list (keyset, so
  it should cost what page 1 costs), and the same for the lowest scores first.

Writes benchmarks/out/growth.json and, with ``--plot FILE``, a PNG of the curves.

    python -m benchmarks.growth --sizes 100000,1000000,10000000 --plot docs/growth.png
    python -m benchmarks.growth --url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        --plot docs/growth-postgresql.png
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask_caching.backends import NullCache

from benchmarks.common import DATA, drop_schema, fresh_schema, median_call_ms, save
from benchmarks.query_speed import END, build_store
from dashapp.figures.nps_engine import NpsEngine
from dashapp.metrics import queries
from dashapp.store import db

DAYS = 120


def engine_for(url: str) -> NpsEngine:
    """An engine on *url* whose cache never answers (every call computes)."""
    return NpsEngine(db.make_sessionmaker(db.make_engine(url)), NullCache())


def deep_position(
    engine: NpsEngine, selection: queries.Selection, most: int = 2_000
) -> tuple[queries.Position | None, int, int]:
    """The keyset position of the page in the middle of the selection, its number, and how many.

    The last page is not a fair "deep page": it scans the rest of the window
    looking for rows that are not there.
    """
    positions: list[queries.Position] = []
    before = None
    with engine.sessions() as session:
        for _ in range(most):
            page = queries.responses_page(session, selection, limit=50, before=before)
            if len(page) < 50:
                break
            before = queries.position(page[-1], selection.sort)
            positions.append(before)
    if not positions:
        return None, 1, 1
    middle = len(positions) // 2
    return positions[middle], middle + 2, len(positions) + 1


def measure(url: str, samples: int) -> dict[str, float]:
    """Every figure of one store."""
    engine = engine_for(url)
    as_of = END
    results: dict[str, float] = {
        "overview: NPS brand x country, 30 d": median_call_ms(
            lambda: engine.nps_by(("brand", "country"), window=30, as_of=as_of), samples
        ),
        "overview: rolling 30 d by brand, 90 d": median_call_ms(
            lambda: engine.rolling(("brand",), window=30, days=90, as_of=as_of), samples
        ),
        "overview: total and change, 30 d": median_call_ms(
            lambda: engine.change(window=30, as_of=as_of), samples
        ),
    }
    start = as_of - dt.timedelta(days=30)
    filters = queries.Filters(brand=("Velora",), country=("DE",))
    for sort in ("new", "low"):
        selection = queries.Selection(filters=filters, start=start, end=as_of, sort=sort)
        deep, _number, pages = deep_position(engine, selection)
        results[f"pages of Velora·DE, {sort}"] = pages

        def page(before: queries.Position | None, s: queries.Selection = selection) -> Any:
            with engine.sessions() as session:
                return queries.responses_page(session, s, limit=50, before=before)

        results[f"drill-down: page 1, {sort}"] = median_call_ms(lambda: page(None), samples)
        results[f"drill-down: middle page, {sort}"] = median_call_ms(
            lambda d=deep: page(d), samples
        )
    bind = engine.sessions.kw["bind"]
    bind.dispose()
    return results


@contextmanager
def store(base: str | None, size: int) -> Iterator[str]:
    """A new store for *size* responses: a SQLite file, or a schema at *base*; dropped after."""
    if base is None:
        DATA.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            yield f"sqlite:///{tmp}/growth-{size}.db"
        return
    schema = f"fw_growth_{size}"
    try:
        yield fresh_schema(base, schema)
    finally:
        drop_schema(base, schema)


def plot(table: dict[int, dict[str, float]], out: Path, store_name: str) -> None:
    """The curves as a PNG (log-scaled sizes), rendered by kaleido with the system Chromium."""
    import plotly.graph_objects as go

    from dashapp.figures.charts import for_print
    from dashapp.web.chart_export import render

    sizes = sorted(table)
    fig = go.Figure()
    for name in (n for n in table[sizes[0]] if n.startswith(("overview", "drill-down"))):
        fig.add_trace(
            go.Scatter(x=sizes, y=[table[n][name] for n in sizes], mode="lines+markers", name=name)
        )
    fig.update_xaxes(type="log", title="responses stored")
    fig.update_yaxes(title="milliseconds (median, no cache)")
    fig = for_print(
        fig, "Query time as the store grows", f"{store_name}, 2 cores, benchmarks/growth.py"
    )
    fig.update_layout(legend={"orientation": "h", "y": -0.25})
    out.write_bytes(render(fig, "png"))


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,10000000")
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--url", default=None, help="a PostgreSQL database (default: SQLite)")
    args = parser.parse_args()
    table: dict[int, dict[str, float]] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        with store(args.url, size) as url:
            start = time.perf_counter()
            build_store(url, size, DAYS)
            print(f"{size:,} responses stored in {time.perf_counter() - start:.0f} s", flush=True)
            table[size] = measure(url, args.samples)
        print(size, table[size], flush=True)
    name = "SQLite" if args.url is None else "PostgreSQL"
    save(
        "growth" if args.url is None else "growth_postgresql",
        {"store": name, "days": DAYS, "table": {str(k): v for k, v in table.items()}},
    )
    if args.plot is not None:
        plot(table, args.plot, name)
        print(f"wrote {args.plot}")


if __name__ == "__main__":
    main()
