"""store_meta.text, local_days_zone: the display zone whose days the rollups keep (grain "l")

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORE_META = sa.table(
    "store_meta",
    sa.column("key", sa.String),
    sa.column("value", sa.BigInteger),
    sa.column("text", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("store_meta") as table:
        table.add_column(sa.Column("text", sa.String(64), nullable=True))
    # No zone kept yet: the scheduler keeps the configured one when it starts. The row
    # exists from here on, so ingest and a change of zone can lock it.
    op.bulk_insert(STORE_META, [{"key": "local_days_zone", "value": 0, "text": None}])


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM rollups WHERE grain = 'l'"))
    op.execute(STORE_META.delete().where(STORE_META.c.key == "local_days_zone"))
    with op.batch_alter_table("store_meta") as table:
        table.drop_column("text")
