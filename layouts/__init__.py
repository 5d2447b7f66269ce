"""Page layouts: components only, no queries. Callbacks fill them with data."""

from __future__ import annotations

from layouts import overview


def register_pages() -> None:
    """Register every page with Dash Pages; call after the Dash app exists."""
    overview.register()
