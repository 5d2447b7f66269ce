"""smart labels: response labels, label rollups, taxonomies, discovered themes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashapp.store.models import JSONType, UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "response_labels",
        sa.Column("response_id", ID, nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("sentiment", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", "label", name=op.f("pk_response_labels")),
    )
    op.create_index(
        "ix_response_labels_label_time",
        "response_labels",
        ["label", "submitted_at", "response_id"],
    )
    counts = [
        sa.Column(name, sa.Integer(), nullable=False)
        for name in ("promoters", "passives", "detractors", "positive", "neutral", "negative")
    ]
    op.create_table(
        "label_rollups",
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("bucket", UTCDateTime(), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        *counts,
        sa.PrimaryKeyConstraint(
            "grain",
            "bucket",
            "label",
            "brand",
            "country",
            "touchpoint",
            name=op.f("pk_label_rollups"),
        ),
    )
    op.create_table(
        "taxonomies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomies")),
    )
    op.create_table(
        "themes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("terms", JSONType, nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("this_week", sa.Integer(), nullable=False),
        sa.Column("last_week", sa.Integer(), nullable=False),
        sa.Column("examples", JSONType, nullable=False),
        sa.Column("label", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_themes")),
    )
    op.create_index("ix_themes_run", "themes", ["run_at", "scope"])


def downgrade() -> None:
    op.drop_index("ix_themes_run", table_name="themes")
    op.drop_table("themes")
    op.drop_table("taxonomies")
    op.drop_table("label_rollups")
    op.drop_index("ix_response_labels_label_time", table_name="response_labels")
    op.drop_table("response_labels")
