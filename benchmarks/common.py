"""Shared helpers for the benchmark scripts: timing, medians, machine facts, result files."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy.engine import make_url

OUT = Path(__file__).resolve().parent / "out"
DATA = Path(__file__).resolve().parent / "data"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds *fn* took, and what it returned."""
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def median_ms(samples: list[float]) -> float:
    """Median of samples given in seconds, in milliseconds."""
    return statistics.median(samples) * 1000


def median_call_ms(call: Callable[[], Any], samples: int) -> float:
    """Median milliseconds of *call* over *samples* runs, after one warm-up run."""
    call()
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return round(1000 * statistics.median(times), 2)


def machine() -> dict[str, Any]:
    """Facts about where the numbers were measured."""
    cpu = ""
    try:
        cpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        cpu = next(
            (ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if "Model name" in ln), ""
        )
    except OSError:
        pass
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "load_average": os.getloadavg(),
    }


def save(name: str, result: dict[str, Any]) -> Path:
    """Write *result* with machine facts to benchmarks/out/<name>.json."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2, default=str))
    return path


def require(condition: object, message: str) -> None:
    """Stop the benchmark with *message* unless *condition* holds (also under python -O)."""
    if not condition:
        raise SystemExit(f"check failed: {message}")


def store_url(base: str, schema: str) -> str:
    """PostgreSQL URL *base* with its search path set to *schema*."""
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def fresh_schema(base: str, schema: str) -> str:
    """An empty *schema* in the PostgreSQL database *base* (dropped first); its store URL."""
    run_sql(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE", f"CREATE SCHEMA {schema}")
    return store_url(base, schema)


def drop_schema(base: str, schema: str) -> None:
    """Drop *schema* and everything in it from the PostgreSQL database *base*."""
    run_sql(base, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def run_sql(url: str, *statements: str) -> None:
    """Run *statements* in one transaction on the database at *url*."""
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()
