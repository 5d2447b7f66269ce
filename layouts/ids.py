"""Component ids shared by layouts and callbacks, one place for each page."""

from __future__ import annotations


class Shell:
    """The frame around every page."""

    URL = "shell-url"
    TICK = "shell-tick"
    UPDATED = "shell-updated"


class Overview:
    """The overview page."""

    NPS = "overview-nps"
    NPS_DETAIL = "overview-nps-detail"
    VOLUME = "overview-volume"
