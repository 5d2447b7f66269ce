"""Ingest: validate, deduplicate, detect language, store, and keep rollups current.

A batch is one transaction: its responses, their rollup counts, the store's
data version and (for pollers) the source's cursor commit together or not at
all, so a crash never leaves gaps, doubles or counts out of step with rows.

Every way in (pollers, the push API, ``feedbackwall import``, the demo) stores
through :func:`ingest_batch`, so the rules on what may be stored live here
once: an erased record (one with a tombstone) is counted and skipped, and a
record older than the configured retention is skipped or stored anonymised,
as the retention job would leave it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from dashapp.followups.store import open_for_batch
from dashapp.ingest import rollups
from dashapp.ingest.prepare import (
    Ahead,
    Located,
    Prepared,
    Rejection,
    check,
    prepare,
)
from dashapp.ingest.validation import DEFAULT_BOUNDS, CleanRecord, TimeBounds
from dashapp.labels import store as label_store
from dashapp.labels.labelling import LabelHit, Labeller
from dashapp.store import counters as versions
from dashapp.store import tombstones, translations
from dashapp.store.bulk import insert_many
from dashapp.store.models import Response, SourceState
from dashapp.store.upsert import upsert

if TYPE_CHECKING:
    from dashapp.config import FollowupConfig, Settings

BATCH_SIZE = 5_000


@dataclass(frozen=True, slots=True)
class Retention:
    """How long responses keep personal data (``FEEDBACKWALL_RETENTION_DAYS`` / ``_MODE``).

    The retention job applies it to what is stored; ingest applies it to what
    arrives, so a source sending an old record again cannot bring back what
    the job removed: past the age it is not stored (``delete``) or stored
    without comment and properties (``anonymise``).
    """

    days: int
    mode: Literal["anonymise", "delete"] = "anonymise"

    @classmethod
    def of(cls, settings: Settings) -> Retention | None:
        """The configured retention, or None when personal data is kept for ever."""
        if settings.retention_days is None:
            return None
        return cls(settings.retention_days, settings.retention_mode)

    def cutoff(self, now: dt.datetime) -> dt.datetime:
        """Responses submitted before this are past retention."""
        return now - dt.timedelta(days=self.days)


@dataclass(slots=True)
class IngestReport:
    """What happened to the records of one batch, file or request.

    ``erased`` counts records skipped because they were erased (a tombstone),
    ``expired`` those skipped because they are older than retention (delete
    mode); neither is an error, and neither is stored.
    """

    accepted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    newest: dt.datetime | None = None
    erased: int = 0
    expired: int = 0

    def add(self, other: IngestReport) -> None:
        """Fold *other* into this report."""
        self.accepted += other.accepted
        self.updated += other.updated
        self.duplicates += other.duplicates
        self.erased += other.erased
        self.expired += other.expired
        self.rejected.extend(other.rejected)
        if other.newest and (self.newest is None or other.newest > self.newest):
            self.newest = other.newest

    def summary(self) -> str:
        """One line: ``accepted A, duplicates D, rejected R`` (A includes updates).

        ``, erased E`` and ``, expired X`` follow when there were any.
        """
        line = (
            f"accepted {self.accepted}, duplicates {self.duplicates}, rejected {len(self.rejected)}"
        )
        if self.erased:
            line += f", erased {self.erased}"
        if self.expired:
            line += f", expired {self.expired}"
        return f"{line} ({self.updated} updated)" if self.updated else line

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as the push API answers."""
        return {
            "accepted": self.accepted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "erased": self.erased,
            "expired": self.expired,
            "rejected": [
                {
                    "location": r.location,
                    "errors": [
                        {"field": p.field, "value": p.value, "reason": p.reason} for p in r.problems
                    ],
                }
                for r in self.rejected
            ],
        }


def ingest_batch(
    session: Session,
    source: str,
    rows: Sequence[Located],
    *,
    strict: bool = False,
    retention: Retention | None = None,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    followups: FollowupConfig | None = None,
    prepared: Prepared | None = None,
) -> IngestReport:
    """Store one batch inside the caller's transaction (the caller commits).

    With ``strict``, a batch with any invalid record stores nothing (an erased
    or expired record is not invalid). Erased records and, with *retention*,
    old ones are handled by :func:`_admit` before anything else. *prepared* is
    *rows* already validated, with languages and labels
    (:func:`~dashapp.ingest.prepare.prepare`); without it that is done here.
    """
    if prepared is None:
        # Labels come later, for the records that are stored, not for repeats.
        prepared = prepare(rows, bounds)
    report = IngestReport(rejected=list(prepared.bad))
    if strict and prepared.bad:
        return report
    good = _admit(session, source, prepared.good, report, retention)

    # Within one batch the last record for an id wins; an identical repeat is a duplicate.
    latest: dict[str, CleanRecord] = {}
    for _, record in good:
        previous = latest.get(record.external_id)
        if previous is not None:
            if previous.content_hash == record.content_hash:
                report.duplicates += 1
                continue
            # As if stored in order: the earlier version was stored, then updated.
            report.accepted += 1
            report.updated += 1
        latest[record.external_id] = record

    existing = {
        row.external_id: row
        for row in session.execute(
            select(
                Response.id,
                Response.external_id,
                Response.content_hash,
                Response.submitted_at,
                Response.brand,
                Response.country,
                Response.touchpoint,
                Response.score,
            ).where(Response.source == source, Response.external_id.in_(list(latest)))
        )
    }
    accepted: list[CleanRecord] = []
    # What changed responses counted for, read before they are overwritten.
    before_update = label_store.stored(
        session,
        [
            row.id
            for external_id, row in existing.items()
            if row.content_hash != latest[external_id].content_hash
        ],
    )
    now = dt.datetime.now(dt.UTC)
    inserts: list[tuple[Any, ...]] = []
    updated: list[int] = []
    deltas: Counter[rollups.RollupKey] = Counter()
    for record in latest.values():
        old = existing.get(record.external_id)
        if old is not None and old.content_hash == record.content_hash:
            report.duplicates += 1
            continue
        values = _row(source, record, now)
        accepted.append(record)
        if old is None:
            inserts.append(values)
        else:
            session.execute(
                update(Response)
                .where(Response.id == old.id)
                .values(dict(zip(RESPONSE_COLUMNS, values, strict=True)))
            )
            deltas[
                rollups.key(old.submitted_at, old.brand, old.country, old.touchpoint, old.score)
            ] -= 1
            updated.append(old.id)
            report.updated += 1
        deltas[
            rollups.key(
                record.submitted_at, record.brand, record.country, record.touchpoint, record.score
            )
        ] += 1
        report.accepted += 1
        if report.newest is None or record.submitted_at > report.newest:
            report.newest = record.submitted_at

    labelled = _label_records(label_store.labeller(session), accepted, prepared)
    # New rows get ids above this: their ids are read back by one range scan.
    floor = session.scalar(select(func.max(Response.id))) or 0 if inserts else 0
    insert_many(session, Response.__table__, RESPONSE_COLUMNS, inserts)
    rollups.apply(session, deltas)
    # A translation belongs to the comment it was made of.
    translations.forget(session, updated)
    _store_labels(session, source, latest, existing, labelled, before_update, floor)
    # The rule's follow-ups open with the responses, in this transaction.
    open_for_batch(session, followups, source, accepted, labelled, now, existing.keys() & labelled)
    if report.accepted:
        versions.bump(session, versions.DATA)
    _update_source_counts(session, source, report)
    return report


def ingest(
    sessions: sessionmaker[Session],
    source: str,
    rows: Iterable[Located],
    *,
    strict: bool = False,
    batch_size: int = BATCH_SIZE,
    before_commit: Callable[[Session, IngestReport], None] | None = None,
    attempts: int = 3,
    retention: Retention | None = None,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    followups: FollowupConfig | None = None,
    progress: Callable[[int], None] | None = None,
    ahead: bool = False,
) -> IngestReport:
    """Ingest *rows* in batches, one transaction each, and report on all of them.

    With ``strict``, every row is checked first and nothing is written if any
    is invalid (the rows are read twice, so pass a re-iterable). A batch that
    loses a race with another writer for the same ids, or waits out a locked
    SQLite file, is tried up to *attempts* times (a sender that retries by
    itself, such as the push API's, wants 1: a quick 503 rather than a long wait).
    Pass the configured *retention* (:meth:`Retention.of`) wherever settings are known.
    Every path in (push, import, pollers) passes the settings' *bounds*
    (:meth:`Settings.time_bounds`) for submitted_at, and the settings' *followups*
    rule (none: no follow-ups open). *progress* is told how many rows each committed
    batch held. With *ahead*, a worker process validates, detects and labels
    the next batches while this one writes (:class:`~dashapp.ingest.prepare.Ahead`):
    worth its second of start-up for a bulk import on a machine with a spare core.
    The worker is spawned, so a script passing *ahead* needs the usual
    ``if __name__ == "__main__":`` guard (the ``feedbackwall`` command has it).
    """
    total = IngestReport()
    if strict:
        _, bad = check(rows, bounds)
        if bad:
            total.rejected = bad
            return total
    batches = _batches(rows, batch_size)
    prepared: Iterator[tuple[list[Located], Prepared | None]]
    with ExitStack() as stack:
        if ahead:
            with sessions() as session:
                taxonomy = label_store.current(session)[1]
            prepared = stack.enter_context(Ahead(taxonomy, bounds)).batches(batches)
        else:
            prepared = ((batch, None) for batch in batches)
        for batch, ready in prepared:
            total.add(
                _ingest_with_retry(
                    sessions,
                    source,
                    batch,
                    strict,
                    before_commit,
                    attempts,
                    retention,
                    bounds,
                    followups,
                    ready,
                )
            )
            if progress is not None:
                progress(len(batch))
    return total


def _ingest_with_retry(
    sessions: sessionmaker[Session],
    source: str,
    batch: list[Located],
    strict: bool,
    before_commit: Callable[[Session, IngestReport], None] | None,
    attempts: int = 3,
    retention: Retention | None = None,
    bounds: TimeBounds = DEFAULT_BOUNDS,
    followups: FollowupConfig | None = None,
    prepared: Prepared | None = None,
) -> IngestReport:
    for attempt in range(attempts):
        try:
            with sessions.begin() as session:
                report = ingest_batch(
                    session,
                    source,
                    batch,
                    strict=strict,
                    retention=retention,
                    bounds=bounds,
                    followups=followups,
                    prepared=prepared,
                )
                if before_commit is not None:
                    before_commit(session, report)
            return report
        except (IntegrityError, OperationalError) as exc:
            # Another writer inserted the same ids (IntegrityError) or held the
            # SQLite lock past the busy timeout: the transaction rolled back
            # whole, so trying again cannot double anything.
            # A PostgreSQL deadlock rolled the batch back whole as well.
            if attempt == attempts - 1 or (
                isinstance(exc, OperationalError)
                and "locked" not in str(exc)
                and "deadlock" not in str(exc)
            ):
                raise
    raise AssertionError("unreachable")


def _admit(
    session: Session,
    source: str,
    good: list[tuple[str, CleanRecord]],
    report: IngestReport,
    retention: Retention | None,
) -> list[tuple[str, CleanRecord]]:
    """The records that may be stored; the rest are counted in *report* and dropped.

    Erased records (a tombstone for source and id) are never stored. Past
    *retention*, a record is dropped (delete mode) or loses its comment and
    properties (anonymise mode; its content hash stays that of the record as
    received, so an identical re-send is a duplicate, as after the job).
    """
    # Before the look-up: an erasure cannot commit between it and our writes.
    tombstones.guard(session)
    gone = tombstones.erased(session, source, {record.external_id for _, record in good})
    cutoff = retention.cutoff(dt.datetime.now(dt.UTC)) if retention else None
    kept: list[tuple[str, CleanRecord]] = []
    for location, record in good:
        if record.external_id in gone:
            report.erased += 1
            continue
        if retention is not None and cutoff is not None and record.submitted_at < cutoff:
            if retention.mode == "delete":
                report.expired += 1
                continue
            record.comment = None
            record.properties = {}
        kept.append((location, record))
    return kept


def _batches(rows: Iterable[Located], size: int) -> Iterator[list[Located]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


RESPONSE_COLUMNS = (
    "source",
    "external_id",
    "submitted_at",
    "brand",
    "country",
    "touchpoint",
    "score",
    "comment",
    "language",
    "properties",
    "content_hash",
    "ingested_at",
)


def _row(source: str, record: CleanRecord, now: dt.datetime) -> tuple[Any, ...]:
    return (
        source,
        record.external_id,
        record.submitted_at,
        record.brand,
        record.country,
        record.touchpoint,
        record.score,
        record.comment,
        record.language,
        record.properties,
        record.content_hash,
        now,
    )


def _label_records(
    worker: Labeller, records: Sequence[CleanRecord], prepared: Prepared | None = None
) -> dict[str, tuple[LabelHit, ...]]:
    """The labels (with sentiment) of each record's comment, by external id.

    Labels *prepared* with the taxonomy in force are taken as they are, except
    for a comment removed since (past retention).
    """
    if prepared is None or prepared.labels is None or prepared.digest != worker.taxonomy.digest:
        return {r.external_id: worker.label(r.comment, r.language) for r in records}
    pairs = zip(prepared.good, prepared.labels, strict=True)
    found = {id(record): labels for (_, record), labels in pairs}
    return {r.external_id: found[id(r)] if r.comment else () for r in records}


def _store_labels(
    session: Session,
    source: str,
    latest: Mapping[str, CleanRecord],
    existing: Mapping[str, Any],
    labelled: Mapping[str, tuple[tuple[str, int], ...]],
    before_update: Mapping[int, label_store.Labelled],
    floor: int,
) -> None:
    """Store the labels of the batch's new and changed responses and count them.

    *before_update* holds what the changed responses counted for before this
    batch overwrote them; their counts are taken back first. New responses
    have ids above *floor*.
    """
    if not labelled:
        return
    updated = {existing[x].id: x for x in labelled if x in existing}
    deltas = label_store.LabelDeltas()
    for old in before_update.values():
        deltas.add(old, -1)
    ids = dict(updated.items())
    # Responses without a comment carry no labels and count for none.
    new = {x for x in labelled if x not in existing and latest[x].comment}
    if new:
        rows = session.execute(
            select(Response.id, Response.external_id).where(
                Response.id > floor, Response.source == source
            )
        )
        ids.update((row[0], row[1]) for row in rows if row[1] in new)
    items = []
    for response_id, external_id in ids.items():
        record = latest[external_id]
        items.append(
            label_store.Labelled(
                response_id,
                record.submitted_at,
                record.brand,
                record.country,
                record.touchpoint,
                record.score,
                bool(record.comment),
                labelled[external_id],
            )
        )
    label_store.label_responses(session, items, deltas, replace=bool(updated))
    deltas.apply(session)


def _update_source_counts(session: Session, source: str, report: IngestReport) -> None:
    upsert(
        session,
        SourceState.__table__,
        [
            {
                "name": source,
                "accepted_total": report.accepted,
                "rejected_total": len(report.rejected),
                "consecutive_failures": 0,
            }
        ],
        keys=("name",),
        add=("accepted_total", "rejected_total"),
    )
    if report.newest is not None:
        session.execute(
            update(SourceState)
            .where(
                SourceState.name == source,
                (SourceState.newest_record_at.is_(None))
                | (SourceState.newest_record_at < report.newest),
            )
            .values(newest_record_at=report.newest)
        )
