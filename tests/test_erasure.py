"""Erasure and retention in a real store: nothing of a person stays, no figure counts them."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from dashapp import create_app
from dashapp.access import ingest_tokens as tokens
from dashapp.cli.main import main
from dashapp.config import AlertRule, Settings, SourceConfig
from dashapp.ingest.erasure import apply_retention, erase
from dashapp.ingest.pipeline import IngestReport, Retention, ingest
from dashapp.jobs.alerts import scan
from dashapp.jobs.runtime import pollers
from dashapp.jobs.scheduler import Poller
from dashapp.labels.queries import label_counts
from dashapp.metrics.queries import counts
from dashapp.services import services_of
from dashapp.store import db
from dashapp.store.models import AlertDelivery, Response, ResponseLabel
from data_sources import build
from tests.access import client_as
from tests.factories import located, record, write_csv
from tests.test_cli import invoke
from tests.test_labels_store import END, assert_consistent, corpus
from tests.test_source_http import FeedbackApi, http_source
from tests.test_source_sql import T0 as SQL_T0
from tests.test_source_sql import SourceDb

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


# --- tombstones: an erased response never comes back ---------------------------------


def external_ids(sessions: sessionmaker[Session], source: str) -> list[str]:
    """The stored ids of *source*, sorted."""
    with sessions() as s:
        return sorted(s.scalars(select(Response.external_id).where(Response.source == source)))


def test_era004_an_erased_row_stays_gone_when_its_file_changes(
    sessions: sessionmaker[Session], store_url: str, tmp_path: Path
) -> None:
    """The files source reads a changed file whole: the erased row is skipped, not stored."""
    folder = tmp_path / "drop"
    folder.mkdir()
    rows = [record(i) for i in range(4)]
    write_csv(folder / "a.csv", rows)
    poller = Poller(build("files", "drop", {"path": str(folder)}), sessions, interval=60)
    first = poller.run()
    assert first is not None and first.accepted == 4
    code, out, _ = invoke(store_url, "erase", "--source", "drop", "--id", "r2")
    assert (code, "erased 1 response(s)" in out) == (0, True)

    # Any change to the file (here one new row) has it read whole again.
    write_csv(folder / "a.csv", [*rows, record(4)])
    again = poller.run()
    assert external_ids(sessions, "drop") == ["r0", "r1", "r3", "r4"]
    assert again is not None
    assert (again.accepted, again.duplicates, again.erased, again.rejected) == (1, 3, 1, [])
    # `feedbackwall import` goes through the same door.
    code, out, _ = invoke(store_url, "import", "--source", "drop", str(folder / "a.csv"))
    assert code == 0
    assert "accepted 0, duplicates 4, rejected 0, erased 1" in out
    assert external_ids(sessions, "drop") == ["r0", "r1", "r3", "r4"]


def test_era005_an_erased_row_stays_gone_when_the_sql_source_reads_it_again(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """A source database editing an erased answer hands it on again: it is skipped."""
    crm = SourceDb(f"sqlite:///{tmp_path / 'crm.db'}")
    try:
        crm.create()
        crm.add(range(1, 6), SQL_T0)
        poller = Poller(crm.source(page_size=3), sessions, interval=60)
        first = poller.run()
        assert first is not None and first.accepted == 5
        with sessions.begin() as s:
            assert erase(s, source="crm", external_id="3") == 1
        # The CRM edits answer 3: its cursor column moves on, so it is read again.
        with crm.engine.begin() as conn:
            conn.execute(
                update(crm.table)
                .where(crm.table.c.answer_id == 3)
                .values(updated_at=SQL_T0 + dt.timedelta(hours=1), remark="Antwort 3, ergänzt")
            )
        again = poller.run()
        assert external_ids(sessions, "crm") == ["1", "2", "4", "5"]
        assert again is not None
        assert (again.accepted, again.erased, again.rejected) == (0, 1, [])
    finally:
        for made in crm.sources:
            made.close()
        crm.engine.dispose()


def test_era006_an_erased_row_stays_gone_when_the_http_api_repeats_it(
    sessions: sessionmaker[Session],
) -> None:
    """In cursor mode the last page is asked for again on every poll: its erased row is skipped."""
    api = FeedbackApi([[record(i) for i in range(p * 4, p * 4 + 4)] for p in range(2)])
    try:
        poller = Poller(http_source(api), sessions, interval=30)
        first = poller.run()
        assert first is not None and first.accepted == 8
        with sessions.begin() as s:
            assert erase(s, source="surveys", external_id="r6") == 1
        again = poller.run()
        assert "r6" not in external_ids(sessions, "surveys")
        assert len(external_ids(sessions, "surveys")) == 7
        assert again is not None
        assert (again.accepted, again.duplicates, again.erased) == (0, 3, 1)
    finally:
        api.close()


def test_era007_the_push_api_counts_an_erased_record_and_stores_the_rest(
    settings: Settings,
) -> None:
    """A pushed erased record is counted as erased (200, even with strict), never stored."""
    app = create_app(settings)
    client = client_as(app)
    svc = services_of(app.server)
    try:
        with svc.sessions.begin() as s:
            auth = {"Authorization": f"Bearer {tokens.issue(s, 'webshop')}"}
        assert (
            client.post("/api/v1/responses", json=[record(1), record(2)], headers=auth).json[
                "accepted"
            ]
            == 2
        )
        with svc.sessions.begin() as s:
            assert erase(s, source="webshop", external_id="r1") == 1
        again = client.post(
            "/api/v1/responses", json=[record(1, comment="noch einmal"), record(3)], headers=auth
        )
        assert again.status_code == 200
        assert (again.json["accepted"], again.json["erased"], again.json["rejected"]) == (1, 1, [])
        strict = client.post(
            "/api/v1/responses?strict=true", json=[record(1), record(4)], headers=auth
        )
        assert strict.status_code == 200
        assert (strict.json["accepted"], strict.json["erased"]) == (1, 1)
        assert external_ids(svc.sessions, "webshop") == ["r2", "r3", "r4"]
    finally:
        svc.engine.dispose()


def test_era008_a_tombstone_holds_a_keyed_digest_only_and_survives_a_backup(
    sessions: sessionmaker[Session], store_url: str, tmp_path: Path
) -> None:
    """No plain source or id is kept; an id erased before it arrives, or by property, stays out."""
    ingest(sessions, "shop", located([record(1, properties={"email": "jo@example.com"})]))
    with sessions.begin() as s:
        assert erase(s, prop="email", value="jo@example.com") == 1
        # Asked to erase an id the source has not sent yet: it is refused when it comes.
        assert erase(s, source="shop", external_id=" r7 ") == 0
    with sessions() as s:
        buried = [tuple(row) for row in s.execute(text("SELECT * FROM erasure_tombstones"))]
    assert len(buried) == 2
    for row in buried:
        for value in row:
            assert "r1" not in str(value) and "r7" not in str(value) and "shop" not in str(value)
    report = ingest(sessions, "shop", located([record(1), record(7), record(8)]))
    assert (report.accepted, report.erased) == (1, 2)
    assert external_ids(sessions, "shop") == ["r8"]

    # The digest is keyed per store: the same id erased elsewhere gives another digest.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    db.upgrade(other)
    elsewhere = db.make_sessionmaker(db.make_engine(other))
    with elsewhere.begin() as s:
        erase(s, source="shop", external_id="r7")
    with elsewhere() as s:
        digests = set(s.scalars(text("SELECT digest FROM erasure_tombstones")))
    assert digests.isdisjoint(row[0] for row in buried)

    # A backup carries the tombstones and their key: a restored store still refuses them.
    backup = tmp_path / "store.fwb.gz"
    assert invoke(store_url, "db", "backup", str(backup))[0] == 0
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    db.upgrade(restored)
    assert invoke(restored, "db", "restore", str(backup))[0] == 0
    back = db.make_sessionmaker(db.make_engine(restored))
    assert ingest(back, "shop", located([record(1), record(7)])).erased == 2
    assert external_ids(back, "shop") == ["r8"]


# --- retention at the door ---------------------------------------------------------------


def test_era009_retention_holds_for_records_sent_again(sessions: sessionmaker[Session]) -> None:
    """A record past retention is not stored (delete) or stored without its words (anonymise)."""
    now = dt.datetime.now(dt.UTC)
    old = (now - dt.timedelta(days=40)).isoformat()
    recent = (now - dt.timedelta(days=1)).isoformat()
    rows = [
        record(1, submitted_at=old, properties={"email": "jo@example.com"}),
        record(2, submitted_at=recent),
    ]
    ingest(sessions, "shop", located(rows))  # before retention was configured

    # Anonymised, then the source sends the old record again, edited: its words stay gone.
    with sessions.begin() as s:
        assert apply_retention(s, dt.timedelta(days=30), "anonymise") == 1
    keep = Retention(days=30, mode="anonymise")
    edited = [{**rows[0], "score": 3}, rows[1]]
    report = ingest(sessions, "shop", located(edited), retention=keep)
    assert (report.accepted, report.updated, report.duplicates) == (1, 1, 1)
    with sessions() as s:
        one = s.scalars(select(Response).where(Response.external_id == "r1")).one()
        assert (one.score, one.comment, one.properties) == (3, None, {})
        labels = select(func.count()).where(ResponseLabel.response_id == one.id)
        assert s.scalar(labels) == 0
    # A record never seen but already past retention is stored anonymised, its score counted.
    report = ingest(sessions, "shop", located([record(3, submitted_at=old)]), retention=keep)
    assert report.accepted == 1
    with sessions() as s:
        three = s.scalars(select(Response).where(Response.external_id == "r3")).one()
        assert three.comment is None

    # Deleted by retention, then sent again: it is not stored, it is counted as expired.
    with sessions.begin() as s:
        while apply_retention(s, dt.timedelta(days=30), "delete"):
            pass
    assert external_ids(sessions, "shop") == ["r2"]
    drop = Retention(days=30, mode="delete")
    report = ingest(sessions, "shop", located([*rows, record(4, submitted_at=old)]), retention=drop)
    assert (report.accepted, report.duplicates, report.expired, report.rejected) == (0, 1, 2, [])
    assert "expired 2" in report.summary()
    assert external_ids(sessions, "shop") == ["r2"]


def test_era010_every_entry_applies_the_configured_retention(
    store_url: str, tmp_path: Path
) -> None:
    """The push API and the pollers read FEEDBACKWALL_RETENTION_* : an old record is refused."""
    settings = Settings.load(
        database_url=store_url,
        cache_url="simple",
        config=None,
        retention_days=30,
        retention_mode="delete",
    )
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).isoformat()
    app = create_app(settings)
    client = client_as(app)
    svc = services_of(app.server)
    try:
        with svc.sessions.begin() as s:
            auth = {"Authorization": f"Bearer {tokens.issue(s, 'webshop')}"}
        pushed = client.post(
            "/api/v1/responses", json=[record(1, submitted_at=old), record(2)], headers=auth
        )
        assert pushed.status_code == 200
        assert (pushed.json["accepted"], pushed.json["expired"]) == (1, 1)
        assert external_ids(svc.sessions, "webshop") == ["r2"]
    finally:
        svc.engine.dispose()
    # `feedbackwall import` reads the same settings from its environment.
    path = write_csv(tmp_path / "a.csv", [record(3, submitted_at=old), record(4)])
    env = {
        "FEEDBACKWALL_DATABASE_URL": store_url,
        "FEEDBACKWALL_RETENTION_DAYS": "30",
        "FEEDBACKWALL_RETENTION_MODE": "delete",
    }
    result = CliRunner().invoke(main, ["import", "--source", "webshop", str(path)], env=env)
    assert result.exit_code == 0, result.output
    assert "accepted 1, duplicates 0, rejected 0, expired 1" in result.stdout
    # So do the pollers the scheduler builds from the configured sources.
    folder = tmp_path / "drop"
    folder.mkdir()
    write_csv(folder / "b.csv", [record(5, submitted_at=old), record(6)])
    configured = settings.model_copy(
        update={"sources": [SourceConfig(name="drop", kind="files", options={"path": str(folder)})]}
    )
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    (poller,) = pollers(configured, sessions)
    report = poller.run()
    assert report is not None and (report.accepted, report.expired) == (1, 1)
    assert external_ids(sessions, "webshop") == ["r2", "r4"]
    assert external_ids(sessions, "drop") == ["r6"]


def test_era011_an_ingest_racing_an_erasure_never_stores_the_erased_id(
    sessions: sessionmaker[Session],
) -> None:
    """An ingest of an id while its erasure is uncommitted waits for it, then skips the id."""
    outcome: list[IngestReport] = []
    with sessions.begin() as s:
        assert erase(s, source="shop", external_id="r9") == 0  # not yet sent
        racer = threading.Thread(
            target=lambda: outcome.append(ingest(sessions, "shop", located([record(9)]))),
            daemon=True,
        )
        racer.start()
        racer.join(0.5)
        assert racer.is_alive()  # held until the erasure commits (or rolls back)
    racer.join(15)
    assert not racer.is_alive()
    assert (outcome[0].accepted, outcome[0].erased) == (0, 1)
    assert external_ids(sessions, "shop") == []
    # The other way round: an erasure asked for while a batch with the id is being stored
    # waits for that batch, then erases what it stored.
    storing, release = threading.Event(), threading.Event()

    def hold(_session: Session, _report: IngestReport) -> None:
        storing.set()
        assert release.wait(15)

    writer = threading.Thread(
        target=lambda: ingest(sessions, "shop", located([record(5)]), before_commit=hold),
        daemon=True,
    )
    writer.start()
    assert storing.wait(15)
    erased: list[int] = []

    def erase_r5() -> None:
        with sessions.begin() as s:
            erased.append(erase(s, source="shop", external_id="r5"))

    eraser = threading.Thread(target=erase_r5, daemon=True)
    eraser.start()
    eraser.join(0.5)
    assert eraser.is_alive()
    release.set()
    writer.join(15)
    eraser.join(15)
    assert erased == [1]
    assert external_ids(sessions, "shop") == []


def test_era012_an_update_racing_retention_leaves_the_rollups_true(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention reads what to take back, then writes: an update of one of those responses
    (its score changed) must wait, or the rollups would take back the old score."""
    from dashapp.labels import store as label_store

    at = "2026-01-10T10:00:00Z"
    rows = [record(i, submitted_at=at, score=10, comment=None) for i in range(5)]
    assert ingest(sessions, "s", located(rows)).accepted == 5
    read = label_store.stored
    update_thread = threading.Thread(
        target=lambda: ingest(sessions, "s", located([record(0, submitted_at=at, score=0)]))
    )

    def paused(*args: object, **kwargs: object) -> object:
        found = read(*args, **kwargs)  # type: ignore[arg-type]
        # Between the read and the writes: let the update try to commit.
        if update_thread.ident is None:
            update_thread.start()
            update_thread.join(timeout=1.0)
            assert update_thread.is_alive(), "the update committed inside the retention run"
        return found

    monkeypatch.setattr(label_store, "stored", paused)
    with sessions.begin() as session:
        now = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        assert apply_retention(session, dt.timedelta(days=30), "delete", now=now) == 5
    update_thread.join(timeout=20)
    start, end = dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
    with sessions() as session:
        stored = session.execute(select(Response.score)).scalars().all()
        kept = counts(session, (), start, end).get((), (0, 0, 0))
    # The update came after the retention: its response is stored again, counted once.
    assert stored == [0] and kept == (0, 0, 1)
