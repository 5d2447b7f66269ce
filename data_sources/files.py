"""CSV and JSON Lines files in the canonical schema, read as a stream.

Columns: id, submitted_at, brand, country, touchpoint, score, comment,
language; any other column goes to the response's properties. Locations are
physical line numbers, as an editor shows them.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_sources.base import Batch, Cursor, Located, SourceError

REQUIRED_COLUMNS = ("id", "submitted_at", "brand", "country", "touchpoint", "score")


@dataclass(frozen=True, slots=True)
class Malformed:
    """A line that is not a record at all (bad JSON, wrong type)."""

    text: str
    reason: str


def read_records(path: Path) -> Iterator[Located]:
    """Stream the records of a .csv, .jsonl or .ndjson file, with their line numbers."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path)
    raise SourceError(f"{path}: unknown file type {suffix!r}; use .csv or .jsonl")


# Bytes that are not UTF-8 are read as lone surrogates (surrogateescape): validation
# then rejects that one record by line and field instead of the file failing whole.
def _read_csv(path: Path) -> Iterator[Located]:
    with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise SourceError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if None in row:  # more cells than header columns
                yield (
                    f"line {reader.line_num}",
                    Malformed(
                        ",".join(map(str, row.pop(None) or [])), "has more cells than the header"
                    ),
                )
                continue
            yield f"line {reader.line_num}", {k: v for k, v in row.items() if v != ""}


def _read_jsonl(path: Path) -> Iterator[Located]:
    with path.open(encoding="utf-8-sig", errors="surrogateescape") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield f"line {number}", Malformed(line.strip(), f"is not valid JSON ({exc.msg})")
                continue
            if not isinstance(value, dict):
                yield f"line {number}", Malformed(line.strip(), "is not a JSON object")
                continue
            yield f"line {number}", value


def fingerprint(path: Path) -> str:
    """Size and modification time: a changed file gets read again (dedupe keeps it exact)."""
    stat = path.stat()
    return hashlib.blake2b(f"{stat.st_size}:{stat.st_mtime_ns}".encode(), digest_size=8).hexdigest()


class FilesSource:
    """A drop folder: every new or changed file matching *pattern* is imported whole."""

    def __init__(self, name: str, *, path: str, pattern: str = "*.csv") -> None:
        self.name = name
        self.folder = Path(path)
        self.pattern = pattern

    def poll(self, cursor: Cursor | None) -> Batch:
        """The records of the first file not yet read in its current version."""
        if not self.folder.is_dir():
            raise SourceError(f"folder {self.folder} does not exist")
        seen: dict[str, str] = dict((cursor or {}).get("files", {}))
        pending = [
            p for p in sorted(self.folder.glob(self.pattern)) if seen.get(p.name) != fingerprint(p)
        ]
        if not pending:
            return Batch([], cursor)
        path = pending[0]
        records = [(f"{path.name} {loc}", raw) for loc, raw in read_records(path)]
        seen[path.name] = fingerprint(path)
        return Batch(records, {"files": seen}, more=len(pending) > 1)
