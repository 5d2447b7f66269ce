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
    #: What the page says about a change it could not make (the store busy): a notice.
    NOTICE = "shell-notice"


class Panels:
    """The wall's panels, shared by the stand-alone pages and the kiosk."""

    FILTERS = "panels-filters"
    #: Says so when a filter names a brand, country or touchpoint the store does not have.
    FILTER_NOTE = "panels-filter-note"
    #: The screen's theme ("dark" or "light"), which the charts' text colours follow.
    THEME = "panels-theme"
    #: Whether the screen is a wall (the kiosk): its charts are drawn to read from 4 m.
    WALL = "panels-wall"
    #: The data attribute naming a panel body's poll store (read by assets/*.js).
    POLL_ATTR = "data-poll"

    @staticmethod
    def tick(panel: str) -> str:
        """The poll timer of one wall panel: one per panel, so a slow refresh never stacks up
        another's."""
        return f"panels-tick-{panel}"

    @staticmethod
    def poll(panel: str) -> str:
        """What a panel's refresh listens to: its tick, let through only while the panel is on
        screen (assets/wall.js), or a kiosk's request just before showing it."""
        return f"panels-poll-{panel}"

    @staticmethod
    def part(panel: str, part: str) -> str:
        """A component of a panel declared after these constants (a new panel needs no line
        here: ``Panels.part("followups", "table")``)."""
        return f"panels-{panel}-{part}"

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
    #: The selection's trend chart (annotations on it) and marking an event from it.
    TREND = "explore-trend"
    MARK_FROM = "explore-mark-from"
    MARK_TO = "explore-mark-to"
    MARK_TEXT = "explore-mark-text"
    MARK_ADD = "explore-mark-add"
    MARK_MESSAGE = "explore-mark-message"
    #: Bumped when an annotation is made, so the chart and summary redraw.
    MARKED = "explore-marked"


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
    #: Alert rules: the form (one field per rule setting), its buttons, the table.
    RULES = "admin-rules"
    RULE_MESSAGE = "admin-rule-message"
    RULE_EDITING = "admin-rule-editing"
    RULE_NAME = "admin-rule-name"
    RULE_KIND = "admin-rule-kind"
    RULE_BRAND = "admin-rule-brand"
    RULE_COUNTRY = "admin-rule-country"
    RULE_TOUCHPOINT = "admin-rule-touchpoint"
    RULE_MIN_SCORE = "admin-rule-min-score"
    RULE_MAX_SCORE = "admin-rule-max-score"
    RULE_DROP_POINTS = "admin-rule-drop-points"
    RULE_MIN_N = "admin-rule-min-n"
    RULE_WINDOW = "admin-rule-window"
    RULE_COOLDOWN = "admin-rule-cooldown"
    RULE_CHANNEL = "admin-rule-channel"
    RULE_TARGET = "admin-rule-target"
    RULE_SECRET = "admin-rule-secret"
    RULE_SAVE = "admin-rule-save"
    RULE_NEW = "admin-rule-new"

    SUBSCRIPTIONS = "admin-subscriptions"

    @staticmethod
    def unsubscribe(subscription: object) -> dict[str, object]:
        """The remove button of one report subscription (ALL matches every one)."""
        return {"type": "admin-unsubscribe", "subscription": subscription}

    @staticmethod
    def rule_action(action: object, rule: object) -> dict[str, object]:
        """A rule's button: *action* "pause", "resume", "delete" or "test" (ALL matches all)."""
        return {"type": "admin-rule-action", "action": action, "rule": rule}

    @staticmethod
    def rule_edit(rule: object) -> dict[str, object]:
        """The edit button of one stored rule (ALL matches every one)."""
        return {"type": "admin-rule-edit", "rule": rule}

    @staticmethod
    def revoke(kind: object, token_id: object) -> dict[str, object]:
        """A revoke button: *kind* is "display", "api" or "ingest" (ALL matches every one)."""
        return {"type": "admin-revoke", "kind": kind, "token": token_id}

    @staticmethod
    def toggle(user: object) -> dict[str, object]:
        """The disable/enable button of one user (ALL matches every one)."""
        return {"type": "admin-toggle", "user": user}


class FollowUps:
    """The follow-up page: the queue, one follow-up's detail and its actions."""

    URL = "followups-url"
    BRAND = "followups-brand"
    COUNTRY = "followups-country"
    TOUCHPOINT = "followups-touchpoint"
    LABEL = "followups-label"
    STATUS = "followups-status"
    OWNER = "followups-owner"
    AGE = "followups-age"
    QUEUE = "followups-queue"
    COUNT = "followups-count"
    PAGER = "followups-pager"
    #: The versions of the follow-ups listed, by id (bulk changes name the version read).
    VERSIONS = "followups-versions"
    BULK_OWNER = "followups-bulk-owner"
    BULK_ASSIGN = "followups-bulk-assign"
    BULK_ME = "followups-bulk-me"
    BULK_MESSAGE = "followups-bulk-message"
    DETAIL = "followups-detail"
    #: The actions under the detail (hidden for viewers and while nothing is shown).
    ACTIONS = "followups-actions"
    #: {"id": ..., "version": ...} of the follow-up shown: every action names it.
    SHOWN = "followups-shown"
    ASSIGN_ME = "followups-assign-me"
    ASSIGN_OWNER = "followups-assign-owner"
    ASSIGN = "followups-assign"
    NOTE = "followups-note"
    SAVE_NOTE = "followups-save-note"
    REASON = "followups-reason"
    CLOSE = "followups-close"
    MESSAGE = "followups-message"
    HISTORY = "followups-history"
    OPEN_NEW = "followups-open-new"
    #: Bumped by every change, so the queue and the detail are read again.
    CHANGED = "followups-changed"

    @staticmethod
    def pick(followup_id: object) -> dict[str, object]:
        """The bulk checkbox of one listed follow-up (ALL matches every one)."""
        return {"type": "followups-pick", "id": followup_id}

    @staticmethod
    def move(status: object) -> dict[str, object]:
        """The button moving the shown follow-up to *status* (ALL matches every one)."""
        return {"type": "followups-move", "status": status}
