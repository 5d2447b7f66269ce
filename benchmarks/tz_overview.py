"""The overview with a display time zone against the same overview in UTC (#18 item 4).

The store keeps the configured zone's local days as rollups (grain "l", kept by
ingest, rebuilt by ``keep_zone`` when the zone changes), so a local day is one
bucket, as a UTC day is. This measures the overview's cold build (empty cache:
what a data change costs once) over the store of :mod:`benchmarks.query_speed`:
UTC (the baseline), Europe/Berlin and Asia/Kolkata each on a copy of the store
keeping that zone, and the same two zones read the exact way (UTC days corrected
by hourly rollups and raw part-hours: what a zone the store does not keep
costs). All in one run, variants taking turns, medians; the ratio against UTC
is the claim ("costs the same with a zone set"). Before timing, each kept
zone's days are checked against a plain count over the raw rows, and the time
to rebuild a zone's days is reported.

    python -m benchmarks.tz_overview --rows 10000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
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
from dashapp.ingest import rollups
from dashapp.metrics import queries
from dashapp.store import db

ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata")
#: (label, zone, whether the store keeps the zone's days)
VARIANTS = (
    ("UTC", "UTC", True),
    ("Europe/Berlin kept", "Europe/Berlin", True),
    ("Asia/Kolkata kept", "Asia/Kolkata", True),
    ("Europe/Berlin exact", "Europe/Berlin", False),
    ("Asia/Kolkata exact", "Asia/Kolkata", False),
)


def overview(engine: NpsEngine) -> None:
    """What the wall's overview asks of the engine (callbacks/wall.py:overview_panel)."""
    engine.change(window=30, as_of=END)
    engine.nps_by(("brand", "country"), window=30, as_of=END)
    engine.rolling(("brand",), window=30, days=90, as_of=END)
    engine.rolling(("brand",), window=7, days=90, as_of=END)
    engine.daily_volume(days=30, as_of=END)


def check(url: str, zone: str) -> None:
    """The store's first local day and three recent ones of *zone* against a plain count
    over the raw rows."""
    tz = days.zone(zone)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    last = days.local_day(END, tz) - dt.timedelta(days=1)
    with sessions() as session:
        oldest = session.scalar(text("SELECT min(submitted_at) FROM responses"))
        earliest = days.local_day(_instant(oldest), tz)
        found = queries.local_daily_counts(session, (), earliest, last, tz).get((), {})
        for day in (earliest, last - dt.timedelta(days=2), last - dt.timedelta(days=1), last):
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


def _instant(value: object) -> dt.datetime:
    """A stored submitted_at as an aware UTC instant (SQLite hands back text)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


def _param(url: str, at: dt.datetime) -> object:
    from dashapp.store.bulk import _sqlite_datetime

    return _sqlite_datetime(at) if url.startswith("sqlite") else at


def keep(url: str, zone: str) -> float:
    """Have the store at *url* keep *zone*'s local days; the seconds the rebuild took."""
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    with sessions.begin() as session:
        seconds, _ = timed(lambda: rollups.keep_zone(session, zone))
    engine.dispose()
    return seconds


def cold_ms(urls: dict[str, str], samples: int) -> dict[str, float]:
    """Median milliseconds of the overview's build with an empty cache, per variant.

    Variants take turns within each round, so a busy machine's drift hits them
    alike; the first round warms the pages and is not counted. *urls* maps each
    variant's label to its store.
    """
    engines = {label: db.make_engine(url) for label, url in urls.items()}
    times: dict[str, list[float]] = {label: [] for label, _, _ in VARIANTS}
    for _round in range(samples + 1):
        for label, zone, _kept in VARIANTS:
            nps = NpsEngine(
                db.make_sessionmaker(engines[label]),
                Cache(Flask(__name__), config={"CACHE_TYPE": "NullCache"}),
                zone=zone,
            )
            seconds, _value = timed(lambda nps=nps: overview(nps))
            times[label].append(seconds)
    for engine in engines.values():
        engine.dispose()
    return {label: round(1000 * statistics.median(t[1:]), 1) for label, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--samples", type=int, default=7)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"query-store-v{VERSION}-{args.rows}-{args.days}d.db"
    url = f"sqlite:///{path}"
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:  # query_speed's layout; the store is kept
        if not Path(path).exists():
            build_seconds, _ = timed(lambda: build_store(url, args.rows, args.days))
            print(f"built {args.rows:,} responses in {build_seconds:.0f} s")
        db.upgrade(url)  # a store built by an older release
        urls, rebuild_s = {}, {}
        for label, zone, kept in VARIANTS:
            if zone == "UTC" or not kept:
                urls[label] = url
                continue
            copy = Path(tmp) / f"{zone.replace('/', '_')}.db"
            shutil.copyfile(path, copy)
            urls[label] = f"sqlite:///{copy}"
            rebuild_s[zone] = round(keep(urls[label], zone), 2)
            print(f"{zone}: local days rebuilt in {rebuild_s[zone]} s")
            check(urls[label], zone)
        for zone in ZONES[1:]:
            check(url, zone)  # the exact way, on the store that keeps no zone
        results = cold_ms(urls, args.samples)
    ratios = {label: round(ms / results["UTC"], 2) for label, ms in results.items()}
    for label, _, _ in VARIANTS:
        print(f"{label:20} overview cold {results[label]:8.1f} ms  ×{ratios[label]} of UTC")
    out = save(
        "tz_overview",
        {
            "rows": args.rows,
            "samples": args.samples,
            "cold_ms": results,
            "ratio_to_utc": ratios,
            "rebuild_s": rebuild_s,
        },
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
