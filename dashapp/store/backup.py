"""Backup and restore of the whole store as one portable file (gzip'd JSON lines).

A backup is read in one transaction, so it is a consistent snapshot even while
ingest runs; it holds every table in dependency order with the schema revision
it was taken at. A restore goes into an empty store migrated to the same
revision, in one transaction: it is complete or it did not happen. The format
does not depend on the database, so a SQLite store can move to PostgreSQL
(and back) this way. The file is created readable by its owner only (0600): it
holds the session signing key, password hashes and every comment.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from sqlalchemy import Engine, Table, func, select, text

from dashapp.store import local_zone
from dashapp.store.models import Base

FORMAT = "feedbackwall-backup"
VERSION = 1
BATCH = 5_000
#: Who runs the scheduled jobs is about running processes, not data.
SKIPPED = {"scheduler_lease"}


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why."""


def _tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def rows_in(engine: Engine) -> int:
    """How many rows a backup of *engine*'s store would write now (for a progress bar)."""
    with engine.connect() as conn:
        return sum(conn.scalar(select(func.count()).select_from(t)) or 0 for t in _tables())


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"$dt"}:
        return dt.datetime.fromisoformat(value["$dt"])
    return value


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup(
    engine: Engine, path: Path, *, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Write the store to *path*; rows written per table. *progress* hears of every 5,000."""
    written: dict[str, int] = {}
    tmp = path.with_name(path.name + ".partial")
    with (
        engine.connect() as conn,
        _private(tmp) as raw,
        gzip.open(raw, "wt", encoding="utf-8") as out,
    ):
        conn = (
            conn.execution_options(isolation_level="REPEATABLE READ")
            if (engine.dialect.name == "postgresql")
            else conn
        )
        with conn.begin():
            header = {
                "format": FORMAT,
                "version": VERSION,
                "revision": MigrationContext.configure(conn).get_current_revision(),
                "created_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            out.write(json.dumps(header) + "\n")
            for table in _tables():
                count = 0
                rows = conn.execute(select(table)).mappings()
                for row in rows:
                    record = {k: _encode(v) for k, v in row.items()}
                    out.write(json.dumps({"t": table.name, "r": record}) + "\n")
                    count += 1
                    if progress is not None and count % BATCH == 0:
                        progress(BATCH)
                written[table.name] = count
                if progress is not None and count % BATCH:
                    progress(count % BATCH)
    # Only a complete file takes the name: a crash leaves the .partial behind, never a short backup.
    tmp.replace(path)
    return written


def _private(path: Path) -> io.BufferedWriter:
    """A new file at *path* that only its owner can read, so from its first byte on.

    A backup holds the session signing key (enough to forge any user's cookie),
    password hashes and every comment. The mode is given at creation: a chmod after
    writing would leave a window, and a stale file (a crashed run's) would keep its
    own mode, so it is removed and the name taken exclusively.
    """
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    return os.fdopen(fd, "wb")


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    raise BackupError(f"{path}: line {number} is not JSON") from None
    except (OSError, EOFError) as exc:
        raise BackupError(f"{path}: not a readable backup ({exc})") from None


def restore(
    engine: Engine, path: Path, *, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Load the backup at *path* into the empty store of *engine*; rows restored per table.

    *progress* hears how many rows each insert added.
    """
    lines = _lines(path)
    header = next(lines, None)
    if not header or header.get("format") != FORMAT:
        raise BackupError(f"{path}: not a Feedback Wall backup")
    if header.get("version") != VERSION:
        raise BackupError(f"{path}: backup format {header.get('version')} is not {VERSION}")
    revision = _revision(engine)
    if revision != header["revision"]:
        raise BackupError(
            f"the store is at schema {revision}, the backup at {header['revision']}:"
            " run `feedbackwall db upgrade` on an empty store of the same release"
        )
    tables = {t.name: t for t in _tables()}
    restored = dict.fromkeys(tables, 0)
    with engine.begin() as conn:
        for name, table in tables.items():
            if name == "store_meta":
                continue  # a migrated store has its own facts; the backup's replace them below
            if conn.scalar(select(func.count()).select_from(table)):
                raise BackupError(
                    f"the store is not empty (table {name} has rows): nothing restored"
                )
        conn.execute(tables["store_meta"].delete())
        pending: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            kind = line.get("t")
            if not isinstance(kind, str) or kind not in tables:
                raise BackupError(f"{path}: unknown table {kind!r}")
            batch = pending.setdefault(kind, [])
            batch.append({k: _decode(v) for k, v in line["r"].items()})
            if len(batch) >= BATCH:
                # Into the table the rows belong to (this once named the last table listed).
                conn.execute(tables[kind].insert(), batch)
                restored[kind] += len(batch)
                if progress is not None:
                    progress(len(batch))
                batch.clear()
        for name, batch in pending.items():
            if batch:
                conn.execute(tables[name].insert(), batch)
                restored[name] += len(batch)
                if progress is not None:
                    progress(len(batch))
        # The display zone's days are rebuilt by the scheduler for the zone configured
        # here: a backup read without a snapshot (SQLite) may pair one zone's days with
        # another zone's name.
        rollups, meta = tables["rollups"], tables["store_meta"]
        conn.execute(rollups.delete().where(rollups.c.grain == "l"))
        conn.execute(meta.update().where(meta.c.key == local_zone.KEY).values(text=None))
        if engine.dialect.name == "postgresql":
            _reset_sequences(conn, tables.values())
    return restored


def _reset_sequences(conn: Any, tables: Any) -> None:
    """Let PostgreSQL's id sequences continue after the restored ids."""
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement in (True, "auto") and pk[0].type.python_type is int:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'),"
                    f" COALESCE((SELECT max({pk[0].name}) FROM {table.name}), 0) + 1, false)"
                )
            )
