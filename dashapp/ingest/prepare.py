"""The store-free half of ingest: validate a batch, detect its languages, label its comments.

Nothing here reads or writes the store, so it can run in another process.
:func:`dashapp.ingest.pipeline.ingest` runs it inline for small batches (a
push, a poll), and for a bulk import hands it to :class:`Ahead`: one worker
process prepares the next batches while this one writes the current one. On
two cores that overlaps validation, language detection and labelling (about
half of an import's CPU time, docs/benchmarks.md) with the inserts and rollups.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from dashapp.ingest import bulk_gc, language
from dashapp.ingest.validation import (
    DEFAULT_BOUNDS,
    CleanRecord,
    InvalidRecord,
    Problem,
    TimeBounds,
    show,
    validate,
)
from dashapp.labels.labelling import LabelHit, Labeller
from dashapp.labels.taxonomy import Taxonomy

#: (where the record came from, e.g. "line 7" or "index 3"; the raw record)
Located = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that was not stored, where it was and why."""

    location: str
    problems: tuple[Problem, ...]

    def __str__(self) -> str:
        return f"{self.location}: " + "; ".join(map(str, self.problems))


def check(
    rows: Iterable[Located], bounds: TimeBounds = DEFAULT_BOUNDS
) -> tuple[list[tuple[str, CleanRecord]], list[Rejection]]:
    """Validate *rows* without touching the store; submitted_at within *bounds* of now."""
    good: list[tuple[str, CleanRecord]] = []
    bad: list[Rejection] = []
    now = dt.datetime.now(dt.UTC)
    for location, raw in rows:
        if not isinstance(raw, Mapping):
            reason = getattr(raw, "reason", "is not a record (expected a JSON object)")
            bad.append(
                Rejection(location, (Problem("record", show(getattr(raw, "text", raw)), reason),))
            )
            continue
        try:
            good.append((location, validate(raw, bounds=bounds, now=now)))
        except InvalidRecord as exc:
            bad.append(Rejection(location, tuple(exc.problems)))
    return good, bad


def detect_languages(records: Sequence[CleanRecord]) -> None:
    """Set the language of each record with a comment and none given (None if undecided)."""
    todo = [r for r in records if r.language is None and r.comment]
    found = language.detect([r.comment or "" for r in todo], [r.country for r in todo])
    for record, code in zip(todo, found, strict=True):
        record.language = code


@dataclass(slots=True)
class Prepared:
    """A batch validated, with languages detected and, given a labeller, labelled.

    ``labels[i]`` belongs to ``good[i]``, found with the taxonomy whose digest
    is ``digest``; the writer labels again if another taxonomy came into force
    in between, or when the batch was not labelled (``labels`` None).
    """

    good: list[tuple[str, CleanRecord]]
    bad: list[Rejection]
    labels: list[tuple[LabelHit, ...]] | None = None
    digest: str | None = None


def prepare(
    rows: Iterable[Located], bounds: TimeBounds, labeller: Labeller | None = None
) -> Prepared:
    """Validate *rows*, detect the languages of the good ones and, with *labeller*,
    label their comments.

    Languages are detected before retention may take a comment away, so a record
    keeps its language as the retention job leaves it.
    """
    good, bad = check(rows, bounds)
    records = [record for _, record in good]
    detect_languages(records)
    if labeller is None:
        return Prepared(good, bad)
    labels = [labeller.label(r.comment, r.language) for r in records]
    return Prepared(good, bad, labels, labeller.taxonomy.digest)


class Ahead:
    """Prepares batches in one worker process, up to *depth* batches ahead of the writer.

    Use as a context manager; :meth:`batches` yields each batch with its
    :class:`Prepared`, in order. The worker starts fresh (``spawn``: no copy of
    this process's connections or threads) and builds its labeller once.
    """

    def __init__(self, taxonomy: Taxonomy, bounds: TimeBounds, depth: int = 2) -> None:
        self._taxonomy = taxonomy
        self._bounds = bounds
        self._depth = depth
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Ahead:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._taxonomy,),
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def batches(self, batches: Iterable[list[Located]]) -> Iterator[tuple[list[Located], Prepared]]:
        """Each of *batches* with its preparation, reading at most *depth* batches ahead."""
        if self._pool is None:
            raise RuntimeError("Ahead is used outside its with-block")
        pending: deque[tuple[list[Located], Future[Prepared]]] = deque()
        source = iter(batches)
        while True:
            try:
                batch = next(source, None)
            except Exception:
                # The source failed (a broken line, a lost file): what it gave before
                # is written first, as it would have been without reading ahead.
                while pending:
                    done, future = pending.popleft()
                    yield done, future.result()
                raise
            if batch is None:
                break
            pending.append((batch, self._pool.submit(_prepare_in_worker, batch, self._bounds)))
            if len(pending) > self._depth:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


#: The worker process's labeller, built by :func:`_start_worker`.
_labeller: Labeller | None = None


def _start_worker(taxonomy: Taxonomy) -> None:
    global _labeller
    _labeller = Labeller(taxonomy)
    # The process lives for one import: its labeller is frozen out of collections.
    bulk_gc.tune()
    # A writer killed outright (SIGKILL, OOM) never shuts the pool down: leave with it.
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _prepare_in_worker(rows: list[Located], bounds: TimeBounds) -> Prepared:
    if _labeller is None:
        raise RuntimeError("the worker was started without a taxonomy")
    return prepare(rows, bounds, _labeller)
