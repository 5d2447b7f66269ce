"""What the follow-up page, the API and the CLI read and change, each a unit of work.

Callbacks and views call these and never open a session themselves. The
caller has checked the role (analysts and admins change, viewers read;
display screens get :func:`figures` only). Values come back detached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from dashapp.config import FollowupConfig
from dashapp.followups.rules import ChangeError, Status, parse_status
from dashapp.followups.store import (
    FIGURE_COLUMNS,
    HOOK,
    RULE_ACTOR,
    UNSET,
    Change,
    Conflict,
    Event,
    Figures,
    NotFound,
    QueueFilter,
    Row,
    figure_cells,
)
from dashapp.followups.store import backfill as _backfill
from dashapp.followups.store import change as _change
from dashapp.followups.store import figures as _figures
from dashapp.followups.store import get as _get
from dashapp.followups.store import history as _history
from dashapp.followups.store import of_response as _of_response
from dashapp.followups.store import open_one as _open_one
from dashapp.followups.store import people as _people
from dashapp.followups.store import queue as _queue
from dashapp.i18n.core import gettext as _
from dashapp.store.db import is_unavailable

__all__ = [
    "FIGURE_COLUMNS",
    "HOOK",
    "RULE_ACTOR",
    "UNSET",
    "Change",
    "ChangeError",
    "Conflict",
    "Detail",
    "Event",
    "Figures",
    "NotFound",
    "QueueFilter",
    "Row",
    "Status",
    "figure_cells",
    "parse_status",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def queue(
    sessions: sessionmaker[Session],
    filters: QueueFilter,
    limit: int = 50,
    after: tuple[dt.datetime, int] | None = None,
    now: dt.datetime | None = None,
) -> list[Row]:
    """One page of the queue, oldest due first."""
    with sessions() as session:
        return _queue(session, filters, now or _now(), limit, after)


@dataclass(frozen=True, slots=True)
class Detail:
    """A follow-up with its history."""

    row: Row
    events: list[Event]


def detail(sessions: sessionmaker[Session], followup_id: int) -> Detail:
    """Follow-up *followup_id* and its history, read together; NotFound if none."""
    with sessions() as session:
        return Detail(_get(session, followup_id), _history(session, followup_id))


def of_response(sessions: sessionmaker[Session], response_id: int) -> int | None:
    """The follow-up of response *response_id*, if it has one."""
    with sessions() as session:
        return _of_response(session, response_id)


def people(sessions: sessionmaker[Session]) -> list[tuple[int, str]]:
    """Who may own a follow-up: (user id, name) of enabled users."""
    with sessions() as session:
        return _people(session)


def update(
    sessions: sessionmaker[Session],
    rule: FollowupConfig,
    followup_id: int,
    expected_version: int,
    actor: str,
    wanted: Change,
) -> Row:
    """Change one follow-up if still at *expected_version* (Conflict otherwise); the row after."""
    with sessions.begin() as session:
        return _change(session, followup_id, expected_version, actor, wanted, rule, _now())


def bulk_assign(
    sessions: sessionmaker[Session],
    rule: FollowupConfig,
    versions: Sequence[tuple[int, int]],
    owner_id: int | None,
    actor: str,
) -> tuple[int, list[str]]:
    """Give each (id, version read) to *owner_id*; (how many changed, why the others did not).

    Each follow-up is its own transaction: one changed meanwhile is skipped and
    said, the others still move. Should the store become busy on the way, those
    already assigned stay so and the rest are said to be left.
    """
    changed, problems = 0, []
    for index, (followup_id, version) in enumerate(versions):
        try:
            update(sessions, rule, followup_id, version, actor, Change(owner_id=owner_id))
            changed += 1
        except (Conflict, NotFound, ChangeError) as exc:
            problems.append(f"#{followup_id}: {exc}")
        except SQLAlchemyError as exc:
            if not is_unavailable(exc):
                raise
            left = ", ".join(f"#{i}" for i, _v in versions[index:])
            problems.append(_("%(ids)s: the store is busy; try again", ids=left))
            break
    return changed, problems


def open_manually(
    sessions: sessionmaker[Session], rule: FollowupConfig, response_id: int, actor: str
) -> int:
    """Open a follow-up for a response the rule passed over (or return its existing one)."""
    with sessions.begin() as session:
        return _open_one(session, rule, response_id, actor, _now())


def figures(
    sessions: sessionmaker[Session],
    end: dt.datetime,
    days: int = 30,
    by: Sequence[str] = ("brand", "country"),
    brand: Collection[str] = (),
    country: Collection[str] = (),
    now: dt.datetime | None = None,
    touchpoint: Collection[str] = (),
    with_total: bool = False,
) -> list[Figures]:
    """Open/overdue now and answer times of follow-ups opened in (end - days, end]; with
    *with_total*, the total last (``group`` empty)."""
    with sessions() as session:
        return _figures(
            session,
            now or _now(),
            end - dt.timedelta(days=days),
            end,
            by,
            brand,
            country,
            touchpoint,
            with_total,
        )


def backfill(
    sessions: sessionmaker[Session], rule: FollowupConfig, days: int, now: dt.datetime | None = None
) -> int:
    """Open follow-ups for stored responses of the last *days* the rule picks; how many.

    One transaction per page of responses, so a long backfill never holds ingest up.
    """
    now = now or _now()
    since, after, total = now - dt.timedelta(days=days), 0, 0
    while True:
        with sessions.begin() as session:
            opened, last = _backfill(session, rule, since, now, after)
        total += opened
        if last is None:
            return total
        after = last
