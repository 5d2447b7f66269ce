"""What the admin page reads and changes, each a unit of work with its own transaction.

Callbacks call these and never open a session themselves. Listings come back
as detached rows whose columns are loaded (nothing is loaded lazily later).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dashapp.access import ingest_tokens, tokens, users
from dashapp.access.tokens import Kind
from dashapp.access.users import Role
from dashapp.config import AlertRule
from dashapp.store import rules
from dashapp.store.models import AccessToken, IngestToken, StoredAlertRule, User

# Re-exported: callbacks catch it without importing the store.
from dashapp.store.rules import RuleError as RuleError


@dataclass(frozen=True, slots=True)
class Listing:
    """Everything the admin page lists but the delivery log (which is the jobs' own)."""

    screens: list[AccessToken]
    people: list[User]
    api: list[AccessToken]
    ingest: list[IngestToken]


def listing(sessions: sessionmaker[Session]) -> Listing:
    """Display links, users, API and ingest tokens, read in one transaction."""
    with sessions() as session:
        return Listing(
            screens=tokens.listing(session, Kind.display),
            people=users.listing(session),
            api=tokens.listing(session, Kind.api),
            ingest=ingest_tokens.listing(session),
        )


def add_display(sessions: sessionmaker[Session], name: str) -> str:
    """A new display link's token for screen *name* (shown once); TokenError when refused."""
    with sessions.begin() as session:
        return tokens.issue_display(session, name)


def add_user(sessions: sessionmaker[Session], name: str, password: str, role: Role) -> str:
    """Create a user; their stored name. UserError when refused."""
    with sessions.begin() as session:
        return users.create(session, name, password, role).name


def add_api_token(sessions: sessionmaker[Session], user_id: int) -> str:
    """A new API token acting as user *user_id* (shown once)."""
    with sessions.begin() as session:
        owner = session.get(User, user_id)
        if owner is None:
            raise users.UserError("that user no longer exists")
        return tokens.issue_api(session, owner, "made on the admin page")


def toggle_user(sessions: sessionmaker[Session], name: str, acting_user_id: int | None) -> None:
    """Disable user *name*, or enable them again; never the acting admin themselves."""
    with sessions.begin() as session:
        user = users.by_name(session, name)
        # An admin cannot lock themselves out (another admin can).
        if user is not None and user.id != acting_user_id:
            users.set_disabled(session, user.name, user.disabled_at is None)


def revoke(sessions: sessionmaker[Session], kind: str, token_id: int) -> None:
    """Revoke an ingest token (*kind* "ingest") or a display or API token."""
    with sessions.begin() as session:
        if kind == "ingest":
            ingest_tokens.revoke(session, token_id)
        else:
            tokens.revoke(session, token_id)


def alert_rules(sessions: sessionmaker[Session]) -> list[StoredAlertRule]:
    """The rules made on /admin or through the API, by name."""
    with sessions() as session:
        return rules.listing(session)


def alert_rule(sessions: sessionmaker[Session], name: str) -> tuple[AlertRule, bool] | None:
    """Stored rule *name* (secret included, for sending) and whether it is paused."""
    with sessions() as session:
        row = rules.by_name(session, name)
        return None if row is None else (AlertRule.model_validate(row.definition), row.paused)


def save_alert_rule(
    sessions: sessionmaker[Session],
    values: dict[str, Any],
    *,
    original: str | None,
    reserved: set[str],
    who: str | None,
    paused: bool | None = None,
) -> AlertRule:
    """Create (*original* None) or replace a stored rule; RuleError naming the field."""
    with sessions.begin() as session:
        return rules.put(
            session,
            values,
            original=original,
            reserved=reserved,
            who=who,
            now=dt.datetime.now(dt.UTC),
            paused=paused,
        )


def pause_alert_rule(sessions: sessionmaker[Session], name: str, paused: bool) -> bool:
    """Pause or resume stored rule *name*; whether it exists."""
    with sessions.begin() as session:
        return rules.set_paused(session, name, paused, dt.datetime.now(dt.UTC))


def delete_alert_rule(sessions: sessionmaker[Session], name: str) -> bool:
    """Delete stored rule *name*; whether it existed."""
    with sessions.begin() as session:
        return rules.delete(session, name)
