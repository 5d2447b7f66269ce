"""Garbage collection in a web worker: how long a full collection stalls it, unfrozen and frozen.

Builds the app as a gunicorn worker does (``create_app`` on a fresh SQLite
store), then times ``gc.collect()`` (a collection of the oldest generation,
as CPython runs by itself every so often under load) as start-up left the
process, and again after ``gc.freeze()``, in the same run. Every request
thread of the worker waits for the duration (the collector holds the GIL).
Web workers are not frozen: see docs/benchmarks.md, "Garbage collection".

    python -m benchmarks.gc_pause
"""

from __future__ import annotations

import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import require, save


def collect_ms(samples: int = 7) -> list[float]:
    """Milliseconds of each of *samples* full collections."""
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        gc.collect()
        times.append(1000 * (time.perf_counter() - started))
    return times


def main() -> None:
    """Command line entry point."""
    workdir = Path(tempfile.mkdtemp())
    os.environ["FEEDBACKWALL_DATABASE_URL"] = f"sqlite:///{workdir / 'store.db'}"
    from dashapp import create_app
    from dashapp.store import db

    db.upgrade(os.environ["FEEDBACKWALL_DATABASE_URL"])
    app = create_app()
    require(app.server is not None, "no app")
    gc.collect()
    tracked = len(gc.get_objects())
    before = collect_ms()
    gc.freeze()
    frozen = gc.get_freeze_count()
    after = collect_ms()
    result = {
        "tracked_objects_after_start": tracked,
        "frozen_objects": frozen,
        "full_collection_ms_before": statistics.median(before),
        "full_collection_ms_after": statistics.median(after),
        "samples_before": before,
        "samples_after": after,
    }
    for key, value in result.items():
        print(f"{key:32} {value}")
    save("gc_pause", result)


if __name__ == "__main__":
    main()
