"""Component ids shared by layouts and callbacks: one class per page, never repeated literals."""

from __future__ import annotations


class Shell:
    """The frame around every page."""

    URL = "shell-url"
    #: ISO time of the newest data the page shows (set by the data callbacks).
    STAMP = "shell-stamp"
    UPDATED = "shell-updated"
    #: Screen scale (viewport width / 1920), set in the browser; charts size fonts from it.
    SCALE = "shell-scale"
    #: Settings for assets/wall.js (poll interval) as data attributes; the id is JS's too.
    SETTINGS = "fw-settings"


class Panels:
    """The wall's panels, shared by the stand-alone pages and the kiosk."""

    FILTERS = "panels-filters"
    #: Says so when a filter names a brand, country or touchpoint the store does not have.
    FILTER_NOTE = "panels-filter-note"
    #: The screen's theme ("dark" or "light"), which the charts' text colours follow.
    THEME = "panels-theme"
    #: One poll timer per panel group, so a slow refresh of one never stacks up another.
    TICK_OVERVIEW = "panels-tick-overview"
    TICK_FEED = "panels-tick-feed"
    TICK_LABELS = "panels-tick-labels"
    TICK_ALERT = "panels-tick-alert"
    #: What a panel's refresh listens to: its tick, let through only while the panel is
    #: on screen (assets/wall.js), or a kiosk's request just before showing it.
    POLL_OVERVIEW = "panels-poll-overview"
    POLL_FEED = "panels-poll-feed"
    POLL_LABELS = "panels-poll-labels"
    #: Each polled panel's tick and the store it feeds.
    POLLS = {TICK_OVERVIEW: POLL_OVERVIEW, TICK_FEED: POLL_FEED, TICK_LABELS: POLL_LABELS}
    #: The data attribute naming a panel body's poll store (read by assets/*.js).
    POLL_ATTR = "data-poll"
    ALERT = "panels-alert"
    NPS = "panels-nps"
    NPS_DETAIL = "panels-nps-detail"
    CHANGE = "panels-change"
    HEATMAP = "panels-heatmap"
    TRENDS = "panels-trends"
    VOLUME = "panels-volume"
    FEED = "panels-feed"
    LABELS = "panels-labels"
    #: Download links under the overview (not on wall screens).
    EXPORTS = "panels-exports"
    #: "loading demo history: 43%" while the demo's history is seeded, and its own timer
    #: (it stops once the history is complete or none is being seeded).
    HISTORY = "panels-history"
    TICK_HISTORY = "panels-tick-history"


class Kiosk:
    """The rotating wall screen."""

    ROOT = "kiosk-root"
    CONFIG = "kiosk-config"
    CLOCK = "kiosk-clock"
    PROGRESS = "kiosk-progress"
    TITLE = "kiosk-title"
    #: How many significant drops there are now; the rotation shows the alert page while > 0.
    ALERTS = "kiosk-alerts"

    @staticmethod
    def page(name: object) -> dict[str, object]:
        """The id of one page of the rotation (pass ALL to match every page)."""
        return {"type": "kiosk-page", "name": name}


class Labels:
    """The smart-labels page."""

    TREEMAP = "labels-treemap"
    TABLE = "labels-table"
    THEMES = "labels-themes"
    #: Which themes are on screen, so a poll that finds the same ones leaves the forms alone.
    SHOWN = "labels-shown"
    SCOPE = "labels-scope"
    MESSAGE = "labels-message"
    PROGRESS = "labels-progress"
    EXPORTS = "labels-exports"

    @staticmethod
    def theme_name(theme_id: object) -> dict[str, object]:
        """The name box of one discovered theme's "make a label" form."""
        return {"type": "labels-theme-name", "theme": theme_id}

    @staticmethod
    def theme_make(theme_id: object) -> dict[str, object]:
        """The "make a label" button of one discovered theme (ALL matches every one)."""
        return {"type": "labels-theme-make", "theme": theme_id}


class Compare:
    """The comparison page."""

    URL = "compare-url"
    DIMENSION = "compare-dimension"
    A = "compare-a"
    B = "compare-b"
    WINDOW = "compare-window"
    RESULT = "compare-result"
    TRENDS = "compare-trends"
    EXPORTS = "compare-exports"


class Explore:
    """The drill-down page."""

    URL = "explore-url"
    FROM = "explore-from"
    TO = "explore-to"
    BRAND = "explore-brand"
    COUNTRY = "explore-country"
    TOUCHPOINT = "explore-touchpoint"
    CLASS = "explore-class"
    TEXT = "explore-text"
    LABEL = "explore-label"
    SORT = "explore-sort"
    SUMMARY = "explore-summary"
    BREAKDOWN = "explore-breakdown"
    LIST = "explore-list"
    PAGER = "explore-pager"
    EXPORTS = "explore-exports"


class Admin:
    """The admin page: wall screens, users, tokens and the alert delivery log."""

    #: Bumped by every action, so the tables redraw.
    CHANGED = "admin-changed"
    SCREEN_NAME = "admin-screen-name"
    SCREEN_ADD = "admin-screen-add"
    SCREEN_MESSAGE = "admin-screen-message"
    SCREENS = "admin-screens"
    USER_NAME = "admin-user-name"
    USER_ROLE = "admin-user-role"
    USER_ADD = "admin-user-add"
    USER_MESSAGE = "admin-user-message"
    USERS = "admin-users"
    TOKEN_ADD = "admin-token-add"
    TOKEN_MESSAGE = "admin-token-message"
    TOKENS = "admin-tokens"
    DELIVERIES = "admin-deliveries"

    @staticmethod
    def revoke(kind: object, token_id: object) -> dict[str, object]:
        """A revoke button: *kind* is "display", "api" or "ingest" (ALL matches every one)."""
        return {"type": "admin-revoke", "kind": kind, "token": token_id}

    @staticmethod
    def toggle(user: object) -> dict[str, object]:
        """The disable/enable button of one user (ALL matches every one)."""
        return {"type": "admin-toggle", "user": user}
