"""Overview query speed over a large store: the NPS engine against a plain GROUP BY on raw rows.

Builds a store with N responses over 120 days (5 brands x 12 countries x 3
touchpoints): rows inserted fast (executemany on SQLite, COPY on PostgreSQL),
then the rollups computed by one INSERT ... SELECT ... GROUP BY per grain.
Before timing anything it checks that

- those bulk-built rollups equal, row for row, what ``dashapp.ingest.pipeline.ingest``
  keeps for the same responses (on a sample of 20,000 rows through the real ingest);
- ``queries.counts`` equals a brute-force GROUP BY over the raw table on a
  window with ragged edges, and both timed engine calls give exactly the
  baseline's figures.

Then times, as medians of ``--samples``:

- cold: the engine with an empty Flask-Caching cache on a warm connection pool
  (what a running app pays once per data change; the store's pages are in the
  OS cache and, after the first run, in SQLite's page cache);
- cold, new engine: a new engine and connection as well (SQLite's own page cache
  empty; on PostgreSQL this includes connecting);
- first run: the very first call after the store was built, reported apart;
- cached: the same call again (what every further screen and worker gets);
- baseline: the same figures as one plain GROUP BY over the raw responses.

    python -m benchmarks.query_speed --rows 10000000
    python -m benchmarks.query_speed --rows 1000000 \\
        --url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

from flask_caching.backends import SimpleCache
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url

from benchmarks.common import DATA, require, save, timed
from dashapp.figures.nps_engine import NpsEngine, trailing
from dashapp.ingest.pipeline import Located, ingest
from dashapp.metrics import queries
from dashapp.store import db
from dashapp.store.bulk import _sqlite_datetime
from dashapp.store.models import Rollup

BRANDS = ("Velora", "Nordhem", "Casa Brio", "Lumen & Co", "Kvist")
COUNTRIES = ("DE", "AT", "CH", "FR", "BE", "NL", "SE", "DK", "NO", "FI", "IT", "ES")
TOUCHPOINTS = ("delivery", "service", "purchase")
END = dt.datetime(2026, 11, 20, 13, 37, 11, tzinfo=dt.UTC)
TARGET_COLD_MS = 50.0
TARGET_CACHED_MS = 5.0
#: Bumped when the generated data changes, so stored files are rebuilt.
VERSION = 2
#: (id, submitted_at, brand, country, touchpoint, score)
Row = tuple[int, dt.datetime, str, str, str, int]
Key = tuple[Any, ...]
Figures = dict[Key, tuple[int, int, int]]

RESPONSE_COLUMNS = (
    "source, external_id, submitted_at, brand, country, touchpoint,"
    " score, properties, content_hash, ingested_at"
)
#: Per dialect: the bucket expressions for daily and hourly rollups, the day of a row.
BUCKETS = {
    "sqlite": (
        "strftime('%Y-%m-%d 00:00:00.000000', submitted_at)",
        "strftime('%Y-%m-%d %H:00:00.000000', submitted_at)",
        "substr(submitted_at, 1, 10)",
    ),
    "postgresql": (
        "date_trunc('day', submitted_at)",
        "date_trunc('hour', submitted_at)",
        "date(submitted_at)",
    ),
}
CLASSES = (
    "sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END),"
    " sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END)"
)


def generate(rows: int, days: int, seed: int = 5) -> Iterator[Row]:
    """*rows* responses spread evenly over the *days* before END, oldest first.

    Each brand x country x touchpoint cell has its own NPS bias, so figures differ.
    """
    rng = random.Random(seed)
    cells = [(b, c, t) for b in BRANDS for c in COUNTRIES for t in TOUCHPOINTS]
    bias = {cell: rng.uniform(-0.25, 0.25) for cell in cells}
    start = END - dt.timedelta(days=days)
    step = days * 86400 / rows
    for i in range(rows):
        at = start + dt.timedelta(seconds=(i + rng.random()) * step)
        cell = cells[rng.randrange(len(cells))]
        roll = rng.random() + bias[cell]
        if roll > 0.55:
            score = rng.randint(9, 10)
        elif roll > 0.3:
            score = rng.randint(7, 8)
        else:
            score = rng.randint(0, 6)
        yield (i, at, *cell, score)


def ingest_records(
    rows: int, extra: Callable[[int, str], dict[str, Any]] = lambda i, country: {}
) -> Iterator[Located]:
    """The responses :func:`generate` makes for 120 days, as records for ``ingest``.

    *extra* adds fields to response *i* in *country* (a comment, say).
    """
    for i, at, b, c, t, s in generate(rows, 120):
        record = {
            "id": str(i),
            "submitted_at": at.isoformat().replace("+00:00", "Z"),
            "brand": b,
            "country": c,
            "touchpoint": t,
            "score": str(s),
        }
        yield f"row {i}", {**record, **extra(i, c)}


def build_store(url: str, rows: int, days: int) -> None:
    """Migrate *url* and fill it with *rows* responses and their rollups, the fast way."""
    db.upgrade(url)
    engine = db.make_engine(url)
    dialect = engine.dialect.name
    ingested = END
    with engine.begin() as conn:
        it = generate(rows, days)
        if dialect == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            sql = f"INSERT INTO responses ({RESPONSE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
            stamp = _sqlite_datetime(ingested)
            while chunk := list(islice(it, 50_000)):
                conn.exec_driver_sql(
                    sql,
                    [
                        ("bench", str(i), _sqlite_datetime(at), b, c, t, s, "{}", "", stamp)
                        for i, at, b, c, t, s in chunk
                    ],
                )
        else:
            naive = ingested.replace(tzinfo=None)
            cursor = conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY responses ({RESPONSE_COLUMNS}) FROM STDIN") as copy:
                for i, at, b, c, t, s in it:
                    copy.write_row(
                        ("bench", str(i), at.replace(tzinfo=None), b, c, t, s, "{}", "", naive)
                    )
        bulk_rollups(conn, dialect)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.exec_driver_sql("ANALYZE" if dialect == "sqlite" else "VACUUM ANALYZE")
    engine.dispose()


def bulk_rollups(conn: Connection, dialect: str) -> None:
    """Daily and hourly rollups of every stored response, by one INSERT ... SELECT per grain."""
    day, hour, _ = BUCKETS[dialect]
    for grain, bucket in (("d", day), ("h", hour)):
        conn.exec_driver_sql(
            "INSERT INTO rollups (grain, bucket, brand, country, touchpoint,"
            " n, promoters, passives, detractors)"
            f" SELECT '{grain}', {bucket}, brand, country, touchpoint, count(*), {CLASSES}"
            " FROM responses GROUP BY 2, 3, 4, 5"
        )


def rollup_rows(url: str) -> list[tuple[Any, ...]]:
    """Every rollup row of the store at *url*, sorted."""
    engine = db.make_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(select(Rollup.__table__))]
    engine.dispose()
    return sorted(found)


def check_bulk_equals_ingest(make_url_for: Callable[[str], str], rows: int = 20_000) -> int:
    """The bulk build's rollups equal ingest's for the same *rows* responses; their count."""
    bulk_url, ingest_url = make_url_for("bulk"), make_url_for("ingest")
    build_store(bulk_url, rows, 120)
    db.upgrade(ingest_url)
    engine = db.make_engine(ingest_url)
    report = ingest(db.make_sessionmaker(engine), "bench", ingest_records(rows))
    engine.dispose()
    require(report.accepted == rows and not report.rejected, report.summary())
    bulk, ingested = rollup_rows(bulk_url), rollup_rows(ingest_url)
    require(bulk == ingested, "bulk-built rollups differ from ingest's")
    return len(bulk)


def _param(conn: Connection, at: dt.datetime) -> Any:
    """*at* as the store keeps it (naive UTC; SQLite: fixed-width text)."""
    if conn.dialect.name == "sqlite":
        return _sqlite_datetime(at)
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def raw_counts(conn: Connection, lo: dt.datetime, hi: dt.datetime) -> Figures:
    """The baseline: NPS counts per brand x country as one GROUP BY over raw responses."""
    result = conn.execute(
        text(
            f"SELECT brand, country, {CLASSES} FROM responses"
            " WHERE submitted_at > :lo AND submitted_at <= :hi GROUP BY brand, country"
        ),
        {"lo": _param(conn, lo), "hi": _param(conn, hi)},
    )
    return {(b, c): (int(p), int(pa), int(d)) for b, c, p, pa, d in result}


def raw_rolling(conn: Connection, days: int, window: int) -> Figures:
    """The baseline rolling series: raw GROUP BY brand x day, then trailing sums in Python."""
    last = END.date()
    first = last - dt.timedelta(days=days - 1)
    lookback = dt.datetime.combine(first - dt.timedelta(days=window - 1), dt.time(), dt.UTC)
    day_expr = BUCKETS[conn.dialect.name][2]
    result = conn.execute(
        text(
            f"SELECT brand, {day_expr}, {CLASSES} FROM responses"
            " WHERE submitted_at >= :lo GROUP BY 1, 2"
        ),
        {"lo": _param(conn, lookback)},
    )
    per: dict[str, dict[dt.date, tuple[int, int, int]]] = defaultdict(dict)
    for brand, day, p, pa, d in result:
        on = dt.date.fromisoformat(day) if isinstance(day, str) else day
        per[brand][on] = (int(p), int(pa), int(d))
    span = [first + dt.timedelta(days=i) for i in range(days)]
    return {
        (brand, on): counts
        for brand, by_day in per.items()
        for on, counts in zip(span, trailing(by_day, span, window), strict=True)
        if sum(counts)
    }


def store_bytes(url: str) -> int:
    """The size of the store: its SQLite file, or the PostgreSQL tables with their indexes."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return sum(
            Path(f"{path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{path}{suffix}").exists()
        )
    engine = db.make_engine(url)
    with engine.connect() as conn:
        size = conn.scalar(
            text("SELECT pg_total_relation_size('responses') + pg_total_relation_size('rollups')")
        )
    engine.dispose()
    return int(size or 0)


def fresh_engine(url: str) -> NpsEngine:
    """An engine with its own connection pool and an empty in-process cache."""
    return NpsEngine(
        db.make_sessionmaker(db.make_engine(url)),
        SimpleCache(),
    )


def dispose(engine: NpsEngine) -> None:
    """Close the engine's connections."""
    bind = engine.sessions.kw["bind"]
    assert isinstance(bind, Engine)
    bind.dispose()


def nps_by_figures(engine: NpsEngine) -> Figures:
    """The overview's NPS per brand x country over the 30 days ending at END."""
    rows = engine.nps_by(("brand", "country"), window=30, as_of=END)
    return {
        tuple(r.group.values()): (r.nps.promoters, r.nps.passives, r.nps.detractors) for r in rows
    }


def rolling_figures(engine: NpsEngine) -> Figures:
    """The overview's rolling 30-day NPS per brand, 120 daily points."""
    points = engine.rolling(("brand",), window=30, days=120, as_of=END)
    return {
        (p.group["brand"], p.day): (p.nps.promoters, p.nps.passives, p.nps.detractors)
        for p in points
    }


@contextmanager
def store(args: argparse.Namespace) -> Iterator[tuple[str, Callable[[str], str], str]]:
    """(URL of the big store, a maker of scratch-store URLs, a label), cleaned up afterwards."""
    if args.url is None:
        DATA.mkdir(exist_ok=True)
        path = DATA / f"query-store-v{VERSION}-{args.rows}-{args.days}d.db"
        with tempfile.TemporaryDirectory(dir=DATA) as tmp:
            try:
                yield f"sqlite:///{path}", lambda name: f"sqlite:///{tmp}/{name}.db", "sqlite"
            finally:
                if not args.keep:
                    for suffix in ("", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    base = make_url(args.url)
    admin = db.make_engine(args.url)
    prefix = f"bench_q_{os.getpid()}"
    schemas = [prefix, f"{prefix}_bulk", f"{prefix}_ingest"]
    with admin.begin() as conn:
        for schema in schemas:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")

    def url_for(schema: str) -> str:
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    try:
        yield url_for(prefix), lambda name: url_for(f"{prefix}_{name}"), "postgresql"
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


def measure(
    url: str,
    call: Callable[[NpsEngine], Figures],
    baseline: Callable[[Connection], Figures],
    samples: int,
) -> dict[str, float]:
    """Time *call* cold, cold on a new engine, cached, and *baseline*; check they agree."""
    first_engine = fresh_engine(url)
    first_s, figures = timed(lambda: call(first_engine))
    dispose(first_engine)
    raw_engine = db.make_engine(url)
    with raw_engine.connect() as conn:
        require(figures == baseline(conn), "engine and raw GROUP BY disagree")
        warm = fresh_engine(url)
        call(warm)  # the pool's connection is open and has read the store once
        cold, new, cached, base = [], [], [], []
        for _ in range(samples):
            warm.cache.clear()
            cold.append(timed(lambda: call(warm))[0])
            cached.append(timed(lambda: call(warm))[0])
            other = fresh_engine(url)
            new.append(timed(lambda o=other: call(o))[0])
            dispose(other)
            base.append(timed(lambda: baseline(conn))[0])
        dispose(warm)
    raw_engine.dispose()
    med = {
        name: statistics.median(values) * 1000
        for name, values in (("cold", cold), ("new", new), ("cached", cached), ("base", base))
    }
    return {
        "first_run_ms": round(first_s * 1000, 2),
        "cold_median_ms": round(med["cold"], 2),
        "cold_new_engine_median_ms": round(med["new"], 2),
        "cached_median_ms": round(med["cached"], 3),
        "baseline_median_ms": round(med["base"], 1),
        "baseline_over_cold": round(med["base"] / med["cold"], 1),
        "baseline_over_cached": round(med["base"] / med["cached"]),
        "cold_min_max_ms": [round(min(cold) * 1000, 2), round(max(cold) * 1000, 2)],
        "cached_min_max_ms": [round(min(cached) * 1000, 3), round(max(cached) * 1000, 3)],
        "target_met": med["cold"] < TARGET_COLD_MS and med["cached"] < TARGET_CACHED_MS,
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL (default: a SQLite file)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the SQLite store file for another run"
    )
    args = parser.parse_args()
    with store(args) as (url, scratch, label):
        checked = check_bulk_equals_ingest(scratch)
        print(f"bulk-built rollups equal ingest's on 20,000 rows ({checked:,} rollup rows)")
        reused = url.startswith("sqlite:///") and Path(url.removeprefix("sqlite:///")).exists()
        build_s = 0.0 if reused else timed(lambda: build_store(url, args.rows, args.days))[0]
        size = store_bytes(url)
        print(
            f"store: {args.rows:,} rows on {label}, {size / 2**30:.2f} GiB,"
            f" built in {build_s:.0f} s",
            flush=True,
        )
        engine = db.make_engine(url)
        lo, hi = END - dt.timedelta(days=30, hours=5, minutes=13), END
        with db.make_sessionmaker(engine)() as session, engine.connect() as conn:
            got = queries.counts(session, ("brand", "country"), lo, hi)
            require(got and got == raw_counts(conn, lo, hi), "counts differ from raw rows")
        engine.dispose()
        cases = {
            "nps_by_brand_country_30d": (
                nps_by_figures,
                lambda c: raw_counts(c, END - dt.timedelta(days=30), END),
            ),
            "rolling_30d_by_brand_120d": (rolling_figures, lambda c: raw_rolling(c, 120, 30)),
        }
        results: dict[str, dict[str, Any]] = {}
        for name, (call, baseline) in cases.items():
            results[name] = r = measure(url, call, baseline, args.samples)
            print(
                f"{name}: first {r['first_run_ms']} ms, cold {r['cold_median_ms']} ms"
                f" (new engine {r['cold_new_engine_median_ms']} ms),"
                f" cached {r['cached_median_ms']} ms, raw GROUP BY {r['baseline_median_ms']} ms"
                f" = {r['baseline_over_cold']}x cold;"
                f" target {'met' if r['target_met'] else 'MISSED'}",
                flush=True,
            )
    out = save(
        f"query-{label}-{args.rows}",
        {
            "rows": args.rows,
            "days": args.days,
            "store": label,
            "cells": len(BRANDS) * len(COUNTRIES) * len(TOUCHPOINTS),
            "samples": args.samples,
            "store_build_seconds": round(build_s, 1),
            "store_gib": round(size / 2**30, 2),
            "store_reused": reused,
            "rollup_rows_checked_against_ingest": checked,
            **results,
            "targets_ms": {"cold": TARGET_COLD_MS, "cached": TARGET_CACHED_MS},
        },
    )
    print(out)


if __name__ == "__main__":
    main()
