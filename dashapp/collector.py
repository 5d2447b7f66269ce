"""The garbage collector for processes that import in bulk or serve for weeks.

CPython's collector walks every tracked object it has not freed at each
collection of the oldest generation. A web worker has about 280,000 of them
after start-up (Dash, Plotly's validators, the pages, SQLAlchemy's metadata),
and one such collection took 300 ms on the development machine: a stall of
every request thread in the worker, at moments no request chose
(docs/benchmarks.md, "Garbage collection"). An import makes millions of
short-lived objects and almost no reference cycles, yet paid a fifth of its
writer's time to collections that freed nothing.

Objects alive once a process is set up live as long as it does: :func:`freeze`
takes them out of every later collection. Cycles made afterwards are still
collected. Nothing here runs at import; the entry points call it (``app.py``,
``feedbackwall run``, ``feedbackwall import`` and its worker), never the app
factory, which tests call hundreds of times in one process.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: For a bulk import: net allocations between young collections (CPython's
#: default is 700) and young collections per older one (default 10 and 10).
#: Measured on 200,000 rows: 14% less CPU than the defaults, peak memory
#: within the run-to-run noise.
IMPORT_THRESHOLDS = (1_000_000, 50, 1000)


def freeze() -> None:
    """Take every object alive now out of all later collections (they live as long as we do)."""
    gc.collect()
    gc.freeze()


def tune_for_import() -> None:
    """:func:`freeze`, and make collections rarer, for good: for a process that only imports."""
    freeze()
    gc.set_threshold(*IMPORT_THRESHOLDS)


@contextmanager
def tuned_for_import() -> Iterator[None]:
    """:func:`tune_for_import` for the duration of the block; the collector as it was afterwards."""
    before = gc.get_threshold()
    tune_for_import()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
