"""Tombstones: what is left of an erased response, so no source can bring it back.

A tombstone is an HMAC-SHA256 of the response's source and external id, keyed
with a random secret made once per store (``app_secrets`` row ``tombstone``),
and the time of the erasure. Neither the source nor the id is kept in plain
text, and without the key a digest cannot be tested against guessed ids (a
plain hash of an order number or an e-mail address could be reversed by
trying them all). Ingest looks every incoming record up here before it
stores anything (see :func:`dashapp.ingest.pipeline.ingest_batch`).

The key is never rotated: a new key would make every tombstone unmatchable. A
backup carries the key with the tombstones, so a restored store refuses the
same records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Collection, Iterable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from dashapp.store.models import AppSecret, Tombstone
from dashapp.store.upsert import upsert

#: The ``app_secrets`` row holding the key.
KEY_NAME = "tombstone"


def _key(session: Session, *, create: bool) -> bytes | None:
    """The store's tombstone key; made on first use when *create*, else None if there is none."""
    if create:
        # Two erasures at once: the first insert wins, both read the same key.
        upsert(
            session,
            AppSecret.__table__,
            [{"name": KEY_NAME, "value": secrets.token_urlsafe(32)}],
            keys=("name",),
        )
    value = session.scalar(select(AppSecret.value).where(AppSecret.name == KEY_NAME))
    return None if value is None else value.encode()


def _digest(key: bytes, source: str, external_id: str) -> str:
    # The source's length first: ("ab", "c") and ("a", "bc") must never collide.
    message = f"{len(source)}:{source}{external_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def guard(session: Session) -> None:
    """Make a tombstone check and the writes after it one unit with erasure.

    Without this an erasure committing between a batch's check and its insert
    would let the erased record in. PostgreSQL: a SHARE lock on the tombstones
    (ingests share it; an erasure's lock waits for them, and they for it).
    SQLite: take the store's write lock now (a write that changes nothing), as
    an erasure does; writers there are one at a time anyway.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE erasure_tombstones IN SHARE MODE"))
    else:
        session.execute(text("DELETE FROM erasure_tombstones WHERE 0 = 1"))


def begin_erasure(session: Session) -> None:
    """Call first in an erasure's transaction, before reading what to erase.

    PostgreSQL: a lock that waits for running ingests and keeps new ones out
    until the erasure commits. SQLite: the store's write lock, as in :func:`guard`.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE erasure_tombstones IN SHARE ROW EXCLUSIVE MODE"))
    else:
        session.execute(text("DELETE FROM erasure_tombstones WHERE 0 = 1"))


def bury(session: Session, pairs: Iterable[tuple[str, str]]) -> None:
    """Leave a tombstone for each (source, external id); an existing one stays."""
    key = _key(session, create=True)
    assert key is not None
    now = dt.datetime.now(dt.UTC)
    rows = [{"digest": _digest(key, s, x), "erased_at": now} for s, x in set(pairs)]
    for i in range(0, len(rows), 500):
        upsert(session, Tombstone.__table__, rows[i : i + 500], keys=("digest",))


def erased(session: Session, source: str, external_ids: Collection[str]) -> set[str]:
    """Those of *external_ids* from *source* that were erased; call :func:`guard` first."""
    if not external_ids:
        return set()
    key = _key(session, create=False)
    if key is None:
        return set()  # nothing was ever erased in this store
    by_digest = {_digest(key, source, x): x for x in external_ids}
    found: set[str] = set()
    digests = list(by_digest)
    for i in range(0, len(digests), 1000):
        chunk = digests[i : i + 1000]
        found.update(
            by_digest[d]
            for d in session.scalars(select(Tombstone.digest).where(Tombstone.digest.in_(chunk)))
        )
    return found
