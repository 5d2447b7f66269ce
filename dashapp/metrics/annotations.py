"""Annotations: events analysts mark on the trend charts (a day or a range, a text, a scope).

:func:`between`, :func:`add` and :func:`delete` work inside the caller's session;
:func:`create` and :func:`remove` are units of work of their own. Writing one
bumps the data version, so every cached chart is drawn again with it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.i18n.core import gettext as _
from dashapp.metrics.queries import Filters
from dashapp.store import counters
from dashapp.store.models import Annotation

MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Mark:
    """An annotation as the charts and the API show it (a detached value)."""

    id: int
    starts_on: dt.date
    ends_on: dt.date
    text: str
    brand: str | None = None
    country: str | None = None
    touchpoint: str | None = None
    created_by: str | None = None

    @property
    def scope(self) -> str:
        """The scope as the API says it: "everything" or e.g. "Velora · DE"."""
        parts = [p for p in (self.brand, self.country, self.touchpoint) if p]
        return " · ".join(parts) or "everything"

    @property
    def scope_words(self) -> str:
        """The scope as a person reads it, in the language in force."""
        return self.scope if self.brand or self.country or self.touchpoint else _("everything")

    def applies(self, filters: Filters) -> bool:
        """Whether a chart of *filters* shows it: unless the filters leave its scope out."""
        return all(
            mine is None or not chosen or mine in chosen
            for mine, chosen in (
                (self.brand, filters.brand),
                (self.country, filters.country),
                (self.touchpoint, filters.touchpoint),
            )
        )


def _mark(row: Annotation) -> Mark:
    return Mark(
        row.id,
        row.starts_on,
        row.ends_on,
        row.text,
        row.brand,
        row.country,
        row.touchpoint,
        row.created_by,
    )


def between(session: Session, first: dt.date, last: dt.date, filters: Filters) -> list[Mark]:
    """Annotations overlapping the days *first*..*last* that charts of *filters* show."""
    rows = session.scalars(
        select(Annotation)
        .where(Annotation.starts_on <= last, Annotation.ends_on >= first)
        .order_by(Annotation.starts_on, Annotation.id)
    )
    return [m for m in map(_mark, rows) if m.applies(filters)]


def add(session: Session, mark: Mark, now: dt.datetime) -> Mark:
    """Store *mark* (its id is ignored); the stored one."""
    row = Annotation(
        starts_on=mark.starts_on,
        ends_on=mark.ends_on,
        text=mark.text,
        brand=mark.brand,
        country=mark.country,
        touchpoint=mark.touchpoint,
        created_by=mark.created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    counters.edited(session)
    return _mark(row)


def delete(session: Session, annotation_id: int) -> bool:
    """Delete annotation *annotation_id*; whether it existed."""
    row = session.get(Annotation, annotation_id)
    if row is None:
        return False
    session.delete(row)
    counters.edited(session)
    return True


def create(sessions: sessionmaker[Session], mark: Mark) -> Mark:
    """Store *mark* in a transaction of its own; the stored one (with its id)."""
    with sessions.begin() as session:
        return add(session, mark, dt.datetime.now(dt.UTC))


def remove(sessions: sessionmaker[Session], annotation_id: int) -> bool:
    """Delete annotation *annotation_id* in a transaction of its own; whether it existed."""
    with sessions.begin() as session:
        return delete(session, annotation_id)
