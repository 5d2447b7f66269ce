"""Migrations: the head store is what the models describe; data survives the steps."""

from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from dashapp.store import db
from dashapp.store.models import Base


def test_mig001_migrated_store_matches_the_models(store_url: str) -> None:
    engine = db.make_engine(store_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []


def test_mig002_label_rows_get_their_responses_filters_and_back(store_url: str) -> None:
    command.downgrade(db.alembic_config(store_url), "0008")
    engine = db.make_engine(store_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO responses (id, source, external_id, submitted_at, brand, country,"
                " touchpoint, score, comment, properties, content_hash, ingested_at)"
                " VALUES (7, 'shop', 'a', :at, 'Velora', 'DE', 'delivery', 3, 'late', '{}',"
                " 'x', :at)"
            ),
            {"at": dt.datetime(2026, 11, 1, 12)},
        )
        conn.execute(
            text(
                "INSERT INTO response_labels (response_id, label, sentiment, submitted_at)"
                " VALUES (7, 'delivery/time', -1, :at)"
            ),
            {"at": dt.datetime(2026, 11, 1, 12)},
        )
    db.upgrade(store_url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT brand, country, touchpoint, score FROM response_labels")
        ).one()
    assert tuple(row) == ("Velora", "DE", "delivery", 3)
    # And back: the copies go, the label stays.
    command.downgrade(db.alembic_config(store_url), "0008")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT response_id, label FROM response_labels")).all() == [
            (7, "delivery/time")
        ]
    engine.dispose()
