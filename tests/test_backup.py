"""Backup and restore: a store comes back whole (SQLite and PostgreSQL), or not at all."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from dashapp.ingest.pipeline import ingest
from dashapp.labels.queries import label_counts
from dashapp.metrics.queries import counts
from dashapp.store import counters as versions
from dashapp.store import db
from dashapp.store.backup import backup
from dashapp.store.models import Response
from tests.factories import located, record
from tests.test_cli import invoke
from tests.test_labels_store import END, corpus

WINDOW = (END - dt.timedelta(days=40), END)


def figures(url: str) -> tuple[object, ...]:
    sessions = db.make_sessionmaker(db.make_engine(url))
    with sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Response)),
            counts(s, ("brand", "country"), *WINDOW),
            label_counts(s, *WINDOW),
            versions.read(s).data,
        )


def test_bak001_round_trip_to_either_store(store_url: str, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    db.upgrade(source)
    ingest(db.make_sessionmaker(db.make_engine(source)), "shop", located(corpus(250)))
    backup = tmp_path / "store.fwb.gz"
    code, out, _ = invoke(source, "db", "backup", str(backup))
    assert code == 0
    assert "250 responses" in out
    code, out, _ = invoke(store_url, "db", "restore", str(backup))
    assert code == 0, out
    assert figures(store_url) == figures(source)
    # The restored store keeps working: new responses get fresh ids.
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    report = ingest(sessions, "shop", located([record(9999, submitted_at=END.isoformat())]))
    assert report.accepted == 1
    # A second restore into the now non-empty store is refused, and changes nothing.
    code, _, err = invoke(store_url, "db", "restore", str(backup))
    assert code != 0
    assert "not empty" in err
    assert figures(store_url)[0] == 251


def test_bak002_broken_files_are_refused_whole(store_url: str, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    db.upgrade(source)
    ingest(db.make_sessionmaker(db.make_engine(source)), "shop", located(corpus(50)))
    good = tmp_path / "good.gz"
    invoke(source, "db", "backup", str(good))
    with gzip.open(good, "rt") as fh:
        lines = fh.read().splitlines()
    truncated = tmp_path / "truncated.gz"
    with gzip.open(truncated, "wt") as fh:
        fh.write("\n".join(lines[:-3]) + "\n{not json")
    code, _, err = invoke(store_url, "db", "restore", str(truncated))
    assert code != 0
    assert f"line {len(lines) - 2} is not JSON" in err
    assert figures(store_url)[0] == 0
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    code, _, err = invoke(store_url, "db", "restore", str(plain))
    assert code != 0
    assert "not a readable backup" in err


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The common default umask, under which a plainly created file is world-readable."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_bak003_backup_file_is_private(store_url: str, tmp_path: Path) -> None:
    """A backup holds the session key and password hashes: it is written 0600, never wider."""
    ingest(db.make_sessionmaker(db.make_engine(store_url)), "shop", located(corpus(20)))
    backup_path = tmp_path / "store.fwb.gz"
    # Leftovers readable by all (an older backup, a crashed run's partial) must not lend
    # their mode to the new file.
    for leftover in (backup_path, tmp_path / "store.fwb.gz.partial"):
        leftover.write_bytes(b"old")
        leftover.chmod(0o644)
    code, out, _ = invoke(store_url, "db", "backup", str(backup_path))
    assert code == 0, out
    assert mode(backup_path) == 0o600
    assert not (tmp_path / "store.fwb.gz.partial").exists()
    with gzip.open(backup_path) as fh:
        assert fh.readline().startswith(b'{"format"')


@pytest.mark.usefixtures("umask_022")
def test_bak004_backup_is_private_while_written(store_url: str, tmp_path: Path) -> None:
    """The partial backup is 0600 from its creation on, not chmod-ed once complete."""
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite readers (WAL) never wait for a lock, so the backup cannot be held")
    ingest(db.make_sessionmaker(db.make_engine(store_url)), "shop", located(corpus(20)))
    partial = tmp_path / "b.gz.partial"
    engine = db.make_engine(store_url)
    # Hold the responses table: the backup creates its file, then waits at that table.
    with engine.begin() as lock:
        lock.execute(text("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE"))
        worker = threading.Thread(
            target=backup, args=(db.make_engine(store_url), tmp_path / "b.gz"), daemon=True
        )
        worker.start()
        deadline = time.monotonic() + 20
        while not partial.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert partial.exists(), "the backup never created its file"
        assert worker.is_alive()  # still waiting at the lock: the file is in the making
        assert mode(partial) == 0o600
    worker.join(30)
    assert not worker.is_alive()
    assert mode(tmp_path / "b.gz") == 0o600
    engine.dispose()


@pytest.mark.usefixtures("umask_022")
def test_bak005_sqlite_store_files_are_private(tmp_path: Path) -> None:
    """The SQLite store the app creates, and its -wal and -shm files, are 0600."""
    path = tmp_path / "var" / "feedbackwall.db"
    url = f"sqlite:///{path}"
    db.upgrade(url)
    engine = db.make_engine(url)
    # While a connection writes, the WAL and shared-memory files exist.
    with engine.begin() as conn:
        conn.execute(text("UPDATE store_meta SET value = value + 1"))
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    engine.dispose()
