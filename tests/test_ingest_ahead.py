"""Ingest with batches prepared ahead in a worker process stores exactly what ingest inline does.

The worker validates, detects languages and labels (dashapp/ingest/prepare.py);
everything that needs the store (erasures, retention, dedupe against stored
rows, updates, rollups) stays with the writer. These tests hold the two ways
equal on the awkward cases, and the writer in charge of the taxonomy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.pipeline import IngestReport, Retention, ingest, ingest_batch
from dashapp.ingest.prepare import prepare
from dashapp.ingest.validation import DEFAULT_BOUNDS
from dashapp.labels import store as label_store
from dashapp.labels.labelling import Labeller
from dashapp.labels.taxonomy import parse_taxonomy
from dashapp.store import db, tombstones
from dashapp.store.models import LabelRollup, Response, ResponseLabel, Rollup
from data_sources.base import SourceError
from tests.factories import located, record

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _rows() -> list[dict[str, Any]]:
    """Records with every case the writer decides: repeats, updates, erasure, retention, bad."""
    recent = (NOW - dt.timedelta(hours=5)).isoformat()
    old = (NOW - dt.timedelta(days=40)).isoformat()
    rows = [
        record(
            i,
            submitted_at=(NOW - dt.timedelta(minutes=37 * i)).isoformat(),
            score=i % 11,
            country=("DE", "SE", "FR", "DK")[i % 4],
            language=None if i % 3 == 0 else ("de", "sv", "fr", "da")[i % 4],
            comment=(
                "Die Lieferung kam zu spät, aber der Support war sehr freundlich",
                "Leveransen var snabb men förpackningen var trasig",
                "Le prix est trop élevé pour cette qualité",
                "Pakken kom for sent og kassen var i stykker",
            )[i % 4]
            + f" #{i}",
        )
        for i in range(1, 40)
    ]
    rows += [
        record(40, submitted_at=recent, comment=None, language=None),
        record(5, submitted_at=recent, score=0, comment="Versandkosten viel zu hoch"),  # update
        dict(rows[6]),  # an identical repeat in the same batch
        record(41, submitted_at=old, comment="Zu teuer, Qualität schlecht", language=None),
        record(42, comment="erased by its customer"),
        record(43, score=11),  # invalid: named field and row
        {**record(44), "brand": ""},  # invalid
    ]
    return rows


def _store(tmp_path: Path, name: str) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / name}"
    db.upgrade(url)
    sessions = db.make_sessionmaker(db.make_engine(url))
    with sessions.begin() as session:
        tombstones.begin_erasure(session)
        tombstones.bury(session, [("shop", "r42")])
    # Earlier responses the batch updates or repeats.
    ingest(sessions, "shop", located([record(7, submitted_at=NOW.isoformat()), record(8)]))
    return sessions


def _dump(sessions: sessionmaker[Session]) -> dict[str, Any]:
    with sessions() as s:
        ids = dict(s.execute(select(Response.id, Response.external_id)).all())
        responses = sorted(
            tuple(row)
            for row in s.execute(
                select(
                    Response.external_id,
                    Response.submitted_at,
                    Response.score,
                    Response.comment,
                    Response.language,
                    Response.properties,
                    Response.content_hash,
                )
            )
        )
        labels = sorted(
            (ids[rid], label, sentiment)
            for rid, label, sentiment in s.execute(
                select(ResponseLabel.response_id, ResponseLabel.label, ResponseLabel.sentiment)
            )
        )
        rollups = sorted(
            tuple(row)
            for row in s.execute(select(*(c for c in Rollup.__table__.c if c.name != "id")))
        )
        label_rollups = sorted(
            tuple(row)
            for row in s.execute(select(*(c for c in LabelRollup.__table__.c if c.name != "id")))
        )
    return {
        "responses": responses,
        "labels": labels,
        "rollups": rollups,
        "label_rollups": label_rollups,
    }


def _said(report: IngestReport) -> tuple[Any, ...]:
    return (report.summary(), [str(r) for r in report.rejected])


def test_ahead001_a_worker_stores_exactly_what_inline_ingest_stores(tmp_path: Path) -> None:
    inline, ahead = _store(tmp_path, "inline.db"), _store(tmp_path, "ahead.db")
    keep = Retention(days=30, mode="anonymise")
    # Small batches: several in flight at once, and a batch boundary inside the updates.
    by_inline = ingest(inline, "shop", located(_rows()), batch_size=9, retention=keep)
    by_worker = ingest(ahead, "shop", located(_rows()), batch_size=9, retention=keep, ahead=True)

    assert _said(by_worker) == _said(by_inline)
    assert by_worker.erased == 1 and len(by_worker.rejected) == 2
    assert [str(r) for r in by_worker.rejected] == [
        "index 44: score='11': must be an integer 0..10",
        "index 45: brand='': is required",
    ]
    stored = _dump(ahead)
    assert stored == _dump(inline)
    # The cases happened: detected languages, labels, the update, the anonymised record.
    by_id = {row[0]: row for row in stored["responses"]}
    assert by_id["r3"][4] == "da" and by_id["r5"][3] == "Versandkosten viel zu hoch"
    assert by_id["r41"][3] is None and "r42" not in by_id
    assert {label for _, label, _ in stored["labels"]} >= {"delivery", "price"}


def test_ahead002_labels_made_with_an_older_taxonomy_are_made_again(
    sessions: sessionmaker[Session],
) -> None:
    """A taxonomy saved while a batch was prepared: the writer labels with the one in force."""
    older = parse_taxonomy('[labels.weather]\nname = "Weather"\nde = ["regen*"]\nen = ["rain"]\n')
    rows = located([record(1, comment="Die Lieferung kam zu spät, Regenwetter")])
    prepared = prepare(rows, DEFAULT_BOUNDS, Labeller(older))
    assert prepared.labels == [(("weather", -1),)]

    with sessions.begin() as session:
        ingest_batch(session, "shop", rows, prepared=prepared)
        in_force = label_store.labeller(session).label(rows[0][1]["comment"], "de")
    with sessions() as session:
        stored = session.execute(select(ResponseLabel.label, ResponseLabel.sentiment)).all()
    assert sorted(tuple(row) for row in stored) == sorted(in_force)
    assert "weather" not in {label for label, _ in stored}


def test_ahead003_a_source_failing_midway_loses_no_batch_it_gave(tmp_path: Path) -> None:
    """Batches read ahead before the source broke are stored, as without the worker."""

    def breaking() -> Iterator[tuple[str, dict[str, Any]]]:
        yield from located([record(i, submitted_at=NOW.isoformat()) for i in range(1, 8)])
        raise SourceError("line 9: field larger than field limit")

    for name, ahead in (("inline.db", False), ("ahead.db", True)):
        url = f"sqlite:///{tmp_path / name}"
        db.upgrade(url)
        sessions = db.make_sessionmaker(db.make_engine(url))
        with pytest.raises(SourceError, match="line 9"):
            ingest(sessions, "shop", breaking(), batch_size=2, ahead=ahead)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(Response)) == 6, name
