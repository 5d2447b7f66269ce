"""Import speed: `feedbackwall import` of a canonical CSV into SQLite, against a plain INSERT.

Measures, in one process:
- ingest: read_records -> validate -> dedupe -> language detection -> INSERT ->
  hourly and daily rollups, one transaction per 5,000 rows (exactly what
  `feedbackwall import` does), into a fresh migrated SQLite file;
- baseline: the same rows read with csv and written by one plain executemany
  INSERT into an unindexed table (no validation, no dedupe, no rollups);
- detection: lingua alone on the comments that arrive without a language;
- memory: peak RSS of an import of N/10 rows and of N rows, in subprocesses,
  to show the import streams (flat memory).

    python -m benchmarks.import_speed --rows 1000000 [--repeats 1]
"""

from __future__ import annotations

import argparse
import csv
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from itertools import islice
from pathlib import Path

from benchmarks import make_csv
from benchmarks.common import DATA, save, timed
from dashapp import db, language
from dashapp.ingest import ingest
from data_sources.files import read_records


def csv_for(rows: int) -> Path:
    """The benchmark CSV with *rows* rows, generated once."""
    path = DATA / f"responses-{rows}.csv"
    if not path.exists():
        make_csv.write(path, rows)
    return path


def run_ingest(path: Path, workdir: Path) -> float:
    """Seconds to import *path* into a fresh store, as `feedbackwall import` does."""
    store = workdir / "store.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{store}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    seconds, report = timed(lambda: ingest(sessions, "bench", read_records(path)))
    assert not report.rejected, report.rejected[:3]
    sessions.kw["bind"].dispose()
    return float(seconds)


def run_baseline(path: Path, workdir: Path) -> float:
    """Seconds to read the CSV and INSERT its rows as they are, in one executemany."""
    store = workdir / "plain.db"
    store.unlink(missing_ok=True)
    conn = sqlite3.connect(store)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"CREATE TABLE plain ({', '.join(make_csv.COLUMNS)})")

    def load() -> None:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            next(reader)
            while chunk := list(islice(reader, 5000)):
                conn.executemany(
                    f"INSERT INTO plain VALUES ({', '.join('?' * len(make_csv.COLUMNS))})", chunk
                )
                conn.commit()

    seconds, _ = timed(load)
    conn.close()
    return float(seconds)


def detection_seconds(path: Path) -> tuple[float, int]:
    """Seconds lingua takes alone on the comments without a language, and their count."""
    texts = [
        raw["comment"]
        for _, raw in read_records(path)
        if raw.get("comment") and not raw.get("language")
    ]
    seconds = 0.0
    for i in range(0, len(texts), 5000):
        batch = texts[i : i + 5000]
        seconds += timed(lambda batch=batch: language.detect(batch))[0]
    return seconds, len(texts)


def peak_rss_mib(rows: int) -> float:
    """Peak RSS of a fresh process importing *rows* rows."""
    code = (
        "import resource, sys, tempfile; from pathlib import Path;"
        "from benchmarks.import_speed import csv_for, run_ingest;"
        f"run_ingest(csv_for({rows}), Path(tempfile.mkdtemp()));"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--memory", action="store_true", help="also measure peak RSS at N/10 and N rows"
    )
    args = parser.parse_args()
    path = csv_for(args.rows)
    language.detect(["warm the detector up once, as a long-running import would"])
    ingest_s, base_s = [], []
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        for _ in range(args.repeats):
            base_s.append(run_baseline(path, Path(tmp)))
            ingest_s.append(run_ingest(path, Path(tmp)))
    detect_s, detected = detection_seconds(path)
    ingest_med, base_med = statistics.median(ingest_s), statistics.median(base_s)
    result = {
        "rows": args.rows,
        "repeats": args.repeats,
        "ingest_seconds": ingest_s,
        "baseline_seconds": base_s,
        "ingest_rows_per_s": round(args.rows / ingest_med),
        "baseline_rows_per_s": round(args.rows / base_med),
        "ratio_ingest_to_baseline": round(ingest_med / base_med, 2),
        "comments_detected": detected,
        "detection_share_of_ingest": round(detect_s / ingest_med, 3),
        "target_rows_per_s": 20_000,
    }
    if args.memory:
        result["peak_rss_mib"] = {
            str(args.rows // 10): round(peak_rss_mib(args.rows // 10)),
            str(args.rows): round(peak_rss_mib(args.rows)),
        }
    r = result
    print(
        f"rows {args.rows:,}: ingest {r['ingest_rows_per_s']:,} rows/s (median of {args.repeats})"
    )
    print(
        f"plain INSERT {r['baseline_rows_per_s']:,} rows/s; "
        f"ingest/plain {r['ratio_ingest_to_baseline']}x"
    )
    print(f"detection: {detected:,} comments, {r['detection_share_of_ingest']:.0%} of ingest time")
    if "peak_rss_mib" in result:
        print(f"peak RSS (MiB): {result['peak_rss_mib']}")
    print(save(f"import-{args.rows}", result))


if __name__ == "__main__":
    main()
