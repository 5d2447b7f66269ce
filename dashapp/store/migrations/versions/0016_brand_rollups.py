"""ix_rollups_brand, ix_label_rollups_brand: a brand's drill-down reads only its own rollups

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 07:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLLUP_COUNTS = ["country", "touchpoint", "n", "promoters", "passives", "detractors"]
LABEL_COUNTS = [
    "label",
    "country",
    "touchpoint",
    "promoters",
    "passives",
    "detractors",
    "positive",
    "neutral",
    "negative",
]


def upgrade() -> None:
    # PostgreSQL reads the counts from the index alone (INCLUDE); SQLite has no INCLUDE.
    op.create_index(
        "ix_rollups_brand",
        "rollups",
        ["grain", "brand", "bucket"],
        postgresql_include=ROLLUP_COUNTS,
    )
    op.create_index(
        "ix_label_rollups_brand",
        "label_rollups",
        ["grain", "brand", "bucket"],
        postgresql_include=LABEL_COUNTS,
    )


def downgrade() -> None:
    op.drop_index("ix_label_rollups_brand", table_name="label_rollups")
    op.drop_index("ix_rollups_brand", table_name="rollups")
