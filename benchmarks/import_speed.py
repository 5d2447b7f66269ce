"""Import speed: `feedbackwall import` of a canonical CSV into SQLite, against a plain INSERT.

Measures, in one process:

- ingest: read_records -> validate -> dedupe -> language detection -> INSERT ->
  hourly and daily rollups, one transaction per 5,000 rows (exactly what
  `feedbackwall import` does), into a fresh migrated SQLite file;
- baseline: the same rows read with csv and written by a plain executemany
  INSERT into an unindexed table (no validation, no dedupe, no rollups);
- detection: ``dashapp.ingest.language.detect`` alone on the same comments, in the same
  per-batch calls with the same countries as ingest makes;
- detector load: building lingua's detectors, once per process (outside the
  ingest timings, reported apart; a `feedbackwall import` process pays it once);
- memory (``--memory``): peak RSS of fresh processes importing N/10 and N rows,
  to show that the import streams;
- phases (``--phases``): one more ingest with its steps timed in place;
- profile (``--profile ROWS``): cProfile of ingest over the first ROWS rows.

    python -m benchmarks.import_speed --rows 1000000 --repeats 1 --memory
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import pstats
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

from benchmarks import make_csv
from benchmarks.common import DATA, OUT, require, save, timed
from dashapp.ingest import language
from dashapp.ingest.pipeline import BATCH_SIZE, Located, ingest
from dashapp.store import db
from data_sources.files import read_records

TARGET_ROWS_PER_S = 20_000


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


def run_baseline(path: Path, workdir: Path) -> float:
    """Seconds to read the CSV and INSERT its rows as they are, by executemany per 5,000."""
    store = workdir / "plain.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(store)
    # The store's own settings (dashapp.store.db), so only the work differs.
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE plain ({', '.join(make_csv.COLUMNS)})")
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


def detection_batches(path: Path) -> list[tuple[list[str], list[str]]]:
    """(texts, countries) of the comments without a language, per 5,000-row ingest batch."""
    batches = []
    rows = read_records(path)
    while chunk := list(islice(rows, BATCH_SIZE)):
        todo = [raw for _, raw in chunk if raw.get("comment") and not raw.get("language")]
        batches.append(([r["comment"] for r in todo], [r["country"] for r in todo]))
    return batches


def load_detectors(path: Path) -> float:
    """Seconds to build the detectors the file's countries need (once per process)."""
    with path.open(newline="", encoding="utf-8") as fh:
        countries = sorted({row["country"] for row in islice(csv.DictReader(fh), 50_000)})
    sample = "Die Lieferung kam schnell und alles war gut verpackt."
    return timed(lambda: language.detect([sample] * len(countries), countries))[0]


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
    (dedupe, the lookup of stored ids, building rows and hour keys, the data
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
        "_detect_languages",
        "insert_many",
        "_apply_rollups",
        "_label_records",
        "_store_labels",
    )
    saved = {name: getattr(module, name) for name in names}
    url = fresh_store(workdir)
    engine = db.make_engine(url)
    sessions = db.make_sessionmaker(engine)
    try:
        for name in names:
            setattr(module, name, wrap(name, saved[name]))
        total, _ = timed(lambda: ingest(sessions, "bench", reading(read_records(path))))
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)
        engine.dispose()
    rollups = spent["_apply_rollups"] - spent["insert_many rollups"]
    batch = spent["ingest_batch"]
    other = (
        batch
        - spent["check"]
        - spent["_detect_languages"]
        - spent["insert_many responses"]
        - spent["_apply_rollups"]
        - spent["_label_records"]
        - spent["_store_labels"]
    )
    label_inserts = spent["insert_many response_labels"] + spent["insert_many label_rollups"]
    return {
        "total": total,
        "read CSV (read_records)": spent["read"],
        "validate + hash (check)": spent["check"],
        "language detection": spent["_detect_languages"],
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
        "--memory", action="store_true", help="also measure peak RSS at N/10 and N rows"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="ROWS", help="cProfile ingest over ROWS rows"
    )
    parser.add_argument(
        "--phases", action="store_true", help="one more ingest, timing each of its phases"
    )
    args = parser.parse_args()
    path = csv_for(args.rows)
    load_s = load_detectors(path)
    ingest_s, base_s = [], []
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        for i in range(args.repeats):
            base_s.append(run_baseline(path, Path(tmp)))
            ingest_s.append(run_ingest(path, Path(tmp)))
            print(f"run {i + 1}: ingest {ingest_s[-1]:.2f} s, plain INSERT {base_s[-1]:.2f} s")
        batches = detection_batches(path)
        detect_s = detection_seconds(batches)
        profile_text = profile(path, args.profile, Path(tmp)) if args.profile else ""
        phase_s = phases(path, Path(tmp)) if args.phases else {}
    ingest_med, base_med = statistics.median(ingest_s), statistics.median(base_s)
    detected = sum(len(texts) for texts, _ in batches)
    result: dict[str, Any] = {
        "rows": args.rows,
        "csv": path.name,
        "repeats": args.repeats,
        "ingest_seconds": [round(s, 3) for s in ingest_s],
        "baseline_seconds": [round(s, 3) for s in base_s],
        "ingest_rows_per_s": round(args.rows / ingest_med),
        "baseline_rows_per_s": round(args.rows / base_med),
        "ratio_ingest_to_baseline": round(ingest_med / base_med, 2),
        "detector_load_seconds": round(load_s, 2),
        "ingest_rows_per_s_with_detector_load": round(args.rows / (ingest_med + load_s)),
        "comments_detected": detected,
        "detection_seconds": round(detect_s, 2),
        "detection_share_of_ingest": round(detect_s / ingest_med, 3),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "target_met": args.rows / ingest_med >= TARGET_ROWS_PER_S,
    }
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
    r = result
    print(
        f"rows {args.rows:,}: ingest {r['ingest_rows_per_s']:,} rows/s "
        f"(median of {args.repeats}; target {TARGET_ROWS_PER_S:,}: "
        f"{'met' if r['target_met'] else 'MISSED'})"
    )
    print(
        f"plain INSERT {r['baseline_rows_per_s']:,} rows/s; "
        f"ingest/plain {r['ratio_ingest_to_baseline']}x"
    )
    print(
        f"detection: {detected:,} comments, {detect_s:.2f} s = "
        f"{r['detection_share_of_ingest']:.0%} of ingest time; "
        f"detector load {load_s:.2f} s once per process"
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
