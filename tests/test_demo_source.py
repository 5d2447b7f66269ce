"""The demo simulator: valid, deterministic, continuous, multilingual, score-consistent."""

from __future__ import annotations

import datetime as dt
import inspect
from collections import Counter

from dashapp.ingest.validation import validate
from data_sources.demo import INCIDENTS, DemoSource, history
from data_sources.demo_phrases import PHRASES

NOW = dt.datetime(2026, 11, 24, 15, 0, 7, tzinfo=dt.UTC)


def test_demo001_history_streams_valid_unique_records() -> None:
    stream = history(21, NOW, per_day=800)
    assert inspect.isgenerator(stream)
    records = [raw for _, raw in stream]
    assert 21 * 800 * 0.8 < len(records) < 21 * 800 * 1.2
    for raw in records:
        validate(raw)
    assert len({r["id"] for r in records}) == len(records)
    times = [r["submitted_at"] for r in records]
    assert times[0] >= (NOW - dt.timedelta(days=21)).strftime("%Y-%m-%d")
    assert max(times) <= NOW.isoformat()
    languages = Counter(r.get("language") for r in records)
    assert {"de", "en", "fr", "nl", "sv", "da", "it", "es", "pl", "fi", "nb"} <= set(languages)
    assert 0.08 < languages[None] / len(records) < 0.7  # no comment, or language left for detection
    assert len({r["country"] for r in records}) >= 10
    assert len({r["brand"] for r in records}) >= 4
    assert {r["touchpoint"] for r in records} == {"delivery", "service", "purchase"}


def test_demo002_polls_are_continuous_and_repeatable() -> None:
    source = DemoSource("demo", rate_per_minute=30)
    first = source.poll(None, now=NOW)
    assert first.records  # a first poll shows something at once
    seen = {raw["id"] for _, raw in first.records}
    cursor = first.cursor
    for step in range(1, 40):
        batch = source.poll(cursor, now=NOW + dt.timedelta(seconds=15 * step))
        ids = {raw["id"] for _, raw in batch.records}
        assert not ids & seen
        seen |= ids
        assert batch.cursor["until"] == int((NOW + dt.timedelta(seconds=15 * step)).timestamp())
        again = DemoSource("demo", rate_per_minute=30).poll(
            cursor, now=NOW + dt.timedelta(seconds=15 * step)
        )
        assert [r["id"] for _, r in again.records] == [r["id"] for _, r in batch.records]
        cursor = batch.cursor
    # ~30 a minute over ten minutes, shaped by the time of day.
    assert 100 < len(seen) < 600


def test_demo003_long_gap_is_caught_up_in_bounded_polls() -> None:
    source = DemoSource("demo", rate_per_minute=60)
    batch = source.poll({"until": int(NOW.timestamp()) - 86_400}, now=NOW)
    assert len(batch.records) == 500
    assert batch.more


def test_demo004_comments_agree_with_scores() -> None:
    negative = {c for lang in PHRASES.values() for _, bad in lang.values() for c in bad}
    positive = {c for lang in PHRASES.values() for good, _ in lang.values() for c in good}
    checked = 0
    for _, raw in history(10, NOW, per_day=600):
        text = (raw.get("comment") or "").lower()
        if not text or raw["score"] < 9:
            continue
        assert not any(bad.lower() in text for bad in negative), raw
        assert any(good.lower() in text for good in positive), raw
        checked += 1
    assert checked > 500


def test_demo005_incidents_drop_the_cell() -> None:
    incident = INCIDENTS[0]
    inside, outside = [], []
    for _, raw in history(120, NOW, per_day=1500):
        if (raw["brand"], raw["country"], raw["touchpoint"]) != (
            incident.brand,
            incident.country,
            incident.touchpoint,
        ):
            continue
        at = dt.datetime.fromisoformat(raw["submitted_at"])
        (inside if incident.active(at) else outside).append(raw["score"])

    def nps(scores: list[int]) -> float:
        return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)

    assert len(inside) > 100
    assert nps(outside) - nps(inside) > 30
