"""ix_responses_score_time: the drill-down's score orders page by index, not by sorting

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_responses_score_time", "responses", ["score", "submitted_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_responses_score_time", table_name="responses")
