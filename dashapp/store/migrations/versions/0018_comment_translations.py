"""comment_translations: comments in a reader's language, made by a configured translator

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashapp.store.models import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "comment_translations",
        sa.Column("response_id", BIG_ID, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("source_language", sa.String(length=8), nullable=True),
        sa.Column("translated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("response_id", "language", name=op.f("pk_comment_translations")),
    )


def downgrade() -> None:
    op.drop_table("comment_translations")
