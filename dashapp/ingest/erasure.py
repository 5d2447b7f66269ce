"""Erasure and retention: a person's responses removed everywhere, old comments anonymised.

Erasing a response takes back everything counted from it — hourly and daily
rollups, label rollups, its labels — and removes the alert deliveries that
carry its words, its follow-up with the notes on it (which may name the
customer), its queued CRM notices and its comment's translations, in one
transaction with the response itself, so no figure keeps counting what is
gone. It leaves a tombstone (a keyed digest of source and id, see
:mod:`dashapp.store.tombstones`) so that no source sending the record again
brings it back. Retention either anonymises responses older than the
configured age (the comment and properties go; the score still counts in
NPS) or deletes them outright; either way their follow-ups, notes and
translations go.
Ingest applies the same age to what arrives
(:class:`dashapp.ingest.pipeline.Retention`), so retention needs no tombstones.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import String, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from dashapp.followups.store import forget as forget_followups
from dashapp.ingest import rollups
from dashapp.labels import store as label_store
from dashapp.store import counters as versions
from dashapp.store import tombstones, translations
from dashapp.store.models import AlertDelivery, Response, ResponseLabel

#: Responses handled per transaction by retention.
CHUNK = 2_000


def _take_back(session: Session, ids: Sequence[int], *, counts_too: bool) -> None:
    """Remove what *ids* contributed: label counts and labels, and (if *counts_too*) NPS counts."""
    before = label_store.stored(session, ids)
    deltas = label_store.LabelDeltas()
    counts: Counter[rollups.RollupKey] = Counter()
    for item in before.values():
        deltas.add(item, -1)
        if counts_too:
            counts[
                rollups.key(
                    item.submitted_at, item.brand, item.country, item.touchpoint, item.score
                )
            ] -= 1
    deltas.apply(session)
    if counts_too:
        rollups.apply(session, counts)
    for i in range(0, len(ids), 500):
        chunk = list(ids[i : i + 500])
        session.execute(delete(ResponseLabel).where(ResponseLabel.response_id.in_(chunk)))
        session.execute(delete(AlertDelivery).where(AlertDelivery.response_id.in_(chunk)))
        forget_followups(session, chunk)
    translations.forget(session, list(ids))


def erase(
    session: Session,
    *,
    source: str | None = None,
    external_id: str | None = None,
    prop: str | None = None,
    value: str | None = None,
) -> int:
    """Delete the responses of one source id, or with property *prop* = *value*; how many.

    Everything derived from them goes too (see the module docstring), and each
    erased (source, id) gets a tombstone; erasing by id leaves one even when
    the source has not sent the id yet, so it is refused when it comes. The
    caller commits; nothing is half done if it does not.
    """
    if (external_id is None) == (prop is None):
        raise ValueError("erase by a source and id, or by a property and value")
    # Before reading what to erase: an ingest running now must not slip a row in behind us.
    tombstones.begin_erasure(session)
    stmt = select(Response.id, Response.source, Response.external_id)
    if external_id is not None:
        if source is None:
            raise ValueError("erasing by id needs the source the id belongs to")
        # Stored ids are stripped (see validation): so is the one asked for.
        external_id = external_id.strip()
        if not external_id:
            raise ValueError("the id to erase is empty")
        stmt = stmt.where(Response.source == source, Response.external_id == external_id)
    else:
        assert prop is not None
        stmt = stmt.where(Response.properties[prop].as_string() == value)
        if source is not None:
            stmt = stmt.where(Response.source == source)
    found = session.execute(stmt).all()
    buried = {(row.source, row.external_id) for row in found}
    if external_id is not None:
        assert source is not None
        buried.add((source, external_id))
    tombstones.bury(session, buried)
    ids = [row.id for row in found]
    if not ids:
        return 0
    _take_back(session, ids, counts_too=True)
    for i in range(0, len(ids), 500):
        session.execute(delete(Response).where(Response.id.in_(ids[i : i + 500])))
    versions.edited(session)
    return len(ids)


def apply_retention(
    session: Session,
    older_than: dt.timedelta,
    mode: Literal["anonymise", "delete"],
    now: dt.datetime | None = None,
) -> int:
    """Anonymise or delete up to CHUNK responses submitted before now - *older_than*; how many.

    Call until it returns 0; each call is one transaction's worth of work.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    # Before reading what to take back, as an erasure: an update committing between the
    # read and the writes would leave the rollups counting what the read saw.
    tombstones.begin_erasure(session)
    stmt = select(Response.id).where(Response.submitted_at < cutoff).order_by(Response.id)
    if mode == "anonymise":
        # JSON has no equality in PostgreSQL: compare the stored text.
        stmt = stmt.where(
            or_(Response.comment.is_not(None), cast(Response.properties, String) != "{}")
        )
    ids = list(session.scalars(stmt.limit(CHUNK)))
    if not ids:
        return 0
    _take_back(session, ids, counts_too=mode == "delete")
    if mode == "delete":
        session.execute(delete(Response).where(Response.id.in_(ids)))
    else:
        session.execute(
            update(Response).where(Response.id.in_(ids)).values(comment=None, properties={})
        )
    versions.edited(session)
    return len(ids)
