"""Follow-ups on a real store: opened at ingest, changed with a version check, kept in
history, sent to the CRM through the outbox, erased with their responses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.access import users
from dashapp.access.users import Role
from dashapp.config import FollowupConfig, Settings
from dashapp.followups import service
from dashapp.followups.service import Change, ChangeError, Conflict, QueueFilter, Status
from dashapp.ingest.erasure import apply_retention, erase
from dashapp.ingest.pipeline import ingest
from dashapp.jobs.alerts import Deliverer, delivery_rules
from dashapp.store.models import AlertDelivery, Followup, FollowupEvent
from tests.factories import located, record
from tests.test_alerts import SECRET, Receiver

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def fresh(i: int, **overrides: object) -> dict[str, object]:
    """A record submitted an hour ago (inside the rule's horizon)."""
    return record(i, **{"submitted_at": (NOW - dt.timedelta(hours=1)).isoformat(), **overrides})


RULE = FollowupConfig(sla_hours=48, sla_hours_by_brand={"Kvist": 4})


def _user(sessions: sessionmaker[Session], name: str, role: Role = Role.analyst) -> int:
    with sessions.begin() as s:
        return users.create(s, name, "correct horse battery staple", role).id


def _open_ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    rows = service.queue(sessions, QueueFilter(), limit=100)
    return {r.external_id: r.id for r in rows}


def test_fu_store001_ingest_opens_one_per_matching_response(
    sessions: sessionmaker[Session],
) -> None:
    batch = [
        fresh(1, score=2, comment="Paket kam nie an"),
        fresh(2, score=6, comment="Zu spät", brand="Kvist"),
        fresh(3, score=3, comment=None),  # no comment: the default rule passes it over
        fresh(4, score=9, comment="Super"),  # a promoter
        record(5, score=1, comment="Alt", submitted_at="2025-01-01T00:00:00Z"),  # past horizon
    ]
    ingest(sessions, "shop", located(batch), followups=RULE)
    # The same again and a changed one: nothing opens twice; the change is repeated.
    ingest(
        sessions,
        "shop",
        located([*batch, fresh(1, score=0, comment="Paket kam nie an!")]),
        followups=RULE,
    )
    rows = service.queue(sessions, QueueFilter())
    assert [r.external_id for r in rows] == ["r2", "r1"]  # Kvist's 4-hour SLA is due first
    by_id = {r.external_id: r for r in rows}
    assert by_id["r1"].score == 0 and by_id["r1"].status is Status.new
    assert by_id["r2"].due_at - by_id["r2"].opened_at == dt.timedelta(hours=4)
    assert by_id["r1"].due_at - by_id["r1"].opened_at == dt.timedelta(hours=48)
    detail = service.detail(sessions, by_id["r1"].id)
    assert [(e.actor, e.field, e.to_value) for e in detail.events] == [("rule", "opened", "new")]
    # Without a rule (or disabled), nothing opens.
    ingest(sessions, "shop", located([fresh(7, score=1)]))
    ingest(sessions, "shop", located([fresh(8, score=1)]), followups=FollowupConfig(enabled=False))
    assert len(service.queue(sessions, QueueFilter())) == 2
    # The backfill reaches what the rule passed over (r7, r8, inside its days).
    assert service.backfill(sessions, RULE, days=30) == 2
    assert service.backfill(sessions, RULE, days=30) == 0


def test_fu_store002_changes_check_the_version_and_keep_every_event(
    sessions: sessionmaker[Session],
) -> None:
    ana, ben = _user(sessions, "ana"), _user(sessions, "ben")
    ingest(sessions, "shop", located([fresh(1, score=2)]), followups=RULE)
    (fid,) = _open_ids(sessions).values()
    row = service.update(sessions, RULE, fid, 1, "ana", Change(owner_id=ana, note="ich rufe an"))
    assert (row.version, row.owner, row.updated_by) == (2, "ana", "ana")
    # Ben read version 1 too: he is told who changed it, and nothing of his is written.
    with pytest.raises(Conflict, match="changed meanwhile by ana") as caught:
        service.update(
            sessions, RULE, fid, 1, "ben", Change(status=Status.contacted, note="angerufen")
        )
    assert (caught.value.by, caught.value.version) == ("ana", 2)
    with pytest.raises(ChangeError, match="can become"):
        service.update(sessions, RULE, fid, 2, "ana", Change(status=Status.resolved))
    with pytest.raises(ChangeError, match="reason"):
        service.update(sessions, RULE, fid, 2, "ana", Change(status=Status.closed))
    with pytest.raises(ChangeError, match="owner"):
        service.update(sessions, RULE, fid, 2, "ana", Change(owner_id=999))
    row = service.update(sessions, RULE, fid, 2, "ben", Change(status=Status.contacted))
    assert row.first_contact_at is not None and row.done_at is None
    row = service.update(
        sessions, RULE, fid, 3, "ben", Change(status=Status.resolved, owner_id=ben, note="erledigt")
    )
    assert row.status is Status.resolved and row.done_at is not None
    history = service.detail(sessions, fid).events
    assert [(e.actor, e.field, e.from_value, e.to_value, e.note) for e in history] == [
        ("rule", "opened", None, "new", None),
        ("ana", "owner", None, "ana", "ich rufe an"),
        ("ben", "status", "new", "contacted", None),
        ("ben", "status", "contacted", "resolved", None),
        ("ben", "owner", "ana", "ben", "erledigt"),
    ]
    assert [e.version for e in history] == [1, 2, 3, 4, 4]
    # A done one leaves the open queue; "resolved" shows it.
    assert service.queue(sessions, QueueFilter()) == []
    assert [r.id for r in service.queue(sessions, QueueFilter(status=(Status.resolved,)))] == [fid]


def test_fu_store003_two_writers_on_one_version_exactly_one_wins(
    sessions: sessionmaker[Session],
) -> None:
    ingest(sessions, "shop", located([fresh(1, score=2)]), followups=RULE)
    (fid,) = _open_ids(sessions).values()
    outcomes = []
    for actor in ("ana", "ben"):
        try:
            service.update(sessions, RULE, fid, 1, actor, Change(note=f"{actor} war hier"))
            outcomes.append(actor)
        except Conflict as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == "ana" and outcomes[1].startswith("changed meanwhile by ana")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(FollowupEvent)) == 2


def test_fu_store004_queue_filters(sessions: sessionmaker[Session]) -> None:
    ana = _user(sessions, "ana")
    ingest(
        sessions,
        "shop",
        located(
            [
                fresh(1, score=2, comment="Lieferung kam zu spät"),
                fresh(2, score=2, brand="Kvist", country="SE", touchpoint="service", comment="hm"),
                fresh(3, score=4, country="FR", comment="na ja"),
            ]
        ),
        followups=RULE,
    )
    ids = _open_ids(sessions)
    service.update(sessions, RULE, ids["r3"], 1, "ana", Change(owner_id=ana))

    def ext(f: QueueFilter) -> list[str]:
        return sorted(r.external_id for r in service.queue(sessions, f))

    assert ext(QueueFilter(brand=("Kvist",))) == ["r2"]
    assert ext(QueueFilter(country=("FR", "SE"))) == ["r2", "r3"]
    assert ext(QueueFilter(touchpoint=("service",))) == ["r2"]
    assert ext(QueueFilter(owner=ana)) == ["r3"]
    assert ext(QueueFilter(owner=0)) == ["r1", "r2"]
    assert ext(QueueFilter(older_than=dt.timedelta(hours=1))) == []
    assert ext(QueueFilter(older_than=dt.timedelta(0))) == ["r1", "r2", "r3"]
    labelled = service.queue(sessions, QueueFilter(label="delivery"))
    assert [r.external_id for r in labelled] == ["r1"] and labelled[0].labels
    # Keyset paging: the second page starts after the first's last row.
    first = service.queue(sessions, QueueFilter(), limit=2)
    rest = service.queue(sessions, QueueFilter(), limit=2, after=(first[-1].due_at, first[-1].id))
    assert len(first) == 2 and len(rest) == 1
    assert {r.id for r in first} | {r.id for r in rest} == set(ids.values())


@pytest.fixture
def hook() -> Iterator[Receiver]:
    receiver = Receiver(failures=1)
    yield receiver
    receiver.server.shutdown()


def test_fu_store005_changes_reach_the_crm_signed_at_least_once_across_restarts(
    sessions: sessionmaker[Session], store_url: str, hook: Receiver
) -> None:
    settings = Settings.load(
        database_url=store_url,
        config=None,
        followups={"webhook": hook.url, "secret": SECRET},
    )
    rule = settings.followups
    ingest(sessions, "shop", located([fresh(1, score=2)]), followups=rule)
    (fid,) = _open_ids(sessions).values()
    service.update(sessions, rule, fid, 1, "ana", Change(status=Status.contacted, note="ruf an"))
    # The first try fails (503); a new deliverer (a restarted process) finds the rows.
    Deliverer(sessions, delivery_rules(settings)).deliver()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    Deliverer(sessions, delivery_rules(settings)).deliver(later)
    assert hook.bad_signatures == 0
    events = sorted(hook.bodies, key=lambda b: b["followup"]["version"])
    assert [b["event"] for b in events] == ["followup.updated", "followup.updated"]
    assert [b["followup"]["status"] for b in events] == ["new", "contacted"]
    assert events[1]["changes"] == [{"field": "status", "from": "new", "to": "contacted"}]
    assert events[1]["note"] == "ruf an" and events[1]["by"] == "ana"
    assert events[1]["response"] == {"source": "shop", "id": "r1"}
    assert sum(hook.acked.values()) == 2


def test_fu_store006_erasure_and_retention_take_follow_ups_and_notes(
    sessions: sessionmaker[Session],
) -> None:
    rule = FollowupConfig(webhook="http://127.0.0.1:9/hook", secret=SECRET)
    ingest(sessions, "shop", located([fresh(i, score=2) for i in range(1, 4)]), followups=rule)
    ids = _open_ids(sessions)
    service.update(sessions, rule, ids["r1"], 1, "ana", Change(note="Frau Muster, 0171 555"))
    with sessions.begin() as s:
        assert erase(s, source="shop", external_id="r1") == 1
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Followup)) == 2
        assert s.scalar(select(func.count()).where(FollowupEvent.followup_id == ids["r1"])) == 0
        notes = s.scalars(select(FollowupEvent.note).where(FollowupEvent.note.is_not(None)))
        assert list(notes) == []
        queued = s.scalars(select(AlertDelivery.event).where(AlertDelivery.rule == service.HOOK))
        assert sorted(queued) == sorted(f"followup|{ids[x]}|1" for x in ("r2", "r3"))
    # Retention (either mode) takes the rest with their comments.
    with sessions.begin() as s:
        apply_retention(s, dt.timedelta(minutes=1), "anonymise")
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Followup)) == 0
        assert s.scalar(select(func.count()).select_from(FollowupEvent)) == 0
        assert s.scalar(select(func.count()).select_from(AlertDelivery)) == 0


def test_fu_store007_figures_per_brand_and_country_with_n(
    sessions: sessionmaker[Session],
) -> None:
    ingest(
        sessions,
        "shop",
        located([fresh(1, score=2), fresh(2, score=2), fresh(3, score=2, brand="Kvist")]),
        followups=RULE,
    )
    ids = _open_ids(sessions)
    service.update(sessions, RULE, ids["r1"], 1, "ana", Change(status=Status.contacted))
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    rows = service.figures(sessions, end, days=30)
    cells = {(r.group["brand"], r.group["country"]): r for r in rows}
    assert set(cells) == {("Velora", "DE"), ("Kvist", "DE")}
    velora = cells[("Velora", "DE")]
    assert (velora.open, velora.overdue, velora.contact.n, velora.resolution.n) == (2, 0, 1, 0)
    # Four hours on, Kvist's follow-up (4-hour SLA) is overdue.
    later = end + dt.timedelta(hours=4)
    kvist = service.figures(sessions, end, days=30, brand=["Kvist"], now=later)
    assert [(r.open, r.overdue) for r in kvist] == [(1, 1)]
    (total,) = service.figures(sessions, end, days=30, by=())
    assert (total.group, total.open, total.contact.n) == ({}, 3, 1)
    (empty,) = service.figures(sessions, end - dt.timedelta(days=60), days=1, by=(), now=end)
    assert (empty.contact.n, empty.contact.median_hours) == (0, None)


def test_fu_store008_cli_backfill_and_erase(
    store_url: str, sessions: sessionmaker[Session]
) -> None:
    from tests.test_cli import invoke

    ingest(sessions, "shop", located([fresh(1, score=2), fresh(2, score=3), fresh(3, score=9)]))
    code, out, _ = invoke(store_url, "followups", "backfill", "--days", "7")
    assert code == 0 and "opened 2 follow-up(s)" in out
    code, out, _ = invoke(store_url, "followups", "backfill")
    assert "opened 0 follow-up(s)" in out
    code, out, _ = invoke(store_url, "erase", "--source", "shop", "--id", "r1")
    assert code == 0 and "follow-ups" in out
    assert [r.external_id for r in service.queue(sessions, QueueFilter())] == ["r2"]
    code, _, err = invoke(store_url, "followups", "backfill", "--days", "0")
    assert code != 0 and "--days" in err


def test_fu_store009_answer_times_on_either_store_match_the_hand_computed_fixture(
    sessions: sessionmaker[Session],
) -> None:
    """The fixture of test_fu_rule007 stored as follow-ups: PostgreSQL computes it in SQL,
    SQLite in Python; both give contact (6, 4 h, 20 h) and resolution (4, 12 h, 31.6 h)."""
    t0 = NOW - dt.timedelta(days=3)

    def h(hours: float | None) -> dt.datetime | None:
        return None if hours is None else t0 + dt.timedelta(hours=hours)

    fixture = [  # (status, first contact after, done after)
        ("resolved", 2, 3),
        ("resolved", 2, 12),
        ("contacted", 2, None),
        ("resolved", 6, 12),
        ("resolved", 10, 40),
        ("closed", 30, 31),  # contacted, then closed without action
        ("new", None, None),  # still open, no contact
        ("closed", None, 1),  # closed without contact
        ("in_progress", 1, None),  # reopened after a contact at 1 h ... and outside the window:
    ]
    rows = []
    for i, (status, contact, done) in enumerate(fixture, start=1):
        opened = t0 if i < len(fixture) else NOW - dt.timedelta(days=40)
        rows.append(
            Followup(
                response_id=i,
                status=status,
                version=1,
                opened_at=opened,
                due_at=opened + dt.timedelta(hours=48),
                first_contact_at=h(contact) if i < len(fixture) else opened,
                done_at=h(done),
                updated_at=opened,
                updated_by="rule",
                brand="Velora",
                country="DE",
                touchpoint="delivery",
                score=2,
                submitted_at=opened,
            )
        )
    with sessions.begin() as s:
        s.add_all(rows)
    (total,) = service.figures(sessions, NOW, days=30, by=())
    assert (total.open, total.overdue) == (3, 3)  # contacted, new, in progress; all past due
    assert total.contact.n == 6
    assert total.contact.median_hours == pytest.approx(4.0)
    assert total.contact.p90_hours == pytest.approx(20.0)
    assert total.resolution.n == 4
    assert total.resolution.median_hours == pytest.approx(12.0)
    assert total.resolution.p90_hours == pytest.approx(31.6)
    (cell,) = service.figures(sessions, NOW, days=30)
    assert cell.group == {"brand": "Velora", "country": "DE"} and cell.contact == total.contact
    # The cells and the total in one pass: the total is the same as asked alone.
    *cells, whole = service.figures(sessions, NOW, days=30, with_total=True)
    assert whole.group == {} and (whole.open, whole.overdue) == (total.open, total.overdue)
    assert (whole.contact, whole.resolution) == (total.contact, total.resolution)
    assert [c.group for c in cells] == [{"brand": "Velora", "country": "DE"}]
