"""Discovered themes in the store: the periodic run, the latest themes, a theme made a label."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session, sessionmaker

from dashapp.labels import store as label_store
from dashapp.labels.discovery import Comment, discover, is_growing, is_new
from dashapp.labels.taxonomy import MAX_DEPTH, Label, Taxonomy, dump_taxonomy
from dashapp.store import counters as versions
from dashapp.store.models import Response, ResponseLabel, Theme

#: How far back discovery looks, and how many comments it takes at most (newest first).
LOOKBACK = dt.timedelta(days=14)
MAX_COMMENTS = 20_000
SCOPES = ("unlabelled", "all")


@dataclass(frozen=True, slots=True)
class ThemeView:
    """A theme as pages and the CLI show it."""

    id: int
    scope: str
    language: str
    name: str
    terms: list[str]
    size: int
    this_week: int
    last_week: int
    examples: list[str]
    label: str | None

    @property
    def status(self) -> str:
        """ "new", "growing" or "" (see :mod:`dashapp.labels.discovery`)."""
        if is_new(self.this_week, self.last_week):
            return "new"
        if is_growing(self.this_week, self.last_week):
            return "growing"
        return ""


def run_discovery(
    session: Session, now: dt.datetime | None = None, *, backend: str = "tfidf"
) -> int:
    """Cluster recent comments (all, and those no label covers) and store the themes; how many.

    Replaces the previous run's themes, except those already made into labels.
    *backend* as in :func:`dashapp.labels.discovery.discover`.
    """
    now = now or dt.datetime.now(dt.UTC)
    labelled = exists().where(ResponseLabel.response_id == Response.id)
    found = 0
    for scope in SCOPES:
        stmt = (
            select(Response.id, Response.comment, Response.language, Response.submitted_at)
            .where(
                Response.submitted_at > now - LOOKBACK,
                Response.submitted_at <= now,
                Response.comment.is_not(None),
                Response.language.is_not(None),
            )
            .order_by(Response.submitted_at.desc())
            .limit(MAX_COMMENTS)
        )
        if scope == "unlabelled":
            stmt = stmt.where(~labelled)
        # The select's columns are Comment's fields, in order.
        comments = [Comment(*row) for row in session.execute(stmt)]  # type: ignore[arg-type]
        themes = discover(comments, now, backend=backend)
        session.execute(delete(Theme).where(Theme.scope == scope, Theme.label.is_(None)))
        session.add_all(
            Theme(
                run_at=now,
                scope=scope,
                language=t.language,
                name=t.name,
                terms=list(t.terms),
                size=t.size,
                this_week=t.this_week,
                last_week=t.last_week,
                examples=list(t.examples),
            )
            for t in themes
        )
        found += len(themes)
    versions.edited(session)
    return found


def latest(session: Session, scope: str = "unlabelled", limit: int = 30) -> list[ThemeView]:
    """The stored themes of *scope*, largest first, each with up to three example comments."""
    rows = session.scalars(
        select(Theme).where(Theme.scope == scope).order_by(Theme.size.desc()).limit(limit)
    ).all()
    wanted = {i for row in rows for i in row.examples}
    texts = dict(
        session.execute(select(Response.id, Response.comment).where(Response.id.in_(wanted))).all()
    )
    return [_view(row, [t for i in row.examples if (t := texts.get(i))]) for row in rows]


def _view(row: Theme, examples: list[str]) -> ThemeView:
    return ThemeView(
        row.id,
        row.scope,
        row.language,
        row.name,
        list(row.terms),
        row.size,
        row.this_week,
        row.last_week,
        examples,
        row.label,
    )


class ThemeError(ValueError):
    """A theme that cannot become a label as asked; the message says why."""


def slug(name: str) -> str:
    """A label id part from a display name: "Lieferzeit & Co" -> "lieferzeit-co"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40] or "theme"


def label_id(name: str, parent: str | None) -> str:
    """The id a label named *name* gets under *parent* (or at the top)."""
    return f"{parent}/{slug(name)}" if parent else slug(name)


def with_theme(taxonomy: Taxonomy, theme: ThemeView, name: str, parent: str | None) -> Taxonomy:
    """*taxonomy* plus a label named *name* whose keywords are the theme's terms (pure)."""
    if parent is not None and parent not in taxonomy.labels:
        raise ThemeError(f"parent label {parent!r} does not exist")
    new_id = label_id(name, parent)
    if new_id.count("/") + 1 > MAX_DEPTH:
        raise ThemeError(f"labels nest {MAX_DEPTH} levels at most")
    if new_id in taxonomy.labels:
        raise ThemeError(f"label {new_id!r} already exists")
    labels = dict(taxonomy.labels)
    labels[new_id] = Label(
        new_id,
        name,
        f"From discovered theme {theme.id}: {theme.name}",
        {theme.language: tuple(theme.terms)},
    )
    return Taxonomy(labels, digest="", compounds=taxonomy.compounds)


def label_from_theme(sessions: sessionmaker[Session], theme_id: int, name: str) -> str:
    """:func:`make_label` as a unit of work of its own; the new label's id (ThemeError if not)."""
    with sessions.begin() as session:
        return make_label(session, theme_id, name)


def make_label(session: Session, theme_id: int, name: str, parent: str | None = None) -> str:
    """Turn theme *theme_id* into a label of the taxonomy in force; the new label's id.

    Its terms become the label's keywords in the theme's language; stored
    comments are relabelled in the background as after any taxonomy import.
    """
    row = session.get(Theme, theme_id)
    if row is None:
        raise ThemeError(f"theme {theme_id} does not exist (discovery may have run again)")
    name = name.strip()
    if not name:
        raise ThemeError("a label needs a name")
    _, taxonomy = label_store.current(session)
    extended = with_theme(taxonomy, _view(row, []), name, parent)
    label_store.save_taxonomy(session, dump_taxonomy(extended), f"theme {theme_id}")
    row.label = label_id(name, parent)
    return row.label
