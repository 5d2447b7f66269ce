"""The SQL source against real databases, through the real poller into the real store."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from dashapp.models import Response, SourceState
from dashapp.scheduler import Poller
from data_sources import build
from data_sources.base import SourceError
from data_sources.sql import SqlSource

PG_URL = os.environ.get("FEEDBACKWALL_TEST_PG_URL")
T0 = dt.datetime(2026, 11, 20, 8, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def source_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(URL, table name) of a fresh answers table in another database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
    elif PG_URL:
        url = PG_URL
    else:
        pytest.skip("FEEDBACKWALL_TEST_PG_URL not set (.ci/run sets it)")
    name = f"answers_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    answers = Table(
        name,
        MetaData(),
        Column("answer_id", Integer, primary_key=True),
        Column("updated_at", DateTime),
        Column("brand", String(20)),
        Column("country", String(2)),
        Column("touchpoint", String(20)),
        Column("nps", Integer),
        Column("remark", String(200)),
        Column("channel", String(10)),
    )
    answers.create(engine)
    engine.dispose()
    yield url, name
    engine = create_engine(url)
    answers.drop(engine)
    engine.dispose()


def add_rows(url: str, name: str, ids: range, at: dt.datetime) -> None:
    engine = create_engine(url)
    table = Table(name, MetaData(), autoload_with=engine)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {
                    "answer_id": i,
                    "updated_at": at,
                    "brand": "Velora",
                    "country": "DE",
                    "touchpoint": "delivery",
                    "nps": i % 11,
                    "remark": f"Antwort {i}",
                    "channel": "app",
                }
                for i in ids
            ],
        )
    engine.dispose()


def source(url: str, name: str, page_size: int = 7) -> SqlSource:
    return SqlSource(
        "crm",
        url=url,
        table=name,
        columns={
            "id": "answer_id",
            "submitted_at": "updated_at",
            "score": "nps",
            "comment": "remark",
        },
        cursor_column="updated_at",
        id_column="answer_id",
        page_size=page_size,
    )


def stored(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as s:
        return sorted(s.scalars(select(Response.external_id).where(Response.source == "crm")))


def test_sql001_pages_sharing_a_timestamp_lose_nothing(
    sessions: sessionmaker[Session], source_db: tuple[str, str]
) -> None:
    url, name = source_db
    add_rows(url, name, range(1, 6), T0)
    add_rows(url, name, range(6, 19), T0 + dt.timedelta(minutes=5))  # 13 rows, one timestamp
    add_rows(url, name, range(19, 26), T0 + dt.timedelta(minutes=9))
    report = Poller(source(url, name), sessions, interval=60).run()
    assert report is not None
    assert (report.accepted, len(report.rejected)) == (25, 0)
    assert stored(sessions) == sorted(str(i) for i in range(1, 26))
    with sessions() as s:
        row = s.scalars(select(Response).where(Response.external_id == "7")).one()
        assert row.submitted_at == (T0 + dt.timedelta(minutes=5)).replace(tzinfo=dt.UTC)
        assert row.comment == "Antwort 7"
        assert row.properties == {"channel": "app"}


def test_sql002_restart_reads_only_new_rows(
    sessions: sessionmaker[Session], source_db: tuple[str, str]
) -> None:
    url, name = source_db
    add_rows(url, name, range(1, 11), T0)
    Poller(source(url, name), sessions, interval=60).run()
    add_rows(url, name, range(11, 14), T0)  # same timestamp, higher ids: still after the cursor
    add_rows(url, name, range(14, 16), T0 + dt.timedelta(hours=1))
    restarted = Poller(source(url, name), sessions, interval=60)
    report = restarted.run()
    assert report is not None
    assert (report.accepted, report.duplicates) == (5, 0)
    assert len(stored(sessions)) == 15


def test_sql003_unreachable_database_is_reported(sessions: sessionmaker[Session]) -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"
    poller = Poller(source(url, "answers"), sessions, interval=60)
    poller.run()
    with sessions() as s:
        state = s.get(SourceState, "crm")
        assert state is not None
        assert state.consecutive_failures == 1
        assert "127.0.0.1:1" in (state.last_error or "")
        assert "secret" not in (state.last_error or "")
        assert s.scalar(select(func.count()).select_from(Response)) == 0


def test_sql004_bad_options_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="exactly one of the options 'table' and 'query'"):
        build("sql", "crm", {"url": "sqlite://"})
    with pytest.raises(SourceError, match="'columns' maps unknown field"):
        build("sql", "crm", {"url": "sqlite://", "table": "t", "columns": {"nps": "x"}})
    with pytest.raises(SourceError, match="unexpected keyword"):
        build("sql", "crm", {"url": "sqlite://", "table": "t", "tabel": "x"})


def test_sql005_query_source(sessions: sessionmaker[Session], source_db: tuple[str, str]) -> None:
    url, name = source_db
    add_rows(url, name, range(1, 9), T0)
    query_source = SqlSource(
        "crm",
        url=url,
        query=(
            "SELECT answer_id AS id, updated_at, brand, country, touchpoint, nps AS score"
            f" FROM {name} WHERE nps >= 5"
        ),
        cursor_column="updated_at",
        columns={"submitted_at": "updated_at"},
        page_size=3,
    )
    report = Poller(query_source, sessions, interval=60).run()
    assert report is not None
    assert report.accepted == 4  # scores 5..8
