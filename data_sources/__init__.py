"""Where feedback comes from: files, SQL databases, HTTP APIs and the demo simulator.

Each source turns its world into raw records (plain dicts in the canonical
schema) and a cursor; it knows nothing of Dash, the store or validation.
:func:`build` makes a source from its configuration.
"""

from __future__ import annotations

from data_sources.base import Batch, Source, SourceError, build

__all__ = ["Batch", "Source", "SourceError", "build"]
