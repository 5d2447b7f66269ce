"""The interface every polled source implements, and the factory that builds one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol

# Sources hand ingest records of the core's one schema (re-exported for sources).
from dashapp.records import CANONICAL_FIELDS

__all__ = ["CANONICAL_FIELDS", "Batch", "Cursor", "Located", "Source", "SourceError", "build"]

#: (where the record came from, e.g. "line 7"; the raw record or a Malformed marker)
Located = tuple[str, Any]
Cursor = dict[str, Any]


class SourceError(Exception):
    """A source cannot be read right now; the message says why, for people."""


@dataclass(slots=True)
class Batch:
    """What one poll returned: records, the cursor after them, and whether more wait."""

    records: list[Located]
    cursor: Cursor | None
    more: bool = False
    notes: list[str] = field(default_factory=list)


class Source(Protocol):
    """A place feedback is polled from."""

    name: str

    def poll(self, cursor: Cursor | None) -> Batch:
        """Records after *cursor* (None = from the beginning), at most one page of them.

        Raise :class:`SourceError` when the source cannot be read; the poller
        keeps the old cursor and backs off.
        """
        ...


#: kind -> "module:factory"; factories take (name, options) and validate options.
KINDS: Mapping[str, str] = {
    "files": "data_sources.files:FilesSource",
    "sql": "data_sources.sql:SqlSource",
    "http": "data_sources.http:HttpSource",
    "demo": "data_sources.demo:DemoSource",
}


def build(kind: str, name: str, options: Mapping[str, Any]) -> Source:
    """A source of *kind* called *name*; bad options raise SourceError naming the option."""
    target = KINDS.get(kind)
    if target is None:
        raise SourceError(f"source {name!r}: unknown kind {kind!r}; choose from {sorted(KINDS)}")
    module, attr = target.split(":")
    factory: Callable[..., Source] = getattr(import_module(module), attr)
    try:
        return factory(name, **dict(options))
    except TypeError as exc:
        raise SourceError(f"source {name!r}: {exc}") from None
