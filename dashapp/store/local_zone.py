"""The display zone whose local days the store keeps as rollups (grain ``"l"``).

One name in ``store_meta`` (``local_days_zone``; none, or UTC, keeps no local
days). Every write of rollups reads it under a shared lock of its row
(:func:`for_write`) and a change of zone takes that row first (:func:`claim`),
so on PostgreSQL a change waits for the batches writing under the old zone and
the batches after it write under the new one: no response is counted into the
days of a zone the store no longer keeps. SQLite has one writer at a time.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashapp.store.models import StoreMeta

KEY = "local_days_zone"


def read(session: Session) -> str | None:
    """The zone whose days the store keeps (None: none kept)."""
    return session.scalar(select(StoreMeta.text).where(StoreMeta.key == KEY))


def for_write(session: Session) -> str | None:
    """:func:`read`, holding the row until *session* ends, so the zone cannot change meanwhile."""
    return session.scalar(
        select(StoreMeta.text).where(StoreMeta.key == KEY).with_for_update(read=True)
    )


def claim(session: Session, name: str | None) -> str | None:
    """Make *name* the kept zone, once writers under the old one are done; the old one."""
    session.execute(update(StoreMeta).where(StoreMeta.key == KEY).values(text=StoreMeta.text))
    old = read(session)
    session.execute(update(StoreMeta).where(StoreMeta.key == KEY).values(text=name))
    return old
