"""Feedback Wall core: settings, store, ingest, NPS engine, cache, scheduler and CLI.

``create_app`` is imported lazily so that the CLI and the pure modules do not
pay for importing Dash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashapp.web.factory import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from dashapp.web.factory import create_app

        return create_app
    raise AttributeError(name)
