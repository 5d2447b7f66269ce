"""Backup and restore of stores with more rows per table than one restore batch."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from dashapp.ingest.pipeline import ingest
from dashapp.store import db
from dashapp.store.backup import BATCH, backup, restore
from dashapp.store.models import Response, ResponseLabel, Rollup
from tests.factories import located, record


def _counts(url: str) -> tuple[int, int, int]:
    with db.make_sessionmaker(db.make_engine(url))() as s:
        return (
            s.scalar(select(func.count()).select_from(Response)) or 0,
            s.scalar(select(func.sum(Rollup.n)).where(Rollup.grain == "d")) or 0,
            s.scalar(select(func.count()).select_from(ResponseLabel)) or 0,
        )


def test_is_backup001_restores_tables_larger_than_a_batch(tmp_path: Path) -> None:
    """Each full batch of a table goes into that table (not into the last one listed)."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    db.upgrade(source)
    rows = BATCH + 7
    minutes = [
        f"2026-11-{1 + i // 1440:02d}T{i // 60 % 24:02d}:{i % 60:02d}:00Z" for i in range(rows)
    ]
    ingest(
        db.make_sessionmaker(db.make_engine(source)),
        "shop",
        located([record(i, submitted_at=minutes[i]) for i in range(rows)]),
    )
    file = tmp_path / "store.fwb.gz"
    done: list[int] = []
    written = backup(db.make_engine(source), file, progress=done.append)
    assert written["responses"] == rows
    assert sum(done) == sum(written.values())  # the bar counted every row written

    target = f"sqlite:///{tmp_path / 'target.db'}"
    db.upgrade(target)
    loaded: list[int] = []
    restored = restore(db.make_engine(target), file, progress=loaded.append)
    assert restored["responses"] == rows
    assert _counts(target) == _counts(source) == (rows, rows, _counts(source)[2])
    assert sum(loaded) == sum(restored.values())
