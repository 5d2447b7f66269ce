"""response_labels repeat brand, country, touchpoint and score: a label's drill-down on one index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = (
    ("brand", sa.String(64)),
    ("country", sa.String(2)),
    ("touchpoint", sa.String(32)),
    ("score", sa.SmallInteger()),
)
OLD_INDEX = ["label", "submitted_at", "response_id"]


def upgrade() -> None:
    for name, type_ in COPIED:
        op.add_column("response_labels", sa.Column(name, type_, nullable=True))
    # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
    op.execute(
        "UPDATE response_labels SET brand = r.brand, country = r.country,"
        " touchpoint = r.touchpoint, score = r.score"
        " FROM responses AS r WHERE r.id = response_labels.response_id"
    )
    op.drop_index("ix_response_labels_label_time", table_name="response_labels")
    with op.batch_alter_table("response_labels") as batch:
        for name, type_ in COPIED:
            batch.alter_column(name, existing_type=type_, nullable=False)
    op.create_index(
        "ix_response_labels_label_time",
        "response_labels",
        [*OLD_INDEX, *(name for name, _ in COPIED)],
    )


def downgrade() -> None:
    op.drop_index("ix_response_labels_label_time", table_name="response_labels")
    with op.batch_alter_table("response_labels") as batch:
        for name, _ in COPIED:
            batch.drop_column(name)
    op.create_index("ix_response_labels_label_time", "response_labels", OLD_INDEX)
