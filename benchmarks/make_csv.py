"""Write a realistic canonical CSV of N responses for the import benchmark.

Rows come from the demo simulator (:func:`data_sources.demo.history`: its brands,
markets, touchpoints and native-language phrase banks), time-ordered over about
120 days as a survey tool's export is. About 56% of rows carry a comment; the
simulator leaves the language out of 15% of those and this script blanks a
further share so that about 20% of the commented rows arrive without a
language and go through detection. Every comment is unique, as in real data
(the phrase banks repeat, so each comment ends with its own reference number,
``#<row>``): no cache keyed by text can help an import of this file.

    python -m benchmarks.make_csv --rows 1000000 [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from dataclasses import asdict, dataclass
from itertools import islice
from pathlib import Path

from data_sources.base import CANONICAL_FIELDS
from data_sources.demo import history

COLUMNS = [*CANONICAL_FIELDS, "channel", "order_value"]
DAYS = 120
END = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
#: The simulator drops the language on 15% of comments; dropping it on this share
#: of the rest as well makes 0.15 + 0.85 * 1/17 = 20%.
EXTRA_BLANK = 1 / 17
#: Version of the generated data: part of the file name, so a change regenerates it.
VERSION = 3


@dataclass(frozen=True, slots=True)
class CsvStats:
    """What a generated file holds."""

    rows: int
    first: str
    last: str
    span_days: float
    commented_share: float
    no_language_share_of_commented: float
    languages: int


def default_path(rows: int) -> Path:
    """Where the benchmark CSV with *rows* rows lives (git-ignored)."""
    return Path(__file__).resolve().parent / "data" / f"responses-v{VERSION}-{rows}.csv"


def write(path: Path, rows: int, *, seed: int = 11) -> CsvStats:
    """Write *rows* responses to *path* (created with its folder) and describe them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The simulator's volume averages per_day; ask for 1% more and cut at *rows*,
    # so the file spans about 119 of the 120 days.
    per_day = int(rows / DAYS * 1.01) + 1
    blank = random.Random(seed + 1)
    written = commented = no_language = 0
    first = last = ""
    languages: set[str] = set()
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for _, raw in islice(history(DAYS, END, seed=seed, per_day=per_day), rows):
            if raw.get("comment"):
                commented += 1
                # Unique, as real comments are; digits carry no language.
                raw["comment"] = f"{raw['comment']} #{written + 1}"
                languages.add(raw.get("language") or "")
                if raw.get("language") and blank.random() < EXTRA_BLANK:
                    del raw["language"]
                if not raw.get("language"):
                    no_language += 1
            writer.writerow(raw)
            first = first or raw["submitted_at"]
            last = raw["submitted_at"]
            written += 1
    if written < rows:
        tmp.unlink()
        raise SystemExit(f"only {written} rows generated; raise per_day")
    tmp.replace(path)
    span = dt.datetime.fromisoformat(last) - dt.datetime.fromisoformat(first)
    return CsvStats(
        rows=written,
        first=first,
        last=last,
        span_days=round(span.total_seconds() / 86400, 1),
        commented_share=round(commented / written, 3),
        no_language_share_of_commented=round(no_language / max(commented, 1), 3),
        languages=len(languages - {""}),
    )


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or default_path(args.rows)
    stats = write(out, args.rows)
    print(out)
    for key, value in asdict(stats).items():
        print(f"  {key}: {value}")


if __name__ == "__main__":
    main()
