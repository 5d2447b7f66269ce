"""The SQL source against real databases, through the real poller into the real store.

Source databases: a SQLite file, and PostgreSQL (database ``test``) when
FEEDBACKWALL_TEST_PG_URL is set; each test makes its own uniquely named table.
Every store test runs on both stores (the ``sessions`` fixture).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from dashapp.jobs.scheduler import Poller
from dashapp.store.models import Response, SourceState
from data_sources import build
from data_sources.base import SourceError
from data_sources.sql import SqlSource

PG_URL = os.environ.get("FEEDBACKWALL_TEST_PG_URL")
#: Naive, as the source stores it: the source must read it as UTC.
T0 = dt.datetime(2026, 11, 20, 8, 0)
UTC_T0 = T0.replace(tzinfo=dt.UTC)
MAPPING = {"id": "answer_id", "submitted_at": "updated_at", "score": "nps", "comment": "remark"}


class SourceDb:
    """A table of NPS answers in another database, and a count of the queries that read it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.name = f"answers_{uuid.uuid4().hex[:10]}"
        self.engine = create_engine(url)
        self.table = Table(
            self.name,
            MetaData(),
            Column("answer_id", Integer, primary_key=True, autoincrement=False),
            Column("updated_at", DateTime),
            Column("brand", String(20)),
            Column("country", String(2)),
            Column("touchpoint", String(20)),
            Column("nps", Integer),
            Column("remark", String(200)),
            Column("channel", String(10)),
            Column("visited_at", DateTime),
        )
        self.queries = 0
        self.sources: list[SqlSource] = []
        with self.engine.connect():
            pass  # a SQLite file exists from here on, as a real source database would

    def count_query(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        """Engine event hook: count statements that read this table (from any engine)."""
        if self.name in statement and statement.lstrip().upper().startswith("SELECT"):
            self.queries += 1

    def create(self) -> None:
        """Create the table (tests of a missing table call this late)."""
        self.table.create(self.engine)

    def add(self, ids: range | list[int], at: dt.datetime) -> None:
        """Insert answers with these ids, all updated at *at*."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(self.table),
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
                        "visited_at": at - dt.timedelta(minutes=1),
                    }
                    for i in ids
                ],
            )

    def source(
        self, page_size: int = 7, query: str | None = None, columns: dict[str, str] = MAPPING
    ) -> SqlSource:
        """A source on this table (or on *query*), closed when the test ends."""
        made = SqlSource(
            "crm",
            url=self.url,
            table=None if query else self.name,
            query=query,
            columns=columns,
            cursor_column="updated_at",
            id_column="answer_id",
            page_size=page_size,
        )
        self.sources.append(made)
        return made


@pytest.fixture(params=["sqlite-source", "postgresql-source"])
def source_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceDb]:
    """A source database with a fresh (not yet created) answers table name."""
    if request.param == "sqlite-source":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
    elif PG_URL:
        url = PG_URL  # unreachable PostgreSQL fails the test, as in conftest
    else:
        pytest.skip("FEEDBACKWALL_TEST_PG_URL not set (.ci/run sets it)")
    db = SourceDb(url)
    event.listen(Engine, "before_cursor_execute", db.count_query)
    try:
        yield db
    finally:
        event.remove(Engine, "before_cursor_execute", db.count_query)
        for made in db.sources:
            made.close()
        db.table.drop(db.engine, checkfirst=True)
        db.engine.dispose()


@pytest.fixture
def answers(source_db: SourceDb) -> SourceDb:
    """The source database with its answers table created (empty)."""
    source_db.create()
    return source_db


def stored(sessions: sessionmaker[Session]) -> list[str]:
    """External ids of the stored responses, in id order."""
    with sessions() as s:
        ids = s.scalars(select(Response.external_id).where(Response.source == "crm"))
        return sorted(ids, key=int)


def rows(sessions: sessionmaker[Session]) -> int:
    """Number of responses in the store (any source)."""
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def state(sessions: sessionmaker[Session]) -> SourceState:
    """The crm source's persisted state."""
    with sessions() as s:
        found = s.get(SourceState, "crm")
        assert found is not None
        return found


def test_sql001_pages_sharing_a_timestamp_arrive_exactly_once(
    sessions: sessionmaker[Session], answers: SourceDb
) -> None:
    answers.add(range(1, 6), T0)
    answers.add(range(6, 19), T0 + dt.timedelta(minutes=5))  # 13 rows at one instant: 3 pages
    answers.add(range(19, 26), T0 + dt.timedelta(minutes=9))
    answers.add([26, 27, 28], T0 - dt.timedelta(hours=1))  # high ids, oldest: read first

    report = Poller(answers.source(page_size=7), sessions, interval=60).run()

    assert report is not None
    assert (report.accepted, report.duplicates, len(report.rejected)) == (28, 0, 0)
    assert stored(sessions) == [str(i) for i in range(1, 29)]
    assert rows(sessions) == 28
    # One column probe, four full pages and the empty page that says "no more".
    assert answers.queries == 1 + 5
    with sessions() as s:
        row = s.scalars(select(Response).where(Response.external_id == "7")).one()
    assert row.submitted_at == UTC_T0 + dt.timedelta(minutes=5)  # naive in the source = UTC
    assert (row.score, row.comment) == (7, "Antwort 7")
    # PostgreSQL hands back datetimes (ISO with Z); SQLite has no such type and gives
    # text, which stays as it is outside submitted_at.
    visited = (
        "2026-11-20T08:04:00Z" if "postgresql" in answers.url else "2026-11-20 08:04:00.000000"
    )
    assert row.properties == {"channel": "app", "visited_at": visited}
    cursor = state(sessions).cursor
    assert cursor is not None
    assert cursor["id"] == {"type": "plain", "value": 25}


def test_sql002_restart_reads_only_new_rows(
    sessions: sessionmaker[Session], answers: SourceDb
) -> None:
    answers.add(range(1, 11), T0)
    assert Poller(answers.source(page_size=7), sessions, interval=60).run() is not None
    answers.add(range(11, 14), T0)  # same instant as the mark, higher ids: still after it
    answers.add(range(14, 16), T0 + dt.timedelta(hours=1))
    answers.add([0], T0 - dt.timedelta(hours=1))  # older than the mark: by design not read
    answers.queries = 0

    # A restart: a new source object built from configuration, a new poller.
    fresh = build(
        "sql",
        "crm",
        {
            "url": answers.url,
            "table": answers.name,
            "columns": MAPPING,
            "id_column": "answer_id",
            "page_size": 7,
        },
    )
    assert isinstance(fresh, SqlSource)
    answers.sources.append(fresh)
    report = Poller(fresh, sessions, interval=60).run()

    assert report is not None
    assert (report.accepted, report.duplicates) == (5, 0)  # nothing read twice
    assert answers.queries == 1 + 1  # the probe and a single page of the 5 new rows
    assert stored(sessions) == [str(i) for i in range(1, 16)]

    answers.queries = 0
    quiet = Poller(fresh, sessions, interval=60).run()
    assert quiet is not None
    assert quiet.accepted == quiet.duplicates == 0
    assert answers.queries == 1  # the same source object probes only once


def test_sql003_failure_is_recorded_backs_off_and_recovers(
    sessions: sessionmaker[Session], source_db: SourceDb
) -> None:
    poller = Poller(source_db.source(), sessions, interval=60)
    t0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)

    assert poller.run(now=t0) is not None  # the table does not exist yet
    failed = state(sessions)
    assert failed.consecutive_failures == 1
    assert source_db.name in (failed.last_error or "")
    assert "Traceback" not in (failed.last_error or "")
    assert failed.last_error_at == t0

    asked = source_db.queries
    assert poller.run(now=t0 + dt.timedelta(seconds=59)) is None  # inside the 60 s backoff
    assert source_db.queries == asked
    poller.run(now=t0 + dt.timedelta(seconds=60))
    assert state(sessions).consecutive_failures == 2
    # Two failures: 120 s.
    assert poller.run(now=t0 + dt.timedelta(seconds=179)) is None

    source_db.create()
    source_db.add(range(1, 4), T0)
    report = poller.run(now=t0 + dt.timedelta(seconds=180))
    assert report is not None
    assert report.accepted == 3
    recovered = state(sessions)
    assert (recovered.consecutive_failures, recovered.last_error) == (0, None)
    assert recovered.last_error_at is None
    assert recovered.last_success_at == t0 + dt.timedelta(seconds=180)
    assert rows(sessions) == 3


def test_sql004_unreachable_database_hides_the_password(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    url = "postgresql+psycopg://nobody:s3cr3t-pw@127.0.0.1:1/none"
    source = SqlSource("crm", url=url, table="answers")
    Poller(source, sessions, interval=60).run()
    error = state(sessions).last_error or ""
    assert error.startswith("postgresql+psycopg://nobody:***@127.0.0.1:1/none: OperationalError")
    assert "s3cr3t-pw" not in error
    assert "\n" not in error
    assert rows(sessions) == 0

    missing = tmp_path / "typo.db"
    with pytest.raises(SourceError, match=r"typo\.db does not exist"):
        SqlSource("crm", url=f"sqlite:///{missing}", table="answers").poll(None)
    assert not missing.exists()  # SQLite did not create an empty file at the typo


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "sqlite://"}, "exactly one of the options 'table' and 'query'"),
        ({"url": "sqlite://", "table": "t", "query": "SELECT 1"}, "exactly one of the options"),
        ({"url": "sqlite://", "table": "t", "columns": {"nps": "x"}}, "'columns' maps unknown"),
        ({"url": "sqlite://", "table": "t", "columns": ["id"]}, "option 'columns' must map"),
        ({"url": "sqlite://", "table": "t", "tabel": "x"}, "unexpected keyword argument 'tabel'"),
        ({"url": "sqlite://", "table": "t", "page_size": 0}, "option 'page_size'"),
        ({"url": "postgresql://u:pw@h:port/x", "table": "t"}, "option 'url' is not a valid"),
        ({"url": "", "table": "t"}, "option 'url'"),
    ],
)
def test_sql005_bad_options_name_the_option_when_built(
    options: dict[str, Any], message: str
) -> None:
    with pytest.raises(SourceError, match=message) as caught:
        build("sql", "crm", options)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cursor_column": "changed"}, r"option 'cursor_column': no column 'changed'"),
        ({"id_column": "pk"}, r"option 'id_column': no column 'pk'"),
        (
            {"columns": {"score": "nps", "brand": "marke"}},
            r"option 'columns': no column\(s\) brand=",
        ),
    ],
)
def test_sql006_unknown_columns_name_the_option_on_first_poll(
    answers: SourceDb, change: dict[str, Any], message: str
) -> None:
    answers.add(range(1, 3), T0)
    options: dict[str, Any] = {"url": answers.url, "table": answers.name, "id_column": "answer_id"}
    options["columns"] = MAPPING
    source = build("sql", "crm", options | change)
    assert isinstance(source, SqlSource)
    answers.sources.append(source)
    with pytest.raises(SourceError, match=message):
        source.poll(None)


def test_sql007_query_source_with_awkward_sql(
    sessions: sessionmaker[Session], answers: SourceDb
) -> None:
    answers.add(range(1, 12), T0)
    query = (
        "SELECT answer_id, updated_at, brand, country, touchpoint, nps,"
        " 'a :literal, 50 % off' AS note"
        f" FROM {answers.name} WHERE nps >= 5 AND remark <> ':x';  "
    )
    source = answers.source(
        page_size=3,
        query=query,
        columns={"score": "nps"} | {"id": "answer_id", "submitted_at": "updated_at"},
    )
    report = Poller(source, sessions, interval=60).run()
    assert report is not None
    assert (report.accepted, len(report.rejected)) == (6, 0)  # scores 5..10
    assert stored(sessions) == ["5", "6", "7", "8", "9", "10"]
    with sessions() as s:
        props = s.scalars(select(Response.properties).where(Response.external_id == "5")).one()
    assert props == {"note": "a :literal, 50 % off"}


def test_sql008_page_boundaries_do_not_depend_on_page_size(answers: SourceDb) -> None:
    """Without the store: read all pages by hand, for each page size, and compare."""
    answers.add(range(1, 10), T0)
    answers.add(range(10, 14), T0 + dt.timedelta(seconds=1))
    expected = [str(i) for i in range(1, 14)]
    for page_size in (1, 2, 4, 9, 13, 50):
        source = answers.source(page_size=page_size)
        cursor = None
        seen: list[str] = []
        for _ in range(20):
            batch = source.poll(cursor)
            seen += [str(raw["id"]) for _loc, raw in batch.records]
            cursor = batch.cursor
            if not batch.more:
                break
        assert seen == expected, page_size
        again = source.poll(cursor)
        assert (again.records, again.cursor) == ([], cursor)


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """PostgreSQL as a source database, or a skip when it is not configured."""
    if not PG_URL:
        pytest.skip("FEEDBACKWALL_TEST_PG_URL not set (.ci/run sets it)")
    engine = create_engine(PG_URL)
    yield engine
    engine.dispose()


def test_sql009_postgresql_timestamptz_and_uuid_keys(
    sessions: sessionmaker[Session], pg_engine: Engine
) -> None:
    """Zone-aware cursors and UUID ids keep their types in the cursor and compare correctly."""
    assert PG_URL is not None
    name = f"answers_{uuid.uuid4().hex[:10]}"
    answers = Table(
        name,
        MetaData(),
        Column("ref", Uuid, primary_key=True),
        Column("changed", DateTime(timezone=True)),
        Column("brand", String(20)),
        Column("country", String(2)),
        Column("touchpoint", String(20)),
        Column("score", Integer),
    )
    answers.create(pg_engine)
    cet = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 11, 20, 9, 30, tzinfo=cet)
    refs = sorted(uuid.uuid4() for _ in range(7))
    try:
        with pg_engine.begin() as conn:
            conn.execute(
                insert(answers),
                [
                    {
                        "ref": ref,
                        "changed": at + dt.timedelta(seconds=i // 5),
                        "brand": "Kvist",
                        "country": "SE",
                        "touchpoint": "service",
                        "score": 9,
                    }
                    for i, ref in enumerate(refs)
                ],
            )
        options: dict[str, Any] = {
            "url": PG_URL,
            "table": name,
            "columns": {"id": "ref", "submitted_at": "changed"},
            "cursor_column": "changed",
            "page_size": 3,
        }

        def make() -> SqlSource:
            made = build("sql", "crm", options)
            assert isinstance(made, SqlSource)
            return made

        first = make()
        report = Poller(first, sessions, interval=60).run()
        first.close()
        assert report is not None
        assert (report.accepted, report.duplicates) == (7, 0)
        cursor = state(sessions).cursor
        assert cursor is not None
        assert cursor["id"] == {"type": "uuid", "value": str(refs[-1])}
        assert cursor["mark"]["type"] == "datetime"
        with sessions() as s:
            got = s.scalars(select(Response.submitted_at).order_by(Response.submitted_at)).first()
        assert got == dt.datetime(2026, 11, 20, 8, 30, tzinfo=dt.UTC)

        second = make()
        again = Poller(second, sessions, interval=60).run()
        second.close()
        assert again is not None
        assert (again.accepted, again.duplicates) == (0, 0)
    finally:
        answers.drop(pg_engine)
