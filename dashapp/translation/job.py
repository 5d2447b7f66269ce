"""The translation job: recent comments into each reader language, a request at a time.

Runs in the scheduler (never in a poll or a page): it asks the translator for
comments of one source language at a time, at most *batch* comments and
*max_chars* characters per request, and keeps each answer in its own short
transaction. A request refused as such (HTTP 400) is asked again text by text,
and a text still refused is kept as untranslatable (never asked again); a
translator that cannot answer ends the run, and the next run asks again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence

from sqlalchemy.orm import Session, sessionmaker

from dashapp.ingest.validation import safe_text
from dashapp.store import translations as store
from dashapp.translation.client import (
    Translated,
    Translator,
    TranslatorUnavailable,
    Untranslatable,
)

log = logging.getLogger(__name__)


def translate_recent(
    sessions: sessionmaker[Session],
    translator: Translator,
    targets: Sequence[str],
    *,
    max_age: dt.timedelta,
    batch: int,
    max_chars: int,
    now: dt.datetime | None = None,
) -> int:
    """One run: up to *batch* recent comments per target language; how many were kept."""
    now = now or dt.datetime.now(dt.UTC)
    kept = 0
    for target in targets:
        with sessions() as session:
            todo = store.pending(session, target, now - max_age, batch)
        for group in requests(todo, max_chars):
            try:
                answers = _ask(translator, group, target)
            except TranslatorUnavailable as exc:
                log.warning("translation: the translator cannot answer (%s); next run", exc)
                return kept
            done = [
                store.Done(item, None if a.text is None else safe_text(a.text), a.source)
                for item, a in zip(group, answers, strict=True)
            ]
            with sessions.begin() as session:
                kept += store.save(session, target, done, now)
    if kept:
        log.info("translation: %d comments translated", kept)
    return kept


def requests(todo: Sequence[store.Pending], max_chars: int) -> Iterator[list[store.Pending]]:
    """*todo* as requests of one source language and at most *max_chars* characters
    (a longer comment goes alone), in order."""
    by_language: dict[str | None, list[store.Pending]] = {}
    for item in todo:
        by_language.setdefault(item.language, []).append(item)
    for items in by_language.values():
        group: list[store.Pending] = []
        size = 0
        for item in items:
            if group and size + len(item.comment) > max_chars:
                yield group
                group, size = [], 0
            group.append(item)
            size += len(item.comment)
        if group:
            yield group


def _ask(translator: Translator, group: list[store.Pending], target: str) -> list[Translated]:
    source = group[0].language
    try:
        return translator.translate([item.comment for item in group], source, target)
    except Untranslatable:
        if len(group) == 1:
            return [Translated(None, source)]
    # One text spoils a request: ask for each on its own.
    return [_ask(translator, [item], target)[0] for item in group]
