"""Labels in a real store (SQLite and PostgreSQL): ingest, rollups, relabelling, drill-down, API."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp import create_app
from dashapp.config import Settings
from dashapp.ingest.pipeline import ingest
from dashapp.labels import store as label_store
from dashapp.labels.labelling import Labeller
from dashapp.labels.queries import label_counts
from dashapp.labels.taxonomy import default_text, parse_taxonomy
from dashapp.metrics import queries
from dashapp.metrics.nps import classify
from dashapp.services import services_of
from dashapp.store.models import Response, ResponseLabel, TaxonomyVersion
from tests.access import client_as
from tests.factories import located, record

END = dt.datetime(2026, 11, 25, 12, 30, tzinfo=dt.UTC)
COMMENTS = [
    ("en", "Fast delivery but the box was crushed"),
    ("de", "Die Lieferung kam zu spät, aber der Kundenservice war sehr freundlich."),
    ("fr", "Prix trop cher pour la qualité"),
    ("sv", "Returen var smidig, fick pengarna tillbaka snabbt"),
    ("pl", "Płatność BLIK bez problemu"),
    ("en", "All good, thanks!"),
    ("nl", "De klantenservice reageert niet op mijn mail"),
]


def corpus(n: int) -> list[dict[str, object]]:
    """*n* records over the 10 days before END, cycling through COMMENTS and scores."""
    rows = []
    for i in range(n):
        lang, text = COMMENTS[i % len(COMMENTS)]
        at = END - dt.timedelta(minutes=37 * i)
        rows.append(
            record(
                i,
                submitted_at=at.isoformat(),
                score=i % 11,
                comment=None if i % 5 == 4 else text,
                language=lang,
                brand=("Velora", "Kvist")[i % 2],
                country=("DE", "SE", "FR")[i % 3],
            )
        )
    return rows


def brute_force(session: Session, start: dt.datetime, end: dt.datetime) -> dict[str, Counter]:
    """Counts per label straight from responses and their labels: what rollups must equal."""
    found: dict[str, Counter] = {}
    rows = session.execute(
        select(Response.id, Response.score, Response.comment).where(
            Response.submitted_at > start, Response.submitted_at <= end
        )
    ).all()
    labels: dict[int, list[tuple[str, int]]] = {}
    for rid, label, sentiment in session.execute(
        select(ResponseLabel.response_id, ResponseLabel.label, ResponseLabel.sentiment)
    ):
        labels.setdefault(rid, []).append((label, sentiment))
    for rid, score, comment in rows:
        if comment is None:
            continue
        cls = classify(score).value
        found.setdefault("*", Counter())[cls] += 1
        for label, sentiment in labels.get(rid, []):
            counter = found.setdefault(label, Counter())
            counter[cls] += 1
            counter[sentiment] += 1
    return found


def as_counter(counts: tuple[int, ...]) -> Counter:
    names = ("promoter", "passive", "detractor", 1, 0, -1)
    return Counter({k: v for k, v in zip(names, counts, strict=True) if v})


def assert_consistent(
    sessions: sessionmaker[Session], start: dt.datetime, end: dt.datetime
) -> None:
    with sessions() as session:
        expected = brute_force(session, start, end)
        got = {k[0]: as_counter(v) for k, v in label_counts(session, start, end).items()}
    assert got == expected


def test_lst001_ingest_stores_labels_and_rollups_agree(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "shop", located(corpus(300)))
    labeller = Labeller(parse_taxonomy(default_text()))
    with sessions() as session:
        stored = {
            (rid, label): s
            for rid, label, s in session.execute(
                select(ResponseLabel.response_id, ResponseLabel.label, ResponseLabel.sentiment)
            )
        }
        expected = {}
        for rid, comment, lang in session.execute(
            select(Response.id, Response.comment, Response.language)
        ):
            for label, s in labeller.label(comment, lang):
                expected[(rid, label)] = s
    assert stored == expected
    assert {label for _, label in stored} >= {"delivery", "packaging", "service", "returns"}
    # Windows with partial hours at both ends read rollups and raw edges: same answer.
    for start, end in [
        (END - dt.timedelta(days=30), END),
        (END - dt.timedelta(hours=50, minutes=13), END - dt.timedelta(hours=3, minutes=59)),
        (END - dt.timedelta(minutes=40), END),
    ]:
        assert_consistent(sessions, start, end)


def test_lst002_updates_move_labels_without_double_counting(
    sessions: sessionmaker[Session],
) -> None:
    rows = corpus(60)
    ingest(sessions, "shop", located(rows))
    # The same ids again: half unchanged (duplicates), half with a new comment and score.
    again = [
        {**r, "comment": "Zahlung mit Klarna ging schief", "language": "de", "score": 2}
        if i % 2
        else r
        for i, r in enumerate(rows)
    ]
    report = ingest(sessions, "shop", located(again))
    assert report.updated == 30
    assert report.duplicates == 30
    with sessions() as session:
        payment = session.scalar(select(func.count()).where(ResponseLabel.label == "payment"))
    assert payment >= 30
    assert_consistent(sessions, END - dt.timedelta(days=30), END)


def test_lst003_new_taxonomy_relabels_history_in_steps(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "shop", located(corpus(400)))
    text = """
    [labels.speed]
    name = "Speed"
    en = ["fast", "quick*"]
    de = ["spät"]
    [labels."speed/late"]
    name = "Late"
    de = ["zu spät"]
    """
    with sessions.begin() as session:
        version = label_store.save_taxonomy(session, text, "test")
    assert version >= 1
    steps = 0
    while True:
        with sessions.begin() as session:
            done = label_store.relabel_step(session, limit=50)
        if not done:
            break
        steps += 1
        # Between steps the figures are consistent: each step is one transaction.
        assert_consistent(sessions, END - dt.timedelta(days=30), END)
    assert steps >= 6
    with sessions() as session:
        assert label_store.relabel_progress(session) is None
        labels = set(session.scalars(select(ResponseLabel.label).distinct()))
        assert session.scalar(select(func.count()).select_from(TaxonomyVersion)) == 1
    assert labels == {"speed", "speed/late"}


def test_lst004_drilldown_by_label_and_by_score_pages_exactly_once(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "shop", located(corpus(350)))
    with sessions() as session:
        labelled = set(
            session.scalars(
                select(ResponseLabel.response_id).where(ResponseLabel.label == "delivery")
            )
        )
        detractors = set(session.scalars(select(Response.id).where(Response.score <= 6)))
        # Score orders walk the scores one at a time: pages of 17 end inside a score and across.
        for sort, score_class in itertools.product(queries.SORTS, ("", "detractor")):
            expected = labelled & detractors if score_class else labelled
            selection = queries.Selection(label="delivery", sort=sort, score_class=score_class)
            seen: list[queries.ResponseRow] = []
            before = None
            while True:
                page = queries.responses_page(session, selection, limit=17, before=before)
                seen += page
                if len(page) < 17:
                    break
                before = queries.position(page[-1], sort)
            assert [r.id for r in seen if r.id in expected] == [r.id for r in seen]
            assert {r.id for r in seen} == expected
            assert len(seen) == len(expected)
            keys = {
                "new": lambda r: (-r.submitted_at.timestamp(), -r.id),
                "low": lambda r: (r.score, -r.submitted_at.timestamp(), -r.id),
                "high": lambda r: (-r.score, -r.submitted_at.timestamp(), -r.id),
            }
            assert seen == sorted(seen, key=keys[sort])


@pytest.fixture
def client(settings: Settings) -> Iterator[FlaskClient]:
    app = create_app(settings)
    yield client_as(app)
    services_of(app.server).engine.dispose()


def test_lst005_api_labels_match_the_engine(client: FlaskClient) -> None:
    svc = services_of(client.application)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    rows = [
        {
            **r,
            "submitted_at": (
                now - (END - dt.datetime.fromisoformat(str(r["submitted_at"])))
            ).isoformat(),
        }
        for r in corpus(200)
    ]
    ingest(svc.sessions, "shop", located(rows))
    answer = client.get("/api/v1/labels?window=30d")
    assert answer.status_code == 200
    body = answer.json
    by_id = {row["label"]: row for row in body["labels"]}
    stats = {s.label: s for s in svc.nps.labels(window=30)}
    assert set(by_id) == set(stats)
    delivery = by_id["delivery"]
    assert delivery["volume"] == stats["delivery"].volume > 0
    assert delivery["path"] == "Delivery"
    assert delivery["positive"] + delivery["neutral"] + delivery["negative"] == delivery["volume"]
    assert by_id["delivery/time"]["path"] == "Delivery > Delivery time"
    # Shares are of commented responses; impact and the detractor share are present.
    assert 0 < delivery["share_pct"] <= 100
    assert delivery["impact"] is not None
    bad = client.get("/api/v1/labels?window=forever")
    assert bad.status_code == 400
    assert bad.json["parameter"] == "window"
    # The data export gives the same rows as CSV.
    csv_text = client.get("/export/data/labels.csv?window=30d").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("label,path,depth,volume")
    assert len(csv_text.strip().splitlines()) == len(by_id) + 1


def test_lst006_release_upgrade_relabels_once(sessions: sessionmaker[Session]) -> None:
    ingest(sessions, "shop", located(corpus(30)))
    with sessions.begin() as session:
        assert label_store.relabel_if_upgraded(session)
    with sessions.begin() as session:
        # The signature is recorded: the next check finds nothing to do.
        assert not label_store.relabel_if_upgraded(session)
        while label_store.relabel_step(session):
            pass
        assert label_store.relabel_progress(session) is None
    # A taxonomy saved while relabelling runs starts the walk again from the beginning.
    with sessions.begin() as session:
        label_store.save_taxonomy(session, default_text(), "first")
        assert label_store.relabel_step(session, limit=5) == 5
        label_store.save_taxonomy(session, default_text(), "second")
        assert label_store.relabel_progress(session) == 0
