"""`make run` to first data: how long a new demo wall waits, and how long the history takes.

Runs ``feedbackwall run --demo`` (what ``make run`` runs) ``--runs`` times, each
in a new temporary directory (so a new SQLite store, migrated at start), and
times from starting the process:

- ``serving``: ``/healthz`` answers;
- ``first data``: ``/api/v1/nps`` (the figures the wall's overview shows; the
  loopback caller is the local demo admin) counts a response;
- ``history complete``: the wall's "loading demo history: N%" line is gone
  (read through the same callback the wall polls), with ``--full``.

Medians over the runs. Writes benchmarks/out/first_data.json.

    python -m benchmarks.first_data --runs 3 --full
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx

from benchmarks.common import save
from dashapp.jobs import demo_seed
from dashapp.store import db


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def once(full: bool, limit: float) -> dict[str, float | None]:
    """One start of the demo; seconds from start to each milestone (None if not reached)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as where:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACKWALL_")}
        url = f"sqlite:///{where}/var/feedbackwall.db"
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashapp.cli", "run", "--demo", "--port", str(port)],
            cwd=where,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        found: dict[str, float | None] = {"serving_s": None, "first_data_s": None}
        sessions = db.make_sessionmaker(db.make_engine(url))
        if full:
            found["history_complete_s"] = None
        try:
            while time.monotonic() - started < limit:
                now = time.monotonic() - started
                try:
                    if found["serving_s"] is None:
                        if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                            found["serving_s"] = round(now, 2)
                    elif found["first_data_s"] is None:
                        rows = httpx.get(base + "/api/v1/nps", timeout=5).json()["rows"]
                        if any(r["n"] for r in rows):
                            found["first_data_s"] = round(now, 2)
                            if not full:
                                break
                    else:
                        if demo_seed.loading(sessions) is None:
                            found["history_complete_s"] = round(now, 2)
                            break
                        time.sleep(2)
                except (httpx.HTTPError, KeyError, ValueError):
                    pass
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    return found


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--full", action="store_true", help="also wait for the whole history")
    parser.add_argument("--limit", type=float, default=900, help="seconds to give each run")
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        runs.append(once(args.full, args.limit))
        print(runs[-1], flush=True)
    medians: dict[str, Any] = {}
    for name in runs[0]:
        got = [r[name] for r in runs if r[name] is not None]
        medians[name] = round(statistics.median(got), 2) if got else None
    save("first_data", {"runs": runs, "median": medians})
    print("median", medians)


if __name__ == "__main__":
    main()
