"""Garbage collection for a bulk import: what lives long is frozen, collections are rarer.

An import makes millions of short-lived objects (records, rows, keys) and
almost no reference cycles, while the objects that live as long as the process
(the labeller's index and word memory, SQLAlchemy's metadata, the modules) are
many. CPython's collector walked them again and again: on 50,000 rows a fifth
of the writer's time went to collections that freed nothing
(docs/benchmarks.md, "Garbage collection"). Cycles made during the import are
still collected, only less often.

Web workers are left as CPython sets them: freezing what their start-up built
took a full collection from 300-400 ms to nothing, yet the load test's tails
came out worse in two A/B pairs (the same section).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Net allocations between young collections (CPython's default is 700) and
#: young collections per older one (default 10 and 10). Measured on 200,000
#: rows: 14% less CPU than the defaults, peak memory within the run-to-run noise.
THRESHOLDS = (1_000_000, 50, 1000)


def tune() -> None:
    """Freeze every object alive now and make collections rarer, for good.

    For a process that only imports (the import's worker).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


@contextmanager
def tuned() -> Iterator[None]:
    """:func:`tune` for the duration of the block; the collector as it was afterwards.

    Everything frozen is unfrozen at the end (CPython has no partial thaw), so
    it suits a process that froze nothing before: the import command.
    """
    before = gc.get_threshold()
    tune()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
