"""Migrations: a store migrated to the head has exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dashapp import db
from dashapp.models import Base


def test_mig001_migrated_store_matches_the_models(store_url: str) -> None:
    engine = db.make_engine(store_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []
