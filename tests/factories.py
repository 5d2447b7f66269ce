"""Raw records for tests: valid by default, with whatever a test overrides."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BRANDS = ("Velora", "Nordhem", "Kvist")
COUNTRIES = ("DE", "FR", "SE", "NL")
TOUCHPOINTS = ("delivery", "service", "purchase")
FIELDS = ["id", "submitted_at", "brand", "country", "touchpoint", "score", "comment", "language"]


def record(i: int = 1, **overrides: Any) -> dict[str, Any]:
    """A valid raw record with id ``r<i>``."""
    base: dict[str, Any] = {
        "id": f"r{i}",
        "submitted_at": "2026-11-20T10:00:00Z",
        "brand": "Velora",
        "country": "DE",
        "touchpoint": "delivery",
        "score": 9,
        "comment": "Schnelle Lieferung, alles bestens",
        "language": "de",
    }
    base.update(overrides)
    return base


def random_records(
    n: int, *, seed: int = 1, end: dt.datetime, days: int = 60
) -> Iterator[dict[str, Any]]:
    """*n* valid records spread over the *days* before *end*, at odd seconds and exact hours."""
    rng = random.Random(seed)
    span = days * 86400
    for i in range(n):
        offset = rng.randrange(span) if i % 10 else rng.randrange(days * 24) * 3600
        at = end - dt.timedelta(seconds=offset)
        yield record(
            i,
            submitted_at=at.isoformat(),
            brand=rng.choice(BRANDS),
            country=rng.choice(COUNTRIES),
            touchpoint=rng.choice(TOUCHPOINTS),
            score=rng.randint(0, 10),
            comment=None if i % 3 else "ok",
        )


def located(records: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Records with API-style locations."""
    return [(f"index {i}", r) for i, r in enumerate(records)]


def write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str] | None = None) -> Path:
    """Write *rows* as a canonical CSV (extra keys become extra columns)."""
    columns = fields or FIELDS + sorted({k for r in rows for k in r} - set(FIELDS))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """Write *rows* as JSON Lines; strings are written as they are (to make bad lines)."""
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path
