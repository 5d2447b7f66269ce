"""Comments translated into readers' languages: what is missing, keeping, reading, forgetting.

A translation belongs to a comment as it was sent to the translator: one kept
is checked against the stored comment under a share lock of its row, and the
writes that change or remove a comment (an update, erasure, retention) forget
its translations in their own transaction, so none outlives its comment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.orm import Session

from dashapp.store import counters, tombstones
from dashapp.store.models import CommentTranslation, Response
from dashapp.store.upsert import upsert


@dataclass(frozen=True, slots=True)
class Pending:
    """A comment to translate: its response, text and language (None: not detected)."""

    id: int
    comment: str
    language: str | None


@dataclass(frozen=True, slots=True)
class Done:
    """A translation to keep for a :class:`Pending` comment (text None: untranslatable)."""

    pending: Pending
    text: str | None
    source_language: str | None


def pending(session: Session, target: str, since: dt.datetime, limit: int) -> list[Pending]:
    """Comments submitted after *since*, not written in *target* and not yet translated
    into it (an untranslatable one counts as translated), newest first."""
    translated = exists().where(
        CommentTranslation.response_id == Response.id, CommentTranslation.language == target
    )
    stmt = (
        select(Response.id, Response.comment, Response.language)
        .where(
            Response.comment.is_not(None),
            Response.submitted_at > since,
            or_(Response.language.is_(None), Response.language != target),
            ~translated,
        )
        .order_by(Response.submitted_at.desc(), Response.id.desc())
        .limit(limit)
    )
    return [Pending(row.id, row.comment, row.language) for row in session.execute(stmt)]


def save(session: Session, target: str, done: Sequence[Done], now: dt.datetime) -> int:
    """Keep the translations into *target* whose comment is still stored as it was sent;
    how many. The caller commits."""
    if not done:
        return 0
    # SQLite: the write lock before reading; PostgreSQL: a running erasure finishes first.
    tombstones.guard(session)
    ids = [item.pending.id for item in done]
    stored = dict(
        session.execute(
            select(Response.id, Response.comment)
            .where(Response.id.in_(ids))
            # Held to the commit: an update, erasure or retention of these waits.
            .with_for_update(read=True)
        ).all()
    )
    rows = [
        {
            "response_id": item.pending.id,
            "language": target,
            "text": item.text,
            "source_language": item.source_language,
            "translated_at": now,
        }
        for item in done
        if stored.get(item.pending.id) == item.pending.comment
    ]
    upsert(session, CommentTranslation.__table__, rows, keys=("response_id", "language"))
    if any(row["text"] is not None for row in rows):
        # What screens show changed: their cached answers go.
        counters.edited(session)
    return len(rows)


def read(
    session: Session, ids: Collection[int], language: str
) -> dict[int, tuple[str, str | None]]:
    """(translation, source language) into *language* of each of *ids* that has one,
    leaving out those already written in it."""
    if not ids:
        return {}
    stmt = select(
        CommentTranslation.response_id,
        CommentTranslation.text,
        CommentTranslation.source_language,
    ).where(
        CommentTranslation.response_id.in_(list(ids)),
        CommentTranslation.language == language,
        CommentTranslation.text.is_not(None),
    )
    return {
        row.response_id: (row.text, row.source_language)
        for row in session.execute(stmt)
        if row.source_language != language
    }


def forget(session: Session, ids: Sequence[int]) -> None:
    """Remove every translation of *ids* (their comments changed or are gone)."""
    for i in range(0, len(ids), 500):
        session.execute(
            delete(CommentTranslation).where(
                CommentTranslation.response_id.in_(list(ids[i : i + 500]))
            )
        )
