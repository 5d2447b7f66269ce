"""What opens a follow-up and how its status may move (pure functions, no store).

Status: ``new`` → ``in_progress`` → ``contacted`` → ``resolved``, or ``closed``
(without action, with a reason) from any open status. Steps forward may be
skipped (a call made at once goes ``new`` → ``contacted``), but ``resolved``
needs a contact first: resolving is answering the customer, and the time to
first contact would otherwise be missing for a resolved one. A done
follow-up may be reopened (``in_progress``); its first contact is kept.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from dashapp.config import FollowupConfig
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _

MAX_REASON = 200
MAX_NOTE = 4_000


class Status(enum.StrEnum):
    """Where a follow-up stands."""

    new = "new"
    in_progress = "in_progress"
    contacted = "contacted"
    resolved = "resolved"
    closed = "closed"

    @property
    def open(self) -> bool:
        """Whether someone still has to act (not resolved or closed)."""
        return self in OPEN

    @property
    def words(self) -> str:
        """The status as people read it, in the reader's language ("in progress")."""
        return _(TITLES[self])


#: Also written as SQL for the queue's partial index (store.models.OPEN_FOLLOWUP).
OPEN = (Status.new, Status.in_progress, Status.contacted)
DONE = (Status.resolved, Status.closed)
#: The statuses as people read them (marked only: :attr:`Status.words` translates them
#: where shown; the API and the store keep the machine values).
TITLES = {
    Status.new: N_("new"),
    Status.in_progress: N_("in progress"),
    Status.contacted: N_("contacted"),
    Status.resolved: N_("resolved"),
    Status.closed: N_("closed without action"),
}
_ORDER = {status: i for i, status in enumerate(OPEN)}
#: Where each status may go next.
MOVES: dict[Status, tuple[Status, ...]] = {
    Status.new: (Status.in_progress, Status.contacted, Status.closed),
    Status.in_progress: (Status.contacted, Status.closed),
    Status.contacted: (Status.resolved, Status.closed),
    Status.resolved: (Status.in_progress,),
    Status.closed: (Status.in_progress,),
}


class ChangeError(ValueError):
    """A change that cannot be made; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def parse_status(text: str) -> Status:
    """The status called *text* ("in progress" and "in_progress" alike); ChangeError otherwise."""
    try:
        return Status(text.strip().lower().replace(" ", "_"))
    except ValueError:
        raise ChangeError(
            "status", f"unknown status {text!r}; choose {', '.join(s.value for s in Status)}"
        ) from None


def check_move(current: Status, target: Status, reason: str | None) -> None:
    """Raise ChangeError unless *current* may become *target* (closing needs a *reason*)."""
    if target == current:
        return
    if target not in MOVES[current]:
        allowed = ", ".join(s.value for s in MOVES[current])
        raise ChangeError(
            "status",
            _(
                "a %(current)s follow-up can become %(allowed)s, not %(target)s",
                current=current.value,
                allowed=allowed,
                target=target.value,
            ),
        )
    if target == Status.closed and not (reason or "").strip():
        raise ChangeError("reason", _("closing without action needs a reason"))


def check_text(field: str, text: str | None, limit: int) -> str | None:
    """*text* stripped (None when empty); ChangeError when over *limit* characters."""
    if text is None:
        return None
    text = text.strip()
    if len(text) > limit:
        raise ChangeError(field, _("at most %(limit)s characters", limit=limit))
    return text or None


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the rule looks at: a response's facts and its labels (ids)."""

    score: int
    brand: str
    country: str
    touchpoint: str
    has_comment: bool
    labels: Sequence[str] = ()


def needs_followup(rule: FollowupConfig, item: Candidate) -> bool:
    """Whether *item* opens a follow-up under *rule* (a parent label matches its children)."""
    return (
        rule.enabled
        and rule.min_score <= item.score <= rule.max_score
        and (not rule.with_comment or item.has_comment)
        and (not rule.brand or item.brand in rule.brand)
        and (not rule.country or item.country in rule.country)
        and (not rule.touchpoint or item.touchpoint in rule.touchpoint)
        and (
            not rule.labels
            or any(
                label == wanted or label.startswith(wanted + "/")
                for label in item.labels
                for wanted in rule.labels
            )
        )
    )


@dataclass(frozen=True, slots=True)
class Stamps:
    """The times a status change sets: first contact (once) and done (while done)."""

    first_contact_at: dt.datetime | None
    done_at: dt.datetime | None


def stamps(
    target: Status,
    first_contact_at: dt.datetime | None,
    now: dt.datetime,
) -> Stamps:
    """The times after moving to *target* at *now*, given the first contact so far."""
    contact = first_contact_at
    if contact is None and target == Status.contacted:
        contact = now
    return Stamps(contact, now if target in DONE else None)


def overdue(status: Status, due_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether an open follow-up is past its due time at *now*."""
    return status.open and due_at < now
