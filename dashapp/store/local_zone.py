"""The display zone whose local days the store keeps as rollups (grain ``"l"``).

One name in ``store_meta`` (``local_days_zone``; none, or UTC, keeps no local
days). Every write of rollups reads it holding a shared lock (:func:`for_write`)
and a change of zone takes that lock exclusively (:func:`claim`), so a change
waits for the batches writing under the old zone and the batches after it write
under the new one: no response is counted into the days of a zone the store no
longer keeps. On PostgreSQL the lock is a transaction-level advisory lock, whose
requests queue in order (a row's FOR SHARE would let overlapping batches starve
the change); on SQLite it is the store's one write lock, taken before the read.
"""

from __future__ import annotations

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from dashapp.store.models import StoreMeta

KEY = "local_days_zone"
#: The advisory lock's number on PostgreSQL (one the app uses for nothing else).
LOCK_ID = 0x66774C445A4F4E45  # "fwLDZONE" in ASCII


def read(session: Session) -> str | None:
    """The zone whose days the store keeps (None: none kept)."""
    return session.scalar(select(StoreMeta.text).where(StoreMeta.key == KEY))


def for_write(session: Session) -> str | None:
    """:func:`read`, holding the shared lock until *session* ends: the zone cannot change
    before this transaction's rollups are written."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:id)"), {"id": LOCK_ID})
    else:
        _write_lock(session)
    return read(session)


def claim(session: Session, name: str | None) -> str | None:
    """Make *name* the kept zone once writers under the old one are done; the old one.

    Writers arriving meanwhile wait for this transaction's end.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": LOCK_ID})
    else:
        _write_lock(session)
    old = read(session)
    session.execute(update(StoreMeta).where(StoreMeta.key == KEY).values(text=name))
    return old


def _write_lock(session: Session) -> None:
    # SQLite: a write that changes nothing takes the store's write lock now, so nothing
    # commits between this read and the transaction's writes (as tombstones.guard does).
    session.execute(update(StoreMeta).where(StoreMeta.key == KEY).values(text=StoreMeta.text))
