"""Ingest against a real store: dedupe, updates, rejects, strictness and exact rollups."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.pipeline import ingest
from dashapp.metrics import queries
from dashapp.store.models import Response, Rollup, StoreMeta
from tests.factories import located, random_records, record

UTC = dt.UTC


def _count(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Response)) or 0


def _rollup_total(sessions: sessionmaker[Session], grain: str) -> tuple[int, int, int, int]:
    with sessions() as s:
        row = s.execute(
            select(
                func.sum(Rollup.n),
                func.sum(Rollup.promoters),
                func.sum(Rollup.passives),
                func.sum(Rollup.detractors),
            ).where(Rollup.grain == grain)
        ).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def test_ing001_store_and_dedupe(sessions: sessionmaker[Session]) -> None:
    batch = located([record(i, score=i % 11) for i in range(30)])
    first = ingest(sessions, "survey", batch)
    assert (first.accepted, first.duplicates, len(first.rejected)) == (30, 0, 0)
    again = ingest(sessions, "survey", batch)
    assert (again.accepted, again.duplicates, len(again.rejected)) == (0, 30, 0)
    assert _count(sessions) == 30
    # The same ids from another source are other responses.
    assert ingest(sessions, "other", batch).accepted == 30
    assert _count(sessions) == 60


def test_ing002_update_moves_rollups(sessions: sessionmaker[Session]) -> None:
    ingest(sessions, "s", located([record(1, score=10)]))
    report = ingest(
        sessions, "s", located([record(1, score=2, submitted_at="2026-11-21T08:30:00+01:00")])
    )
    assert (report.accepted, report.updated) == (1, 1)
    assert _count(sessions) == 1
    for grain in ("d", "h"):
        assert _rollup_total(sessions, grain) == (1, 0, 0, 1)
    with sessions() as s:
        stored = s.scalars(select(Response)).one()
        assert stored.score == 2 and stored.submitted_at == dt.datetime(
            2026, 11, 21, 7, 30, tzinfo=UTC
        )
        assert (
            s.scalar(
                select(func.sum(Rollup.n)).where(
                    Rollup.bucket < dt.datetime(2026, 11, 21, tzinfo=UTC)
                )
            )
            == 0
        )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("score", 11, "integer 0..10"),
        ("score", "ten", "integer 0..10"),
        ("score", "7.5", "integer 0..10"),
        ("score", None, "integer 0..10"),
        ("submitted_at", "2026-11-20T10:00:00", "no time zone"),
        ("submitted_at", "yesterday", "not an ISO 8601"),
        ("country", "XX", "ISO 3166"),
        ("country", "Germany", "ISO 3166"),
        ("brand", "", "required"),
        ("id", "  ", "required"),
        ("language", "klingon", "ISO 639-1"),
    ],
)
def test_ing003_rejects_name_field_and_row(
    sessions: sessionmaker[Session], field: str, value: object, reason: str
) -> None:
    rows = located([record(1), record(2, **{field: value}), record(3)])
    report = ingest(sessions, "s", rows)
    assert report.accepted == 2
    [rejection] = report.rejected
    assert rejection.location == "index 1"
    assert [p.field for p in rejection.problems] == [field]
    assert reason in rejection.problems[0].reason
    assert _count(sessions) == 2


def test_ing004_strict_writes_nothing(sessions: sessionmaker[Session]) -> None:
    rows = located([record(1), record(2, score=11)])
    report = ingest(sessions, "s", rows, strict=True)
    assert report.accepted == 0 and len(report.rejected) == 1
    assert _count(sessions) == 0
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Rollup)) == 0


def test_ing005_repeat_inside_one_batch(sessions: sessionmaker[Session]) -> None:
    rows = located([record(1, score=5), record(1, score=5), record(1, score=9)])
    report = ingest(sessions, "s", rows)
    assert (report.accepted, report.updated, report.duplicates) == (2, 1, 1)
    assert _count(sessions) == 1
    assert _rollup_total(sessions, "d") == (1, 1, 0, 0)


def test_ing006_language_detected_when_missing(sessions: sessionmaker[Session]) -> None:
    ingest(
        sessions,
        "s",
        located(
            [
                record(
                    1,
                    language=None,
                    comment="Die Lieferung kam viel zu spät und der Karton war kaputt",
                ),
                record(
                    2, language=None, country="BE", comment="Le colis est arrivé en retard et abîmé"
                ),
                # Danish and Norwegian are close; the country settles it.
                record(
                    5,
                    language=None,
                    country="DK",
                    comment="Pakken kom for sent og kassen var i stykker",
                ),
                record(
                    6, language=None, country="SE", comment="The parcel arrived late and damaged"
                ),
                record(3, language="sv", comment="Snabb leverans"),
                record(4, language=None, comment=None),
            ]
        ),
    )
    with sessions() as s:
        langs = dict(s.execute(select(Response.external_id, Response.language)).all())
    assert langs == {"r1": "de", "r2": "fr", "r3": "sv", "r4": None, "r5": "da", "r6": "en"}


def test_ing007_data_version_moves_only_on_change(sessions: sessionmaker[Session]) -> None:
    def version() -> int:
        with sessions() as s:
            return s.scalar(select(StoreMeta.value).where(StoreMeta.key == "data_version")) or 0

    v0 = version()
    ingest(sessions, "s", located([record(1)]))
    v1 = version()
    ingest(sessions, "s", located([record(1)]))
    assert v1 > v0 and version() == v1


def test_ing008_window_counts_match_raw_rows(sessions: sessionmaker[Session]) -> None:
    end = dt.datetime(2026, 11, 20, 13, 37, 11, tzinfo=UTC)
    rows = list(random_records(3000, end=end, days=50))
    ingest(sessions, "s", located(rows))
    rng = random.Random(5)
    with sessions() as s:
        raw = s.execute(select(Response.submitted_at, Response.brand, Response.score)).all()
        for _ in range(12):
            hi = end - dt.timedelta(seconds=rng.randrange(40 * 86400))
            if rng.random() < 0.3:
                hi = hi.replace(minute=0, second=0, microsecond=0)
            lo = hi - dt.timedelta(days=rng.choice([1, 7, 30]))
            got = queries.counts(s, ["brand"], lo, hi)
            want: dict[tuple[str, ...], list[int]] = {}
            for at, brand, score in raw:
                if lo < at <= hi:
                    acc = want.setdefault((brand,), [0, 0, 0])
                    acc[0 if score >= 9 else 1 if score >= 7 else 2] += 1
            assert got == {k: tuple(v) for k, v in want.items()}, (lo, hi)


POISONED = [
    ("comment", record(2, comment="a\ud800b")),
    ("brand", record(3, brand="Vel\ud800ora")),
    ("comment", record(4, comment="nul\x00byte")),
    ("brand", record(5, brand="Vel\x00ora")),
    ("touchpoint", record(6, touchpoint="deli\x1b[31mvery")),
    ("note", record(7, note="\x00")),
    ("properties.order", record(8, properties={"order": {"id": "x\ud800"}})),
    ("properties", record(9, properties={"k\x00": 1})),
    ("id", record(10, id="r\x0b10")),
]


def test_ing009_one_poison_record_never_loses_its_batch(sessions: sessionmaker[Session]) -> None:
    """Lone surrogates, NUL (PostgreSQL refuses it), controls: named rejections, the rest stored."""
    rows = located([record(1), *(raw for _, raw in POISONED), record(11)])
    report = ingest(sessions, "s", rows)
    assert report.accepted == 2
    got = [(r.location, [p.field for p in r.problems]) for r in report.rejected]
    assert got == [(f"index {i}", [name]) for i, (name, _) in enumerate(POISONED, start=1)]
    assert _count(sessions) == 2
    assert _rollup_total(sessions, "d") == (2, 2, 0, 0)


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:59:59Z", "2100-01-01T00:00:00Z", "0001-01-01T00:00:00Z"]
)
def test_ing010_timestamps_out_of_bounds_are_rejected(
    sessions: sessionmaker[Session], at: str
) -> None:
    """Not "just now" atop every feed for ever: a response from year 9999, 2100 or 1 is refused."""
    report = ingest(sessions, "s", located([record(1, submitted_at=at), record(2)]))
    assert report.accepted == 1
    [rejection] = report.rejected
    assert (rejection.location, [p.field for p in rejection.problems]) == (
        "index 0",
        ["submitted_at"],
    )
    assert _count(sessions) == 1
