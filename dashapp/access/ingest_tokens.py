"""Per-source ingest tokens for the push API; only their SHA-256 digests are stored.

Tokens are 256 random bits, so a fast digest is enough: there is nothing to
brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dashapp.store import counters as versions
from dashapp.store.models import AccessToken, IngestToken

PREFIX = "fwi_"


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session: Session, source: str) -> str:
    """Create a token for *source* and return it; it cannot be shown again."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        IngestToken(source=source, token_hash=digest(token), created_at=dt.datetime.now(dt.UTC))
    )
    return token


def source_for(session: Session, token: str) -> str | None:
    """The source a valid, unrevoked token belongs to, else None."""
    if not token.startswith(PREFIX):
        return None
    return session.scalar(
        select(IngestToken.source).where(
            IngestToken.token_hash == digest(token), IngestToken.revoked_at.is_(None)
        )
    )


def listing(session: Session) -> list[IngestToken]:
    """Live ingest tokens, by source then age."""
    return list(
        session.scalars(
            select(IngestToken)
            .where(IngestToken.revoked_at.is_(None))
            .order_by(IngestToken.source, IngestToken.created_at)
        )
    )


def revoke_where(session: Session, model: type[IngestToken | AccessToken], *where: Any) -> int:
    """Revoke the live tokens of *model* matching *where*, now; how many were revoked."""
    done = session.execute(
        update(model)
        .where(model.revoked_at.is_(None), *where)
        .values(revoked_at=dt.datetime.now(dt.UTC))
    )
    versions.bump(session, versions.ACCESS)
    return int(done.rowcount)  # type: ignore[attr-defined]


def revoke(session: Session, token_id: int) -> bool:
    """Revoke one ingest token by id; False when no live token has that id."""
    return revoke_where(session, IngestToken, IngestToken.id == token_id) > 0
