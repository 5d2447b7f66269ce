"""CLI start: wall time and peak memory of `feedbackwall --help` and `nps` on a small store.

Each command runs in a fresh process ``--repeats`` times (medians), beside a
baseline measured in the same run: ``python -c "import click"`` (the interpreter
and the CLI library, nothing of ours). ``nps`` asks a migrated SQLite store
holding 200 responses for NPS by brand and country.

    python -m benchmarks.cli_start --repeats 7
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import save
from benchmarks.import_speed import csv_for


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one fresh process running *args*."""
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, kib = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kib) / 1024


def series(args: list[str], env: dict[str, str], repeats: int) -> dict[str, Any]:
    """Medians of *repeats* runs of *args* after one warm-up run."""
    measured(args, env)
    runs = [measured(args, env) for _ in range(repeats)]
    return {
        "seconds_median": round(statistics.median(r[0] for r in runs), 3),
        "rss_mib_median": round(statistics.median(r[1] for r in runs), 1),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "dashapp.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{Path(tmp) / 'store.db'}"
        env = {**os.environ, "FEEDBACKWALL_DATABASE_URL": store}
        small = Path(tmp) / "small.csv"
        with csv_for(20_000).open(encoding="utf-8") as fh:
            small.write_text("".join(line for _, line in zip(range(201), fh, strict=False)))
        subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
        subprocess.run([*cli, "import", str(small)], env=env, check=True, capture_output=True)
        result: dict[str, Any] = {
            "baseline (python -c 'import click')": series(
                [sys.executable, "-c", "import click"], env, args.repeats
            ),
            "--help": series([*cli, "--help"], env, args.repeats),
            "nps": series(
                [*cli, "nps", "--by", "brand,country", "--as-of", "2026-11-20T00:00Z"],
                env,
                args.repeats,
            ),
            "load_average": os.getloadavg(),
        }
    for name, figures in result.items():
        print(f"{name}: {figures}")
    print(save("cli-start", result))


if __name__ == "__main__":
    main()
