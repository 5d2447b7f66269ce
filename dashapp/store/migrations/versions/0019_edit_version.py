"""edit_version: a counter of changes to data already shown (not new responses)

The wall's figures settle for a minute while new responses arrive; an erasure,
an annotation or a relabelling must show at the next poll (dashapp/store/counters.py).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 21:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORE_META = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    # A random start, like the other counters': two stores sharing one cache never agree.
    op.bulk_insert(STORE_META, [{"key": "edit_version", "value": secrets.randbits(48)}])


def downgrade() -> None:
    op.execute(STORE_META.delete().where(STORE_META.c.key == "edit_version"))
