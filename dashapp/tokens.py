"""Per-source ingest tokens for the push API; only their SHA-256 digests are stored.

Tokens are 256 random bits, so a fast digest is enough: there is nothing to
brute-force that a slow password hash would protect.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashapp.models import IngestToken

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
