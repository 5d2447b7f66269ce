"""followups: an owner, a status and a due time per response that needs an answer, with history

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dashapp.store.models import UTCDateTime

# The open statuses as they were at this revision (a later change needs a new index).
OPEN_FOLLOWUP = "status IN ('new', 'in_progress', 'contacted')"

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", BIG_ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("first_contact_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("brand", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("touchpoint", sa.String(length=32), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.UniqueConstraint("response_id", name=op.f("uq_followups_response_id")),
    )
    op.create_index(
        "ix_followups_open_due",
        "followups",
        ["due_at", "id"],
        postgresql_where=sa.text(OPEN_FOLLOWUP),
        sqlite_where=sa.text(OPEN_FOLLOWUP),
    )
    op.create_index("ix_followups_status_due", "followups", ["status", "due_at", "id"])
    op.create_index(
        "ix_followups_open_cells",
        "followups",
        ["brand", "country", "touchpoint", "due_at"],
        postgresql_where=sa.text(OPEN_FOLLOWUP),
        sqlite_where=sa.text(OPEN_FOLLOWUP),
    )
    op.create_index(
        "ix_followups_opened",
        "followups",
        ["opened_at", "brand", "country", "touchpoint", "status", "first_contact_at", "done_at"],
    )
    op.create_index("ix_followups_owner", "followups", ["owner_id", "status"])
    op.create_table(
        "followup_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("followup_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("from_value", sa.String(length=200), nullable=True),
        sa.Column("to_value", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_events")),
    )
    op.create_index("ix_followup_events_followup", "followup_events", ["followup_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_followup_events_followup", table_name="followup_events")
    op.drop_table("followup_events")
    op.drop_index("ix_followups_owner", table_name="followups")
    op.drop_index("ix_followups_opened", table_name="followups")
    op.drop_index("ix_followups_open_cells", table_name="followups")
    op.drop_index("ix_followups_status_due", table_name="followups")
    op.drop_index("ix_followups_open_due", table_name="followups")
    op.drop_table("followups")
