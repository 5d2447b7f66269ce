"""Backup and restore: a store comes back whole (SQLite and PostgreSQL), or not at all."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

from sqlalchemy import func, select

from dashapp import db, versions
from dashapp.ingest import ingest
from dashapp.label_queries import label_counts
from dashapp.models import Response
from dashapp.queries import counts
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
