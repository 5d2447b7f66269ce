"""Labels in the store: the taxonomy in force, labels of responses, label rollups, relabelling.

Ingest calls :func:`label_batch` inside its batch transaction, so a response,
its labels and every count derived from them commit together. When a new
taxonomy is imported, :func:`relabel_step` (a scheduled job) walks the stored
comments in id order, a few thousand per transaction, moving each response's
labels and the rollups by the difference: the wall keeps serving throughout
and shows each step as soon as it commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dashapp.labels.labelling import Labeller
from dashapp.labels.taxonomy import Taxonomy, default_text, parse_taxonomy
from dashapp.metrics.nps import ScoreClass, classify
from dashapp.store import counters as versions
from dashapp.store.bulk import insert_many
from dashapp.store.models import (
    RESPONSE_HEAD,
    LabelRollup,
    Response,
    ResponseLabel,
    StoreMeta,
    TaxonomyVersion,
)
from dashapp.store.upsert import upsert

#: The pseudo-label counting every commented response, labelled or not.
ALL_COMMENTS = "*"
RELABEL_UPTO = "relabel_upto"
_CLASS_INDEX = {ScoreClass.PROMOTER: 0, ScoreClass.PASSIVE: 1, ScoreClass.DETRACTOR: 2}
_SENTIMENT_INDEX = {1: 3, 0: 4, -1: 5}
#: (hour, brand, country, touchpoint, label)
LabelKey = tuple[dt.datetime, str, str, str, str]
LABEL_ROLLUP_COLUMNS = (
    "grain",
    "bucket",
    "label",
    "brand",
    "country",
    "touchpoint",
    "promoters",
    "passives",
    "detractors",
    "positive",
    "neutral",
    "negative",
)


RESPONSE_LABEL_COLUMNS = (
    "response_id",
    "label",
    "sentiment",
    "submitted_at",
    "brand",
    "country",
    "touchpoint",
    "score",
)


@dataclass(frozen=True, slots=True)
class Labelled:
    """What a response contributes to label counts: where, when, its class and labels."""

    response_id: int
    submitted_at: dt.datetime
    brand: str
    country: str
    touchpoint: str
    score: int
    has_comment: bool
    labels: tuple[tuple[str, int], ...]


class LabelDeltas:
    """Per-hour changes to label rollups, summed over a batch before they are written."""

    def __init__(self) -> None:
        self._deltas: dict[LabelKey, list[int]] = {}

    def add(self, item: Labelled, sign: int) -> None:
        """Count *item* (sign 1) or take it back (sign -1)."""
        if not item.has_comment:
            return
        hour = item.submitted_at.replace(minute=0, second=0, microsecond=0)
        cls = _CLASS_INDEX[classify(item.score)]
        for label, sentiment in ((ALL_COMMENTS, None), *item.labels):
            key = (hour, item.brand, item.country, item.touchpoint, label)
            row = self._deltas.get(key)
            if row is None:
                row = self._deltas[key] = [0] * 6
            row[cls] += sign
            if sentiment is not None:
                row[_SENTIMENT_INDEX[sentiment]] += sign

    def apply(self, session: Session) -> None:
        """Add the deltas to hourly and daily label rollups."""
        buckets: dict[tuple[str, dt.datetime, str, str, str, str], list[int]] = {}
        days: dict[dt.datetime, dt.datetime] = {}
        for (hour, brand, country, touchpoint, label), counts in self._deltas.items():
            if not any(counts):
                continue
            buckets[("h", hour, label, brand, country, touchpoint)] = counts
            day = days.get(hour)
            if day is None:
                day = days[hour] = hour.replace(hour=0)
            key = ("d", day, label, brand, country, touchpoint)
            acc = buckets.get(key)
            if acc is None:
                buckets[key] = list(counts)
            else:
                buckets[key] = [a + b for a, b in zip(acc, counts, strict=True)]
        insert_many(
            session,
            LabelRollup.__table__,
            LABEL_ROLLUP_COLUMNS,
            [(*key, *counts) for key, counts in buckets.items()],
            keys=LABEL_ROLLUP_COLUMNS[:6],
            add=LABEL_ROLLUP_COLUMNS[6:],
        )


def current(session: Session) -> tuple[int, Taxonomy]:
    """(version, taxonomy) in force; version 0 is the shipped default."""
    row = session.execute(
        select(TaxonomyVersion.id, TaxonomyVersion.text)
        .order_by(TaxonomyVersion.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, _default()
    return row.id, _parsed(row.text)


@lru_cache(maxsize=1)
def _default() -> Taxonomy:
    return parse_taxonomy(default_text())


@lru_cache(maxsize=8)
def _parsed(text: str) -> Taxonomy:
    return parse_taxonomy(text)


@lru_cache(maxsize=8)
def _labeller(taxonomy: Taxonomy) -> Labeller:
    return Labeller(taxonomy)


def labeller(session: Session) -> Labeller:
    """The labeller of the taxonomy in force (built once per process and taxonomy)."""
    return _labeller(current(session)[1])


def save_taxonomy(session: Session, text: str, origin: str) -> int:
    """Put the taxonomy in TOML *text* in force and start relabelling history; its version.

    Raises :class:`~dashapp.labels.taxonomy.TaxonomyError` (nothing written) if the text is invalid.
    """
    taxonomy = parse_taxonomy(text)
    row = TaxonomyVersion(
        text=text, digest=taxonomy.digest, created_at=dt.datetime.now(dt.UTC), origin=origin
    )
    session.add(row)
    session.flush()
    _set(session, RELABEL_UPTO, 0)
    versions.edited(session)
    return row.id


def label_responses(
    session: Session, items: Sequence[Labelled], deltas: LabelDeltas, *, replace: bool
) -> None:
    """Store *items*' labels and count them; with *replace*, first drop their old labels."""
    if replace:
        ids = [i.response_id for i in items]
        for chunk in _chunks(ids, 500):
            session.execute(delete(ResponseLabel).where(ResponseLabel.response_id.in_(chunk)))
    rows = [
        (
            item.response_id,
            label,
            sentiment,
            item.submitted_at,
            item.brand,
            item.country,
            item.touchpoint,
            item.score,
        )
        for item in items
        for label, sentiment in item.labels
    ]
    insert_many(session, ResponseLabel.__table__, RESPONSE_LABEL_COLUMNS, rows)
    for item in items:
        deltas.add(item, 1)


def labels_of(session: Session, ids: Sequence[int]) -> dict[int, list[tuple[str, int]]]:
    """The stored (label, sentiment) pairs of each response in *ids*, sorted by label."""
    found: dict[int, list[tuple[str, int]]] = {}
    for chunk in _chunks(list(ids), 500):
        for rid, label, sentiment in session.execute(
            select(ResponseLabel.response_id, ResponseLabel.label, ResponseLabel.sentiment).where(
                ResponseLabel.response_id.in_(chunk)
            )
        ):
            found.setdefault(rid, []).append((label, sentiment))
    # Python's order, as the labeller's: a database collation may sort "/" differently.
    return {rid: sorted(pairs) for rid, pairs in found.items()}


def stored(session: Session, ids: Sequence[int]) -> dict[int, Labelled]:
    """The stored responses *ids* with their stored labels, as :class:`Labelled`."""
    labels = labels_of(session, ids)
    found: dict[int, Labelled] = {}
    for chunk in _chunks(list(ids), 500):
        for row in session.execute(
            select(*RESPONSE_HEAD, Response.comment.is_not(None)).where(Response.id.in_(chunk))
        ):
            found[row[0]] = Labelled(*row[:6], bool(row[6]), tuple(labels.get(row[0], ())))
    return found


#: Bump when the labelling code changes what it finds, so stored comments are relabelled.
LABELLER_VERSION = 3
LABELLER_KEY = "labeller_version"


def labeller_signature() -> int:
    """This release's labelling: the code version and the shipped taxonomy, as one number."""
    digest = hashlib.sha256(f"{LABELLER_VERSION}:{default_text()}".encode()).hexdigest()
    return int(digest[:15], 16)


def relabel_if_upgraded(session: Session) -> bool:
    """Start relabelling history if the labelling code or shipped taxonomy changed; whether so.

    A store without a signature was written before labels existed (or is new,
    and then the walk through its comments ends at once): its history is labelled.
    """
    stored_signature = session.scalar(select(StoreMeta.value).where(StoreMeta.key == LABELLER_KEY))
    signature = labeller_signature()
    if stored_signature == signature:
        return False
    _set(session, LABELLER_KEY, signature)
    _set(session, RELABEL_UPTO, 0)
    return True


def mark_labelled(session: Session) -> None:
    """Record that every stored comment carries this release's labels (a store labelled in bulk)."""
    _set(session, LABELLER_KEY, labeller_signature())
    session.execute(delete(StoreMeta).where(StoreMeta.key == RELABEL_UPTO))


def _set(session: Session, key: str, value: int) -> None:
    """Store fact *key* = *value* (see :class:`dashapp.store.models.StoreMeta`)."""
    upsert(
        session,
        StoreMeta.__table__,
        [{"key": key, "value": value}],
        keys=("key",),
        replace=("value",),
    )


def relabel_step(session: Session, limit: int = 2_000) -> int:
    """Relabel the next *limit* commented responses with the taxonomy in force; how many.

    Returns 0 when history is up to date. Each call is one transaction's worth
    of work; the caller commits.
    """
    upto = session.scalar(select(StoreMeta.value).where(StoreMeta.key == RELABEL_UPTO))
    if upto is None:
        return 0
    worker = labeller(session)
    rows = session.execute(
        select(Response.id, Response.comment, Response.language)
        .where(Response.id > upto, Response.comment.is_not(None))
        .order_by(Response.id)
        .limit(limit)
        .with_for_update()
    ).all()
    if not rows:
        session.execute(delete(StoreMeta).where(StoreMeta.key == RELABEL_UPTO))
        return 0
    old = stored(session, [r.id for r in rows])
    deltas = LabelDeltas()
    changed: list[Labelled] = []
    for row in rows:
        before = old[row.id]
        labels = worker.label(row.comment, row.language)
        if labels != before.labels:
            deltas.add(before, -1)
            changed.append(_with_labels(before, labels))
    if changed:
        label_responses(session, changed, deltas, replace=True)
        deltas.apply(session)
        versions.edited(session)
    session.execute(
        update(StoreMeta).where(StoreMeta.key == RELABEL_UPTO).values(value=rows[-1].id)
    )
    return len(rows)


def relabel_progress(session: Session) -> float | None:
    """How far relabelling has come, 0..1 by response id, while it runs; else None."""
    upto = session.scalar(select(StoreMeta.value).where(StoreMeta.key == RELABEL_UPTO))
    if upto is None:
        return None
    # Ids grow with ingest, so their range measures the work without counting rows.
    last = session.scalar(select(func.max(Response.id))) or 0
    return min(1.0, upto / last) if last else 1.0


def _with_labels(item: Labelled, labels: tuple[tuple[str, int], ...]) -> Labelled:
    return Labelled(
        item.response_id,
        item.submitted_at,
        item.brand,
        item.country,
        item.touchpoint,
        item.score,
        item.has_comment,
        labels,
    )


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
