"""Erasure and retention in a real store: nothing of a person stays, no figure counts them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.alerts import scan
from dashapp.config import AlertRule
from dashapp.erasure import apply_retention, erase
from dashapp.ingest import ingest
from dashapp.label_queries import label_counts
from dashapp.models import AlertDelivery, Response, ResponseLabel
from dashapp.queries import counts
from tests.factories import located, record
from tests.test_cli import invoke
from tests.test_labels_store import END, assert_consistent, corpus

WINDOW = (END - dt.timedelta(days=60), END)


def totals(sessions: sessionmaker[Session]) -> tuple[tuple[int, int, int], int]:
    with sessions() as session:
        nps = counts(session, (), *WINDOW).get((), (0, 0, 0))
        labelled = sum(sum(c[:3]) for k, c in label_counts(session, *WINDOW).items() if k[0] != "*")
    return nps, labelled


def test_era001_erase_by_id_and_by_property_takes_back_every_count(
    sessions: sessionmaker[Session],
) -> None:
    rows = corpus(80)
    rows[3]["properties"] = {"customer_email": "jo@example.com"}
    rows[9]["properties"] = {"customer_email": "jo@example.com"}
    ingest(sessions, "shop", located(rows))
    rule = AlertRule(name="all", email=["cx@example.com"], min_score=0, max_score=10)
    with sessions() as s:
        first = s.scalar(select(func.min(Response.id)))
    scan(sessions, [rule], END)  # marks history as seen
    with sessions.begin() as s:
        s.execute(
            AlertDelivery.__table__.insert().values(
                rule="all",
                response_id=first,
                payload={"comment": "x"},
                created_at=END,
                next_attempt_at=END,
                attempts=0,
            )
        )
    (p, pa, d), labelled = totals(sessions)
    with sessions.begin() as s:
        assert erase(s, prop="customer_email", value="jo@example.com") == 2
    with sessions.begin() as s:
        assert erase(s, source="shop", external_id="r0") == 1
        assert erase(s, source="shop", external_id="nobody") == 0
    (p2, pa2, d2), labelled2 = totals(sessions)
    assert p2 + pa2 + d2 == p + pa + d - 3
    assert labelled2 < labelled
    assert_consistent(sessions, *WINDOW)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == 77
        gone = select(Response.id).where(Response.external_id.in_(["r0", "r3", "r9"]))
        assert s.scalars(gone).all() == []
        assert s.scalar(select(func.count()).select_from(AlertDelivery)) == 0
        orphans = select(func.count()).where(ResponseLabel.response_id.not_in(select(Response.id)))
        assert s.scalar(orphans) == 0


def test_era002_retention_anonymises_or_deletes_old_responses(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "shop", located(corpus(300)))
    before, labelled = totals(sessions)
    older = dt.timedelta(days=3)
    with sessions.begin() as s:
        done = apply_retention(s, older, "anonymise", now=END)
    assert done > 0
    with sessions.begin() as s:
        while apply_retention(s, older, "anonymise", now=END):
            pass
    after, labelled_after = totals(sessions)
    assert after == before  # scores still count
    assert labelled_after < labelled
    assert_consistent(sessions, *WINDOW)
    cutoff = END - older
    with sessions() as s:
        old = select(func.count()).where(
            Response.submitted_at < cutoff, Response.comment.is_not(None)
        )
        assert s.scalar(old) == 0
        recent = select(func.count()).where(
            Response.submitted_at >= cutoff, Response.comment.is_not(None)
        )
        assert s.scalar(recent) > 0
    # The source sends an old response again: still a duplicate, the comment stays gone.
    report = ingest(sessions, "shop", located(corpus(300)[-5:]))
    assert report.duplicates == 5
    with sessions.begin() as s:
        while apply_retention(s, older, "delete", now=END):
            pass
    (p, pa, d), _ = totals(sessions)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Response)) == p + pa + d
        assert s.scalar(select(func.min(Response.submitted_at))) >= cutoff
    assert_consistent(sessions, *WINDOW)


def test_era003_cli(store_url: str) -> None:
    from dashapp import db

    sessions = db.make_sessionmaker(db.make_engine(store_url))
    ingest(sessions, "shop", located([record(1), record(2, properties={"email": "a@b.c"})]))
    code, out, _ = invoke(store_url, "erase", "--source", "shop", "--id", "r1")
    assert code == 0
    assert "erased 1 response(s)" in out
    code, out, _ = invoke(store_url, "erase", "--property", "email=a@b.c")
    assert "erased 1 response(s)" in out
    code, _, err = invoke(store_url, "erase", "--id", "r1")
    assert code != 0
    assert "--id needs --source" in err
