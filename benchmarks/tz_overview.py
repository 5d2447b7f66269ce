"""The overview with a display time zone against the same overview in UTC (#18 item 4).

Local days are read as UTC daily rollups corrected by the few hours between a local
and a UTC midnight (hourly rollups) and, in a zone off the whole hour, raw part-hours.
This measures the overview's cold build (empty cache: what a data change costs once)
over the store of :mod:`benchmarks.query_speed`, in UTC, Europe/Berlin and
Asia/Kolkata, in one run, as medians; the ratio against UTC is the claim ("costs the
same with a zone set"). Before timing, the zone's daily counts are checked against a
plain count over the raw rows for three local days.

    python -m benchmarks.tz_overview --rows 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
from pathlib import Path

from flask import Flask
from flask_caching import Cache
from sqlalchemy import text

from benchmarks.common import DATA, require, save, timed
from benchmarks.query_speed import END, VERSION, build_store
from dashapp.figures.nps_engine import NpsEngine
from dashapp.i18n import days
from dashapp.metrics import queries
from dashapp.store import db

ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata")


def overview(engine: NpsEngine) -> None:
    """What the wall's overview asks of the engine (callbacks/wall.py:overview_panel)."""
    engine.change(window=30, as_of=END)
    engine.nps_by(("brand", "country"), window=30, as_of=END)
    engine.rolling(("brand",), window=30, days=90, as_of=END)
    engine.rolling(("brand",), window=7, days=90, as_of=END)
    engine.daily_volume(days=30, as_of=END)


def check(url: str, zone: str) -> None:
    """Three local days of *zone* against a plain count over the raw rows."""
    tz = days.zone(zone)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    last = days.local_day(END, tz) - dt.timedelta(days=1)
    first = last - dt.timedelta(days=2)
    with sessions() as session:
        found = queries.local_daily_counts(session, (), first, last, tz).get((), {})
        for offset in range(3):
            day = first + dt.timedelta(days=offset)
            lo, hi = days.bounds(day, tz)
            raw = session.execute(
                text(
                    "SELECT sum(CASE WHEN score >= 9 THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END),"
                    " sum(CASE WHEN score <= 6 THEN 1 ELSE 0 END) FROM responses"
                    " WHERE submitted_at >= :lo AND submitted_at < :hi"
                ),
                {"lo": _param(url, lo), "hi": _param(url, hi)},
            ).one()
            require(tuple(int(v or 0) for v in raw) == found.get(day), f"{zone} {day}")
    engine.dispose()


def _param(url: str, at: dt.datetime) -> object:
    from dashapp.store.bulk import _sqlite_datetime

    return _sqlite_datetime(at) if url.startswith("sqlite") else at


def cold_ms(url: str, samples: int) -> dict[str, float]:
    """Median milliseconds of the overview's build with an empty cache, per zone.

    Zones take turns within each round, so a busy machine's drift hits them alike;
    the first round warms the pages and is not counted.
    """
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    times: dict[str, list[float]] = {zone: [] for zone in ZONES}
    for _round in range(samples + 1):
        for zone in ZONES:
            nps = NpsEngine(
                sessions, Cache(Flask(__name__), config={"CACHE_TYPE": "NullCache"}), zone=zone
            )
            seconds, _value = timed(lambda nps=nps: overview(nps))
            times[zone].append(seconds)
    engine.dispose()
    return {zone: round(1000 * statistics.median(t[1:]), 1) for zone, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"query-store-v{VERSION}-{args.rows}-{args.days}d.db"
    url = f"sqlite:///{path}"
    with tempfile.TemporaryDirectory(dir=DATA):  # query_speed's layout; the store is kept
        if not Path(path).exists():
            build_seconds, _ = timed(lambda: build_store(url, args.rows, args.days))
            print(f"built {args.rows:,} responses in {build_seconds:.0f} s")
        for zone in ZONES[1:]:
            check(url, zone)
        results = cold_ms(url, args.samples)
    ratios = {zone: round(ms / results["UTC"], 2) for zone, ms in results.items()}
    for zone in ZONES:
        print(f"{zone:15} overview cold {results[zone]:8.1f} ms  ×{ratios[zone]} of UTC")
    out = save(
        "tz_overview",
        {"rows": args.rows, "samples": args.samples, "cold_ms": results, "ratio_to_utc": ratios},
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
