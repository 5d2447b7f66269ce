"""initial store

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:19:11.647464
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dashapp.store.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "ingest_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_ingest_tokens_token_hash")),
    )
    with op.batch_alter_table("ingest_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_tokens_source"), ["source"], unique=False)

    op.create_table(
        "responses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("submitted_at", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column(
            "properties",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_hash", sa.String(length=32), nullable=False),
        sa.Column("ingested_at", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_responses_source")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index("ix_responses_submitted_at_id", ["submitted_at", "id"], unique=False)
        batch_op.create_index(
            "ix_responses_window",
            ["submitted_at", "brand", "country", "touchpoint", "score"],
            unique=False,
        )

    op.create_table(
        "rollups",
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("bucket", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("promoters", sa.Integer(), nullable=False),
        sa.Column("passives", sa.Integer(), nullable=False),
        sa.Column("detractors", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "grain", "bucket", "brand", "country", "touchpoint", name=op.f("pk_rollups")
        ),
    )
    op.create_table(
        "source_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "cursor",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=True,
        ),
        sa.Column("last_poll_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("last_error_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("newest_record_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("accepted_total", sa.BigInteger(), nullable=False),
        sa.Column("rejected_total", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_source_state")),
    )
    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )
    op.bulk_insert(
        sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger)),
        # A random start keeps the versions of two stores that share one Redis
        # cache apart, so cache keys (name, version, params) never collide.
        [{"key": "data_version", "value": secrets.randbits(48)}],
    )


def downgrade() -> None:

    op.drop_table("store_meta")
    op.drop_table("source_state")
    op.drop_table("rollups")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_window")
        batch_op.drop_index("ix_responses_submitted_at_id")

    op.drop_table("responses")
    with op.batch_alter_table("ingest_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_tokens_source"))

    op.drop_table("ingest_tokens")
