"""Progress bars for long commands (import, relabel, backup, restore), on a terminal only.

A bar goes to stderr when stderr is a terminal; otherwise (a pipe, a log file, a
test) nothing is drawn, so scripted runs print only their result lines. rich is
imported only when a bar is drawn: commands start without it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: Called with how many more units are done.
Advance = Callable[[int], None]


def _silent(_done: int) -> None:
    """No bar: nothing to draw."""


def wanted() -> bool:
    """Whether a bar would be seen: stderr is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int | None, unit: str = "rows") -> Iterator[Advance]:
    """A bar for *total* units (None: unknown) while the block runs; yields its advance."""
    if not wanted():
        yield _silent
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(unit),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.advance(task, done)
