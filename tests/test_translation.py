"""Comments in the reader's language (#18 item 6): a background job asks a LibreTranslate-
compatible translator (a real HTTP server on 127.0.0.1 here), the store keeps the answers,
screens show them with the original a click away; nothing waits for the translator, and a
translation never outlives its comment."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callbacks.wall import feed_card
from dashapp.config import ConfigError, Settings
from dashapp.i18n import use_locale
from dashapp.ingest.erasure import apply_retention, erase
from dashapp.ingest.pipeline import ingest
from dashapp.masking import mask
from dashapp.metrics.queries import FeedItem
from dashapp.store import db
from dashapp.store import translations as store
from dashapp.store.models import CommentTranslation
from dashapp.translation.client import LibreTranslate, TranslatorUnavailable, Untranslatable
from dashapp.translation.job import translate_recent
from tests.factories import located, record
from tests.fake_translator import translator

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _seed(sessions: sessionmaker[Session]) -> None:
    rows = [
        record(1, comment="Leveransen var sen", language="sv", score=3),
        record(2, comment="Schnelle Lieferung", language="de", score=10),
        record(3, comment="Great service, thanks", language="en", score=9),
        record(4, comment="Goed product", language="nl", score=8),
        # Older than the job looks back: never sent.
        record(5, comment="Gammal kommentar", language="sv", submitted_at="2026-09-01T10:00:00Z"),
    ]
    assert ingest(sessions, "shop", located(rows)).accepted == 5


def _run(sessions: sessionmaker[Session], url: str, **kw: object) -> int:
    client = LibreTranslate(url, kw.pop("api_key", None), kw.pop("timeout", 5.0))  # type: ignore[arg-type]
    try:
        return translate_recent(
            sessions,
            client,
            kw.pop("targets", ("en", "de")),  # type: ignore[arg-type]
            max_age=dt.timedelta(days=30),
            batch=int(kw.pop("batch", 25)),  # type: ignore[call-overload]
            max_chars=int(kw.pop("max_chars", 5000)),  # type: ignore[call-overload]
            now=NOW,
        )
    finally:
        client.close()


def _kept(sessions: sessionmaker[Session]) -> dict[tuple[int, str], tuple[str | None, str | None]]:
    with sessions() as session:
        return {
            (r.response_id, r.language): (r.text, r.source_language)
            for r in session.scalars(select(CommentTranslation))
        }


def _ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    from dashapp.store.models import Response

    with sessions() as session:
        return dict(session.execute(select(Response.external_id, Response.id)).all())


def test_tr001_recent_comments_into_each_reader_language(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    ids = _ids(sessions)
    with translator() as fake:
        # Into English: sv, de, nl; into German: sv, en, nl.
        assert _run(sessions, fake.url) == 6
        # One source language per request, never the target; nothing old.
        assert all(r["source"] != r["target"] for r in fake.requests)
        assert len({(r["source"], r["target"]) for r in fake.requests}) == len(fake.requests) == 6
        sent = [text for r in fake.requests for text in r["q"]]
        assert "Gammal kommentar" not in sent
        assert _run(sessions, fake.url) == 0  # all done: nothing asked again
        assert len(fake.requests) == 6
    kept = _kept(sessions)
    assert kept[(ids["r1"], "en")] == ("The delivery was late", "sv")
    assert kept[(ids["r1"], "de")] == ("Die Lieferung kam spät", "sv")
    assert kept[(ids["r2"], "en")] == ("Fast delivery", "de")
    assert (ids["r2"], "de") not in kept and (ids["r3"], "en") not in kept
    with sessions() as session:
        assert store.read(session, [ids["r1"], ids["r2"], ids["r3"]], "de") == {
            ids["r1"]: ("Die Lieferung kam spät", "sv"),
            ids["r3"]: ("[de] Great service, thanks", "en"),
        }


def test_tr002_a_refused_text_is_asked_alone_and_then_never_again(
    sessions: sessionmaker[Session],
) -> None:
    rows = [
        record(1, comment="Leveransen var sen", language="sv"),
        record(2, comment="REFUSE this one", language="sv"),
    ]
    ingest(sessions, "shop", located(rows))
    ids = _ids(sessions)
    with translator() as fake:
        assert _run(sessions, fake.url, targets=("en",)) == 2
        # The pair (newest first), refused; then each alone.
        assert [r["q"] for r in fake.requests] == [
            ["REFUSE this one", "Leveransen var sen"],
            ["REFUSE this one"],
            ["Leveransen var sen"],
        ]
        assert _run(sessions, fake.url, targets=("en",)) == 0
        assert len(fake.requests) == 3
    assert _kept(sessions)[(ids["r2"], "en")] == (None, "sv")
    with sessions() as session:
        assert store.read(session, [ids["r2"]], "en") == {}


@pytest.mark.parametrize("failure", [500, 429, 403, "hang", "nonsense"])
def test_tr003_a_translator_that_cannot_answer_costs_a_run_not_a_comment(
    sessions: sessionmaker[Session], failure: int | str
) -> None:
    _seed(sessions)
    with translator() as fake:
        fake.script = [failure]
        started = time.monotonic()
        assert _run(sessions, fake.url, timeout=1.0) == 0
        assert time.monotonic() - started < 2.5  # a hang costs the time limit, once
        assert _kept(sessions) == {}
        assert _run(sessions, fake.url, timeout=1.0) == 6  # the next run asks again


def test_tr004_the_api_key_is_sent(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    with translator(api_key="s3cret") as fake:
        assert _run(sessions, fake.url) == 0  # refused: 403
        assert _run(sessions, fake.url, api_key="s3cret") == 6


def test_tr005_a_translation_never_outlives_its_comment(sessions: sessionmaker[Session]) -> None:
    _seed(sessions)
    ids = _ids(sessions)
    with translator() as fake:
        _run(sessions, fake.url)
    # Erased: its translations go with it.
    with sessions.begin() as session:
        assert erase(session, source="shop", external_id="r1") == 1
    # Changed: the old translation goes.
    changed = record(2, comment="Schnelle Lieferung, aber kaputt", language="de", score=4)
    assert ingest(sessions, "shop", located([changed])).updated == 1
    kept = _kept(sessions)
    assert not any(rid in (ids["r1"], ids["r2"]) for rid, _ in kept)
    assert (ids["r4"], "en") in kept
    # Anonymised by retention: the comment and its translations go.
    with sessions.begin() as session:
        apply_retention(session, dt.timedelta(days=0), "anonymise", now=NOW + DAY)
    assert _kept(sessions) == {}


def test_tr006_an_answer_for_a_comment_changed_meanwhile_is_not_kept(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions)
    with sessions() as session:
        asked = store.pending(session, "en", NOW - 30 * DAY, 10)
    sv = next(p for p in asked if p.language == "sv")
    # The comment changes while the translator works on the old one.
    ingest(sessions, "shop", located([record(1, comment="Leveransen kom fram", language="sv")]))
    with sessions.begin() as session:
        kept = store.save(session, "en", [store.Done(sv, "The delivery was late", "sv")], NOW)
    assert kept == 0
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CommentTranslation)) == 0


def test_tr007_the_client_reads_detected_languages_and_checks_answers() -> None:
    with translator() as fake:
        client = LibreTranslate(fake.url)
        done = client.translate(["Goed product", "Leveransen var sen"], None, "en")
        assert [(d.text, d.source) for d in done] == [
            ("Good product", "nl"),
            ("The delivery was late", "sv"),
        ]
        with pytest.raises(Untranslatable):
            client.translate(["REFUSE"], "sv", "en")
        fake.script = ["nonsense"]
        with pytest.raises(TranslatorUnavailable, match="does not match"):
            client.translate(["a", "b"], "sv", "en")
        client.close()
    with pytest.raises(TranslatorUnavailable):  # nothing listens any more
        LibreTranslate(fake.url, timeout=1.0).translate(["a"], "sv", "en")


def test_tr008_the_card_shows_the_translation_masked_with_the_original_a_click_away() -> None:
    item = FeedItem(
        1, NOW, "Velora", "SE", "delivery", 3, "Ring mig på +46 70 123 45 67 <b>nu</b>", "sv"
    )
    translated = ("Call me at +46 70 123 45 67 <b>now</b>", "sv")
    with use_locale("de"):
        card = feed_card(item, NOW, (), mask, translated)
    found = _texts(card)
    shown = next(text for text in found if text.startswith("Call me at"))
    assert "+46 70 123 45 67" not in " ".join(found)  # masked, the original too
    assert shown.endswith("<b>now</b>")  # text, never markup
    assert "Übersetzung (Original: Schwedisch)" in found
    assert any(t.startswith("Ring mig på") for t in found)
    with use_locale("de"):
        plain = feed_card(item, NOW, (), mask)
    assert not any("Übersetzt" in t for t in _texts(plain))


def test_tr009_off_unless_configured(store_url: str) -> None:
    from dashapp.jobs.runtime import start_scheduler

    assert Settings.load().translation is None
    work = start_scheduler(Settings.load(database_url=store_url))
    try:
        assert work.scheduler.get_job("translation:comments") is None
    finally:
        work.stop()
    on = Settings.load(database_url=store_url, translation={"url": "http://127.0.0.1:9"})
    work = start_scheduler(on)
    try:
        assert work.scheduler.get_job("translation:comments") is not None
    finally:
        work.stop()
    with pytest.raises(ConfigError, match="translation.url"):
        Settings.load(translation={"url": "ftp://example.org"})
    with pytest.raises(ConfigError, match="translation.languages"):
        Settings.load(translation={"url": "http://127.0.0.1:5000", "languages": ["xx"]})


def _texts(component: object) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, list):
        children = [children]
    return [text for child in children for text in _texts(child)]


def test_tr010_the_report_quotes_the_translation_and_the_original(store_url: str) -> None:
    """The daily report in German quotes a Swedish detractor in German, the original beside."""
    from dashapp.jobs import report
    from dashapp.services import build_services

    day = dt.date(2026, 11, 20)
    sessions = db.make_sessionmaker(db.make_engine(store_url))
    at = dt.datetime.combine(day, dt.time(10), dt.UTC).isoformat()
    rows = [record(1, comment="Leveransen var sen", language="sv", score=2, submitted_at=at)]
    ingest(sessions, "shop", located(rows))
    with translator() as fake:
        _run(sessions, fake.url, targets=("de",))
    engine = build_services(Settings.load(database_url=store_url)).nps
    with use_locale("de"):
        built = report.build(engine, day)
        page, plain = report.html(built), report.text(built)
    for shown in (page, plain):
        assert "Die Lieferung kam spät" in shown
        assert "Übersetzung (Original: Schwedisch)" in shown
        assert "Leveransen var sen" in shown


def test_tr011_the_follow_up_shows_the_comment_in_the_owners_language(store_url: str) -> None:
    """Whoever answers an unhappy Swedish customer from the German office reads the comment in
    German, the original a click away; an agent (below analyst) reads both masked."""
    from callbacks.followups import _detail
    from dashapp.access.users import Person, Role
    from dashapp.config import FollowupConfig
    from dashapp.followups import service
    from dashapp.followups.params import QueueFilter
    from dashapp.services import build_services

    sessions = db.make_sessionmaker(db.make_engine(store_url))
    rows = [record(1, comment="Leveransen var sen, ring 070-123 45 67", language="sv", score=2)]
    ingest(sessions, "shop", located(rows), followups=FollowupConfig())
    with translator() as fake:
        _run(sessions, fake.url, targets=("de",))
    services = build_services(Settings.load(database_url=store_url))
    (row,) = service.queue(sessions, QueueFilter())
    detail = service.detail(sessions, row.id)
    for role, masked in ((Role.analyst, False), (Role.viewer, True)):
        with use_locale("de"):
            shown = " ".join(
                _texts(_detail(services, detail, Person("x", role, "session"), NOW)[1])
            )
        assert "[de] Leveransen var sen" in shown and "Übersetzung (Original: Schwedisch)" in shown
        assert ("070-123 45 67" in shown) is not masked, shown
