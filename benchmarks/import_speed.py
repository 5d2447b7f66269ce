"""Import speed: `feedbackwall import` of a canonical CSV, end to end, against a bare load.

Measures, on SQLite and on PostgreSQL, in one run:

- import: ``feedbackwall import FILE`` in a fresh process (CLI start, read, validate,
  dedupe, language detection, labels and sentiment, responses, rollups, label rows
  and label rollups, one transaction per 5,000 rows), into a freshly migrated store;
  afterwards the store is counted: every row stored once, rollups summing to it;
- baseline: the same CSV loaded bare into a table with the CSV's columns and two
  indexes (unique id, submitted_at): ``executemany`` per 5,000 rows on SQLite, one
  ``COPY ... FROM STDIN (FORMAT csv)`` on PostgreSQL (no validation, no dedupe,
  no labels, no rollups);
- detection: ``dashapp.ingest.language.detect`` alone on the same comments, as ingest calls it;
- memory (``--memory``): peak RSS of fresh processes importing N/10 and N rows (SQLite);
- phases (``--phases``): one more in-process ingest with its steps timed in place (SQLite);
- profile (``--profile ROWS``): cProfile of an in-process ingest over the first ROWS rows.

The CSV (``benchmarks/make_csv.py``) has unique comments, so nothing keyed by text helps.

    python -m benchmarks.import_speed --rows 1000000 --repeats 1
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import Any

import psycopg

from benchmarks import make_csv
from benchmarks.common import DATA, OUT, drop_schema, fresh_schema, require, save, timed
from dashapp.ingest import language, rollups
from dashapp.ingest.pipeline import BATCH_SIZE, Located, ingest
from dashapp.store import db
from data_sources.files import read_records

#: Rows per second end to end, and the largest acceptable import / bare-load ratio.
TARGETS = {"sqlite": 30_000, "postgresql": 50_000}
TARGET_RATIO = 8.0
PG_SCHEMA = f"bench_import_{os.getpid()}"
#: Columns of the bare table, typed as the store types them.
PLAIN_TYPES = {"submitted_at": "TIMESTAMP", "score": "SMALLINT"}


def csv_for(rows: int) -> Path:
    """The benchmark CSV with *rows* rows, generated once."""
    path = make_csv.default_path(rows)
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        print(f"  {asdict(make_csv.write(path, rows))}", flush=True)
    return path


def fresh_store(workdir: Path) -> str:
    """The URL of a freshly migrated, empty SQLite store in *workdir*."""
    store = workdir / "store.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{store}"
    db.upgrade(url)
    return url


def run_ingest(path: Path, workdir: Path, *, limit: int | None = None) -> float:
    """Seconds to import *path* (its first *limit* rows) into a fresh store, as the CLI does."""
    url = fresh_store(workdir)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    rows: Iterable[Located] = read_records(path)
    if limit is not None:
        rows = islice(rows, limit)
    seconds, report = timed(lambda: ingest(sessions, "bench", rows))
    require(not report.rejected, f"rows rejected: {report.rejected[:3]}")
    require(not report.duplicates and not report.updated, report.summary())
    engine.dispose()
    return float(seconds)


def _plain_columns() -> str:
    return ", ".join(f'"{c}" {PLAIN_TYPES.get(c, "TEXT")}' for c in make_csv.COLUMNS)


def run_baseline(path: Path, workdir: Path) -> float:
    """Seconds to read the CSV and INSERT its rows as they are, by executemany per 5,000."""
    store = workdir / "plain.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(store)
    # The store's own settings (dashapp.store.db), so only the work differs.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE plain ({_plain_columns()})")
    conn.execute("CREATE UNIQUE INDEX plain_id ON plain (id)")
    conn.execute("CREATE INDEX plain_time ON plain (submitted_at)")
    sql = f"INSERT INTO plain VALUES ({', '.join('?' * len(make_csv.COLUMNS))})"

    def load() -> None:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            while chunk := list(islice(reader, BATCH_SIZE)):
                conn.executemany(sql, chunk)
                conn.commit()

    seconds, _ = timed(load)
    conn.close()
    return float(seconds)


def run_baseline_pg(path: Path, base_url: str) -> float:
    """Seconds to COPY the CSV as it is into an indexed table of a fresh schema (PostgreSQL)."""
    fresh_schema(base_url, PG_SCHEMA)
    conninfo = base_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo, options=f"-csearch_path={PG_SCHEMA}") as conn:
        conn.execute(f"CREATE TABLE plain ({_plain_columns()})")
        conn.execute("CREATE UNIQUE INDEX plain_id ON plain (id)")
        conn.execute("CREATE INDEX plain_time ON plain (submitted_at)")
        conn.commit()

        def load() -> None:
            with (
                conn.cursor() as cur,
                cur.copy("COPY plain FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
                path.open("rb") as fh,
            ):
                while chunk := fh.read(1 << 20):
                    copy.write(chunk)
            conn.commit()

        seconds, _ = timed(load)
    return float(seconds)


def store_for(kind: str, workdir: Path, pg_url: str) -> str:
    """A freshly migrated, empty store of *kind* ("sqlite" or "postgresql"); its URL."""
    if kind == "sqlite":
        return fresh_store(workdir)
    url = fresh_schema(pg_url, PG_SCHEMA)
    db.upgrade(url)
    return url


def keeping(url: str, zone: str) -> str:
    """*url*, its store made to keep *zone*'s local days (as the scheduler does on start)."""
    engine = db.make_engine(url)
    with db.make_sessionmaker(engine).begin() as session:
        rollups.keep_zone(session, zone)
    engine.dispose()
    return url


def run_cli_import(path: Path, url: str, *options: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of `feedbackwall import` in a fresh process, start-up included.

    CPU seconds (user + system of the import process, not the database server's)
    say what the import costs when the machine is shared: wall time then counts
    the waits for a core too.
    """
    env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "dashapp.cli",
        "import",
        str(path),
        "--source",
        "bench",
        *options,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    require(done.returncode == 0, f"import failed: {done.stderr[-2000:]}")
    return seconds, cpu, done.stdout.strip().splitlines()[-1]


def counted(url: str, rows: int) -> dict[str, int]:
    """The store after an import of *rows* rows: stored once each, rollups summing to them."""
    from sqlalchemy import func, select

    from dashapp.store.models import Response, Rollup

    engine = db.make_engine(url)
    with engine.connect() as conn:
        facts = {
            "responses": conn.scalar(select(func.count()).select_from(Response)) or 0,
            "distinct_ids": conn.scalar(select(func.count(func.distinct(Response.external_id))))
            or 0,
            "daily_rollup_n": conn.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == "d"))
            or 0,
            "hourly_rollup_n": conn.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == "h"))
            or 0,
        }
    engine.dispose()
    require(all(v == rows for v in facts.values()), f"lost or doubled: {facts} for {rows} rows")
    return facts


def detection_batches(path: Path) -> list[tuple[list[str], list[str]]]:
    """(texts, countries) of the comments without a language, per 5,000-row ingest batch."""
    batches = []
    rows = read_records(path)
    while chunk := list(islice(rows, BATCH_SIZE)):
        todo = [raw for _, raw in chunk if raw.get("comment") and not raw.get("language")]
        batches.append(([r["comment"] for r in todo], [r["country"] for r in todo]))
    return batches


def detection_seconds(batches: list[tuple[list[str], list[str]]]) -> float:
    """Seconds ``language.detect`` takes alone on *batches* (detectors already built)."""
    total = 0.0
    for texts, countries in batches:
        total += timed(lambda t=texts, c=countries: language.detect(t, c))[0]
    return total


def peak_rss_mib(rows: int) -> float:
    """Peak RSS (MiB) of a fresh process that imports *rows* rows."""
    code = (
        "import resource, tempfile; from pathlib import Path;"
        "from benchmarks.import_speed import csv_for, run_ingest;"
        f"tmp = tempfile.TemporaryDirectory(dir={str(DATA)!r});"
        f"run_ingest(csv_for({rows}), Path(tmp.name));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); tmp.cleanup()"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def phases(path: Path, workdir: Path) -> dict[str, float]:
    """Seconds per phase of one ingest of *path*, by timing ingest's own steps in place.

    Wraps the functions ``dashapp.ingest.pipeline`` calls once per batch (low overhead,
    unlike cProfile) and the CSV iterator; "other" is the rest of ingest_batch
    (dedupe, the lookup of stored ids, building rows and rollup keys, the data
    version); "transaction" is batching, BEGIN and COMMIT.
    """
    from dashapp.ingest import pipeline as module

    spent: dict[str, float] = defaultdict(float)

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            key = f"{name} {args[1].name}" if name == "insert_many" else name
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - start

        return timed_call

    def reading(rows: Iterator[Located]) -> Iterator[Located]:
        while True:
            start = time.perf_counter()
            row = next(rows, None)
            spent["read"] += time.perf_counter() - start
            if row is None:
                return
            yield row

    names = (
        "ingest_batch",
        "check",
        "detect_languages",
        "insert_many",
        "_label_records",
        "_store_labels",
    )
    from dashapp.ingest import rollups as rollup_module
    from dashapp.labels import store as label_module

    saved = {name: getattr(module, name) for name in names}
    # Rollups are written from dashapp.ingest.rollups, label rows and label rollups
    # from dashapp.labels.store.
    saved_rollups = rollup_module.apply, rollup_module.insert_many
    saved_label_inserts = label_module.insert_many
    url = fresh_store(workdir)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    try:
        for name in names:
            setattr(module, name, wrap(name, saved[name]))
        rollup_module.apply = wrap("rollups.apply", saved_rollups[0])
        rollup_module.insert_many = wrap("insert_many", saved_rollups[1])
        label_module.insert_many = wrap("insert_many", saved_label_inserts)
        total, _ = timed(lambda: ingest(sessions, "bench", reading(read_records(path))))
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)
        rollup_module.apply, rollup_module.insert_many = saved_rollups
        label_module.insert_many = saved_label_inserts
        engine.dispose()
    rollups = spent["rollups.apply"] - spent["insert_many rollups"]
    batch = spent["ingest_batch"]
    other = (
        batch
        - spent["check"]
        - spent["detect_languages"]
        - spent["insert_many responses"]
        - spent["rollups.apply"]
        - spent["_label_records"]
        - spent["_store_labels"]
    )
    label_inserts = spent["insert_many response_labels"] + spent["insert_many label_rollups"]
    return {
        "total": total,
        "read CSV (read_records)": spent["read"],
        "validate + hash (check)": spent["check"],
        "language detection": spent["detect_languages"],
        "insert responses (insert_many)": spent["insert_many responses"],
        "rollup deltas (python)": rollups,
        "upsert rollups (insert_many)": spent["insert_many rollups"],
        "labelling (keywords, sentiment)": spent["_label_records"],
        "label rows and rollup deltas (python)": spent["_store_labels"] - label_inserts,
        "insert labels, upsert label rollups": label_inserts,
        "other in ingest_batch": other,
        "transaction (batching, BEGIN, COMMIT)": total - batch - spent["read"],
    }


def profile(path: Path, rows: int, workdir: Path) -> str:
    """cProfile of ingest over the first *rows* rows: the top functions by own time."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_ingest(path, workdir, limit=rows)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)
    return text.getvalue()


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--stores",
        default="sqlite,postgresql",
        help="comma-separated; PostgreSQL at FEEDBACKWALL_TEST_PG_URL (skipped when unset)",
    )
    parser.add_argument(
        "--memory", action="store_true", help="also measure peak RSS at N/10 and N rows"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="ROWS", help="cProfile ingest over ROWS rows"
    )
    parser.add_argument(
        "--phases", action="store_true", help="one more ingest, timing each of its phases"
    )
    parser.add_argument(
        "--zone",
        default="",
        help="also import into a store keeping this display zone's days (their cost)",
    )
    args = parser.parse_args()
    path = csv_for(args.rows)
    pg_url = os.environ.get("FEEDBACKWALL_TEST_PG_URL", "")
    stores = [k for k in args.stores.split(",") if k and (k != "postgresql" or pg_url)]
    result: dict[str, Any] = {"rows": args.rows, "csv": path.name, "repeats": args.repeats}
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        for kind in stores:
            import_s, base_s, cpu_s, inline_s, zone_s = [], [], [], [], []
            for i in range(args.repeats):
                base_s.append(
                    run_baseline(path, Path(tmp))
                    if kind == "sqlite"
                    else run_baseline_pg(path, pg_url)
                )
                url = store_for(kind, Path(tmp), pg_url)
                seconds, cpu, summary = run_cli_import(path, url)
                import_s.append(seconds)
                cpu_s.append(cpu)
                facts = counted(url, args.rows)
                # The same import with everything in one process: what the worker buys.
                url = store_for(kind, Path(tmp), pg_url)
                inline_s.append(run_cli_import(path, url, "--no-worker")[0])
                require(counted(url, args.rows) == facts, "one process stored something else")
                if args.zone:
                    url = keeping(store_for(kind, Path(tmp), pg_url), args.zone)
                    zone_s.append(run_cli_import(path, url)[0])
                    require(counted(url, args.rows) == facts, "the zone stored something else")
                    print(f"{kind} run {i + 1}: keeping {args.zone}: {zone_s[-1]:.2f} s")
                print(
                    f"{kind} run {i + 1}: import {seconds:.2f} s, {cpu:.2f} CPU s ({summary}), "
                    f"without the worker {inline_s[-1]:.2f} s, "
                    f"bare load {base_s[-1]:.2f} s; store: {facts}",
                    flush=True,
                )
            if kind == "postgresql":
                drop_schema(pg_url, PG_SCHEMA)
            imp, base = statistics.median(import_s), statistics.median(base_s)
            result[kind] = {
                "import_seconds": [round(x, 3) for x in import_s],
                "baseline_seconds": [round(x, 3) for x in base_s],
                "baseline": "executemany, indexed" if kind == "sqlite" else "COPY, indexed",
                "import_cpu_seconds": [round(x, 3) for x in cpu_s],
                "one_process_seconds": [round(x, 3) for x in inline_s],
                "one_process_rows_per_s": round(args.rows / statistics.median(inline_s)),
                "ratio_one_process_to_import": round(statistics.median(inline_s) / imp, 2),
                "import_rows_per_cpu_s": round(args.rows / statistics.median(cpu_s)),
                "import_rows_per_s": round(args.rows / imp),
                "baseline_rows_per_s": round(args.rows / base),
                "ratio_import_to_baseline": round(imp / base, 2),
                "target_rows_per_s": TARGETS[kind],
                "target_rows_met": args.rows / imp >= TARGETS[kind],
                "target_ratio_met": imp / base <= TARGET_RATIO,
            }
            if zone_s:
                result[kind]["zone"] = args.zone
                result[kind]["zone_seconds"] = [round(x, 3) for x in zone_s]
                result[kind]["ratio_zone_to_import"] = round(statistics.median(zone_s) / imp, 2)
        batches = detection_batches(path)
        detect_s = detection_seconds(batches)
        result["comments_detected"] = sum(len(texts) for texts, _ in batches)
        result["detection_seconds_alone"] = round(detect_s, 2)
        profile_text = profile(path, args.profile, Path(tmp)) if args.profile else ""
        phase_s = phases(path, Path(tmp)) if args.phases else {}
    if phase_s:
        total = phase_s["total"]
        result["phases"] = {
            name: {"seconds": round(sec, 2), "share": round(sec / total, 3)}
            for name, sec in phase_s.items()
        }
    if args.memory:
        small = args.rows // 10
        csv_for(small)
        result["peak_rss_mib"] = {
            str(small): round(peak_rss_mib(small)),
            str(args.rows): round(peak_rss_mib(args.rows)),
        }
    for kind in stores:
        r = result[kind]
        print(
            f"{kind}: rows {args.rows:,}: import {r['import_rows_per_s']:,} rows/s "
            f"({r['import_rows_per_cpu_s']:,} rows per CPU second of the import process) "
            f"(median of {args.repeats}; target {r['target_rows_per_s']:,}: "
            f"{'met' if r['target_rows_met'] else 'MISSED'}); bare load "
            f"{r['baseline_rows_per_s']:,} rows/s ({r['baseline']}); import/bare "
            f"{r['ratio_import_to_baseline']}x (target <= {TARGET_RATIO}: "
            f"{'met' if r['target_ratio_met'] else 'MISSED'}); in one process "
            f"{r['one_process_rows_per_s']:,} rows/s ({r['ratio_one_process_to_import']}x the time)"
        )
    print(
        f"detection alone: {result['comments_detected']:,} comments, {detect_s:.2f} s "
        "(lingua loads each language's models on first use: included)"
    )
    for name, item in result.get("phases", {}).items():
        print(f"  {name:40} {item['seconds']:7.2f} s {item['share']:6.1%}")
    if "peak_rss_mib" in result:
        print(f"peak RSS (MiB): {result['peak_rss_mib']}")
    if profile_text:
        prof_path = OUT / f"import-profile-{args.profile}.txt"
        OUT.mkdir(exist_ok=True)
        prof_path.write_text(profile_text)
        print(profile_text[:6000])
        print(prof_path)
    print(save(f"import-{args.rows}", result))


if __name__ == "__main__":
    main()
