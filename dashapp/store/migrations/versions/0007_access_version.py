"""access_version: a counter of access changes, so processes may remember identities

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 17:40:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STORE_META = sa.table("store_meta", sa.column("key", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    # A random start, like data_version's: two stores sharing one cache never agree by chance.
    op.bulk_insert(STORE_META, [{"key": "access_version", "value": secrets.randbits(48)}])


def downgrade() -> None:
    op.execute(STORE_META.delete().where(STORE_META.c.key == "access_version"))
