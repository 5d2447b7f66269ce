"""alert events: drop alerts are keyed by cell and day

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 16:18:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint("uq_alert_deliveries_rule_event", ["rule", "event"])


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_deliveries_rule_event", type_="unique")
        batch_op.drop_column("event")
