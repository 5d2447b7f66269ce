"""alert deliveries

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 15:50:26.509880
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import dashapp.store.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column(
            "response_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(sa.JSON(none_as_null=True), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.Column("next_attempt_at", dashapp.store.models.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("failed_at", dashapp.store.models.UTCDateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("rule", "response_id", name=op.f("uq_alert_deliveries_rule")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_deliveries_due",
            ["delivered_at", "failed_at", "next_attempt_at"],
            unique=False,
        )


def downgrade() -> None:

    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_deliveries_due")

    op.drop_table("alert_deliveries")
