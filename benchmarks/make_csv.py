"""Write a realistic canonical CSV of N responses for the import benchmark.

Rows come from the demo simulator (multilingual comments on about 60% of rows,
the language left out on 15% of those so detection runs), time-ordered over
120 days as a survey tool's export is.

    python -m benchmarks.make_csv --rows 1000000 --out benchmarks/data/responses-1m.csv
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from itertools import islice
from pathlib import Path

from data_sources.base import CANONICAL_FIELDS
from data_sources.demo import history

COLUMNS = [*CANONICAL_FIELDS, "channel", "order_value"]
DAYS = 120


def write(path: Path, rows: int, *, seed: int = 11) -> Path:
    """Write *rows* responses to *path* (created with its folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    # The simulator's volume varies by hour; ask for 10% more and cut.
    per_day = int(rows / DAYS * 1.1) + 1
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        written = 0
        for _, raw in islice(history(DAYS, now, seed=seed, per_day=per_day), rows):
            writer.writerow(raw)
            written += 1
    if written < rows:
        raise SystemExit(f"only {written} rows generated; raise per_day")
    return path


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(__file__).resolve().parent / "data" / f"responses-{args.rows}.csv"
    print(write(out, args.rows))


if __name__ == "__main__":
    main()
