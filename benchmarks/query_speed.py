"""Overview query speed over a large store: the NPS engine against a plain GROUP BY on raw rows.

Builds (once) a SQLite store with N responses over 150 days (5 brands x 12
countries x 3 touchpoints), inserted fast by executemany with the rollups then
computed by INSERT ... SELECT ... GROUP BY, and checks that they equal what
ingest keeps. Then times, as medians:

- cold: the engine with an empty cache (SQLite's page cache is warm after the
  first run; the first run is reported apart);
- cached: the same call again (what every further screen and worker gets);
- baseline: the same figures as one plain GROUP BY over the raw responses.

    python -m benchmarks.query_speed --rows 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import statistics
from collections import defaultdict
from pathlib import Path

from flask import Flask
from flask_caching import Cache

from benchmarks.common import DATA, save, timed
from dashapp import db, queries
from dashapp.bulk import _sqlite_datetime
from dashapp.engine import NpsEngine, trailing

BRANDS = ("Velora", "Nordhem", "Casa Brio", "Lumen & Co", "Kvist")
COUNTRIES = ("DE", "AT", "CH", "FR", "BE", "NL", "SE", "DK", "NO", "FI", "IT", "ES")
TOUCHPOINTS = ("delivery", "service", "purchase")
DAYS = 150
END = dt.datetime(2026, 11, 20, 13, 37, 11, tzinfo=dt.UTC)


def build_store(path: Path, rows: int, seed: int = 5) -> str:
    """A migrated SQLite store at *path* with *rows* responses and matching rollups."""
    url = f"sqlite:///{path}"
    if path.exists():
        return url
    db.upgrade(url)
    rng = random.Random(seed)
    cells = [(b, c, t) for b in BRANDS for c in COUNTRIES for t in TOUCHPOINTS]
    bias = {cell: rng.uniform(-0.25, 0.25) for cell in cells}
    start = END - dt.timedelta(days=DAYS)
    step = DAYS * 86400 / rows
    ingested = _sqlite_datetime(END)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    sql = (
        "INSERT INTO responses (source, external_id, submitted_at, brand, country, touchpoint,"
        " score, properties, content_hash, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
    )
    batch: list[tuple[object, ...]] = []
    for i in range(rows):
        at = start + dt.timedelta(seconds=i * step + rng.random() * step)
        cell = cells[rng.randrange(len(cells))]
        roll = rng.random() + bias[cell]
        score = (
            rng.randint(9, 10)
            if roll > 0.55
            else rng.randint(7, 8)
            if roll > 0.3
            else rng.randint(0, 6)
        )
        batch.append(("bench", str(i), _sqlite_datetime(at), *cell, score, "{}", "", ingested))
        if len(batch) == 50_000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    grains = (("d", "%Y-%m-%d 00:00:00.000000"), ("h", "%Y-%m-%d %H:00:00.000000"))
    for grain, fmt in grains:
        conn.execute(
            f"INSERT INTO rollups SELECT '{grain}', strftime('{fmt}', submitted_at),"
            " brand, country, touchpoint, count(*),"
            " sum(score >= 9), sum(score BETWEEN 7 AND 8), sum(score <= 6)"
            " FROM responses GROUP BY 2, 3, 4, 5"
        )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return url


def raw_counts(
    conn: sqlite3.Connection, lo: dt.datetime, hi: dt.datetime
) -> dict[tuple[str, ...], tuple[int, ...]]:
    """The baseline: NPS counts per brand x country as one GROUP BY over raw responses."""
    cur = conn.execute(
        "SELECT brand, country, sum(score >= 9), sum(score BETWEEN 7 AND 8), sum(score <= 6)"
        " FROM responses WHERE submitted_at > ? AND submitted_at <= ? GROUP BY brand, country",
        (_sqlite_datetime(lo), _sqlite_datetime(hi)),
    )
    return {(b, c): (p, pa, d) for b, c, p, pa, d in cur}


def raw_rolling(conn: sqlite3.Connection, days: int, window: int) -> int:
    """The baseline rolling series: raw GROUP BY brand x day, then trailing sums in Python."""
    last = END.date()
    first = last - dt.timedelta(days=days - 1)
    lookback = first - dt.timedelta(days=window - 1)
    cur = conn.execute(
        "SELECT brand, substr(submitted_at, 1, 10), sum(score >= 9), sum(score BETWEEN 7 AND 8),"
        " sum(score <= 6) FROM responses WHERE submitted_at >= ? GROUP BY 1, 2",
        (lookback.isoformat(),),
    )
    per: dict[str, dict[dt.date, tuple[int, int, int]]] = defaultdict(dict)
    for brand, day, p, pa, d in cur:
        per[brand][dt.date.fromisoformat(day)] = (p, pa, d)
    span = [first + dt.timedelta(days=i) for i in range(days)]
    return sum(len(trailing(by_day, span, window)) for by_day in per.values())


def fresh_engine(url: str) -> NpsEngine:
    """An engine with an empty in-process cache."""
    return NpsEngine(
        db.make_sessionmaker(db.make_engine(url)),
        Cache(Flask(__name__), config={"CACHE_TYPE": "SimpleCache"}),
    )


def check_rollups(url: str) -> None:
    """The bulk-built rollups give exactly the raw rows' counts on a window with ragged edges."""
    engine = db.make_engine(url)
    lo, hi = END - dt.timedelta(days=30, hours=5, minutes=13), END
    with db.make_sessionmaker(engine)() as session:
        got = queries.counts(session, ("brand", "country"), lo, hi)
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    assert got == raw_counts(conn, lo, hi), "rollups differ from raw rows"
    conn.close()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep the store file for another run")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"query-store-{args.rows}.db"
    build_s, url = timed(lambda: build_store(path, args.rows))
    check_rollups(url)
    conn = sqlite3.connect(path)
    results: dict[str, dict[str, float]] = {}
    cases = {
        "nps_by_brand_country_30d": (
            lambda e: e.nps_by(("brand", "country"), window=30, as_of=END),
            lambda: raw_counts(conn, END - dt.timedelta(days=30), END),
        ),
        "rolling_30d_by_brand_120d": (
            lambda e: e.rolling(("brand",), window=30, days=120, as_of=END),
            lambda: raw_rolling(conn, 120, 30),
        ),
    }
    for name, (engine_call, baseline_call) in cases.items():
        first_s = timed(lambda ec=engine_call: ec(fresh_engine(url)))[0]
        cold, cached, base = [], [], []
        for _ in range(args.samples):
            engine = fresh_engine(url)
            cold.append(timed(lambda ec=engine_call, e=engine: ec(e))[0])
            cached.append(timed(lambda ec=engine_call, e=engine: ec(e))[0])
            base.append(timed(baseline_call)[0])
        med = {
            k: statistics.median(v) * 1000
            for k, v in (("cold", cold), ("cached", cached), ("baseline", base))
        }
        results[name] = {
            "first_run_ms": round(first_s * 1000, 2),
            "cold_median_ms": round(med["cold"], 2),
            "cached_median_ms": round(med["cached"], 3),
            "baseline_median_ms": round(med["baseline"], 1),
            "baseline_over_cold": round(med["baseline"] / med["cold"], 1),
            "baseline_over_cached": round(med["baseline"] / med["cached"], 0),
        }
        r = results[name]
        print(
            f"{name}: cold {r['cold_median_ms']} ms, cached {r['cached_median_ms']} ms, "
            f"raw GROUP BY {r['baseline_median_ms']} ms "
            f"({r['baseline_over_cold']}x the cold engine)"
        )
    conn.close()
    out = save(
        f"query-{args.rows}",
        {
            "rows": args.rows,
            "samples": args.samples,
            "store_build_seconds": round(build_s, 1),
            **results,
            "targets_ms": {"cold": 50, "cached": 5},
        },
    )
    print(out)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
