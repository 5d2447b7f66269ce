"""Page layouts: components only, no queries. Callbacks fill them with data."""

from __future__ import annotations

from layouts import (
    admin,
    compare,
    explore,
    feed,
    followups,
    kiosk,
    labels,
    not_found,
    overview,
)


def register_pages() -> None:
    """Register every page with Dash Pages; call after the Dash app exists."""
    for page in (overview, feed, labels, explore, compare, followups, admin, kiosk, not_found):
        page.register()
