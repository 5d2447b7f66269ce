"""`make bench`: the fast variants of every benchmark (a few minutes on 2 cores).

The full-size runs of docs/benchmarks.md:

    python -m benchmarks.import_speed --rows 1000000 --repeats 1 --memory
    python -m benchmarks.query_speed --rows 10000000
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
    """Run each benchmark in its own process, one after another (they share 2 cores)."""
    for args in RUNS:
        print(f"$ python -m {' '.join(args)}", flush=True)
        subprocess.run([sys.executable, "-m", *args], check=True)


if __name__ == "__main__":
    main()
