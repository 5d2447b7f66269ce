"""Page layouts: components only, no queries. Callbacks fill them with data."""

from __future__ import annotations

from dashapp.config import Playlist
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


def register_pages(playlists: dict[str, Playlist]) -> None:
    """Register every page with Dash Pages; call after the Dash app exists.

    Raises ConfigError when one of *playlists* names a page no wall panel declares.
    """
    kiosk.check_playlists(playlists)
    for page in (overview, feed, labels, explore, compare, followups, admin, kiosk, not_found):
        page.register()
