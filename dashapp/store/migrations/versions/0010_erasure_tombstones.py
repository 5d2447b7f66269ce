"""erasure_tombstones: erased responses as keyed digests, so no source brings them back

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashapp.store.models import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasure_tombstones",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_erasure_tombstones")),
    )


def downgrade() -> None:
    # The key (app_secrets "tombstone") is left: harmless, and needed if upgraded again
    # with a restored table.
    op.drop_table("erasure_tombstones")
