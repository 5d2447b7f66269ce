"""The demo's history seeded newest day first, the rest after, with its progress in the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.pipeline import ingest
from dashapp.jobs import demo_seed
from dashapp.store import db
from dashapp.store.models import Response, Rollup, StoreMeta
from data_sources.demo import history, history_between
from tests.factories import located, record

NOW = dt.datetime(2026, 11, 20, 9, 30, 27, tzinfo=dt.UTC)


def _sessions(tmp_path: Path, name: str) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / name}"
    db.upgrade(url)
    return db.make_sessionmaker(db.make_engine(url))


def _stored(sessions: sessionmaker[Session]) -> tuple[list[tuple[object, ...]], ...]:
    with sessions() as session:
        ids = sorted(
            session.execute(select(Response.external_id, Response.score, Response.comment)).all()
        )
        rollups = sorted(session.execute(select(Rollup.__table__)).all())
    return [tuple(r) for r in ids], [tuple(r) for r in rollups]


def test_lh_seed001_newest_day_first_then_the_rest_equals_the_history_at_once(
    tmp_path: Path,
) -> None:
    pieces, whole = _sessions(tmp_path, "pieces.db"), _sessions(tmp_path, "whole.db")
    with pieces.begin() as session:
        asked = demo_seed.begin(session, NOW, 3)
    assert asked is not None and asked.percent == 0
    assert demo_seed.loading(pieces) == 0
    seen: list[tuple[int | None, int, dt.datetime]] = []

    def started() -> None:
        # What a screen reads when the live demo starts: the newest day, and 1 of 3 days done.
        with pieces() as session:
            n = session.scalar(select(func.count()).select_from(Response)) or 0
            oldest = session.scalar(select(func.min(Response.submitted_at)))
        assert oldest is not None
        seen.append((demo_seed.loading(pieces), n, oldest))

    accepted = demo_seed.seed(pieces, "demo", started=started)
    assert len(seen) == 1
    percent, n, oldest = seen[0]
    assert percent == 33 and n > 0
    assert oldest >= NOW.replace(second=0) - dt.timedelta(days=1)
    ingest(whole, "demo", history(3, NOW))
    assert _stored(pieces) == _stored(whole)
    assert accepted == len(_stored(whole)[0])
    # Done: nothing is left saying it loads.
    assert demo_seed.loading(pieces) is None
    with pieces() as session:
        assert not session.scalars(
            select(StoreMeta.key).where(StoreMeta.key.like("demo_history%"))
        ).all()


def test_lh_seed002_a_store_in_use_is_never_seeded(tmp_path: Path) -> None:
    sessions = _sessions(tmp_path, "used.db")
    ingest(sessions, "mine", located([record(1)]))
    with sessions.begin() as session:
        assert demo_seed.begin(session, NOW, 3) is None
    calls: list[int] = []
    assert demo_seed.seed(sessions, "demo", started=lambda: calls.append(1)) == 0
    assert calls == [1]
    assert demo_seed.loading(sessions) is None
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_lh_seed003_a_restart_part_way_carries_on_and_starts_the_live_demo_at_once(
    tmp_path: Path,
) -> None:
    sessions, whole = _sessions(tmp_path, "restart.db"), _sessions(tmp_path, "whole.db")
    with sessions.begin() as session:
        asked = demo_seed.begin(session, NOW, 2)
    assert asked is not None
    # The first process stored the newest day and the first hours before it, then died
    # before marking them: they come again and are duplicates, not doubles.
    end = NOW.replace(second=0, microsecond=0)
    ingest(sessions, "demo", history_between(end - dt.timedelta(days=1, hours=3), end))
    demo_seed._reach(sessions, asked.end - 1440)
    assert demo_seed.loading(sessions) == 50
    counts: list[int] = []

    def started() -> None:
        with sessions() as session:
            counts.append(session.scalar(select(func.count()).select_from(Response)) or 0)

    demo_seed.seed(sessions, "demo", started=started)
    ingest(whole, "demo", history(2, NOW))
    assert _stored(sessions) == _stored(whole)
    # Started before any more history was stored.
    assert len(counts) == 1 and counts[0] < len(_stored(whole)[0])
    assert demo_seed.loading(sessions) is None


def test_lh_seed004_percent_counts_whole_minutes_and_reaches_100_only_at_the_start() -> None:
    assert demo_seed.Progress(start=0, end=1000, reached=1000).percent == 0
    assert demo_seed.Progress(start=0, end=1000, reached=571).percent == 42
    assert demo_seed.Progress(start=0, end=1000, reached=1).percent == 99
    assert demo_seed.Progress(start=0, end=1000, reached=0).percent == 100
    assert demo_seed.Progress(start=0, end=1000, reached=0).done
