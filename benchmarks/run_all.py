"""`make bench`: the fast variants of every benchmark, one after another (a few minutes).

The full-size runs recorded in docs/benchmarks.md:

    python -m benchmarks.import_speed --rows 200000 --repeats 3 --profile 50000
    python -m benchmarks.import_speed --rows 1000000 --repeats 1 --memory
    python -m benchmarks.query_speed --rows 10000000
    python -m benchmarks.query_speed --rows 1000000 --url postgresql+psycopg://...
    python -m benchmarks.kiosk_soak --minutes 60
    python -m benchmarks.growth --sizes 100000,1000000,10000000 --plot docs/growth.png
    python -m benchmarks.growth --url postgresql+psycopg://... --plot docs/growth-postgresql.png
    python -m benchmarks.load_test build --rows 10000000
    python -m benchmarks.load_test run --minutes 10 --floor-minutes 3
    python -m benchmarks.drilldown
"""

from __future__ import annotations

import subprocess
import sys

RUNS = (
    ["benchmarks.import_speed", "--rows", "200000", "--repeats", "3"],
    ["benchmarks.language_accuracy", "--rows", "200000"],
    ["benchmarks.query_speed", "--rows", "1000000"],
)


def main() -> None:
    """Run each benchmark in its own process, one at a time (they would compete for cores)."""
    for args in RUNS:
        print(f"$ python -m {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, "-m", *args], check=True)


if __name__ == "__main__":
    main()
