"""Display tokens for wall screens, API tokens for scripts, the one-time first-admin link, and
the server side of signed-in browsers' sessions.

Only SHA-256 digests are stored (see :mod:`dashapp.access.ingest_tokens`): a token is 256
random bits, shown once when made. A display token admits one screen to viewer
pages for as long as it is not revoked; an API token acts with its user's role
while that user is active; the set-up token creates the first admin, once; a
session token lives in a browser's signed session cookie and is deleted when
that session ends (signing out, or a change to its user), so a copied cookie
stops working with it.
"""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from dashapp.access.ingest_tokens import digest, revoke_where
from dashapp.store import counters as versions
from dashapp.store.models import AccessToken, User

#: How often a token's "last used" time is written: screens poll every few
#: seconds, and a write per poll would be pointless load on the store.
TOUCH_EVERY = dt.timedelta(minutes=5)
SETUP_VALID_FOR = dt.timedelta(hours=24)


class Kind(enum.StrEnum):
    """What a token is for; its prefix makes a leaked token recognisable."""

    display = "display"
    api = "api"
    setup = "setup"
    session = "session"


PREFIXES = {Kind.display: "fwd_", Kind.api: "fwa_", Kind.setup: "fws_", Kind.session: "fwc_"}


class TokenError(ValueError):
    """A token operation that cannot be done; the message names the field."""


@dataclass(frozen=True, slots=True)
class Lookup:
    """What a presented token turned out to be: valid (with its row), revoked, or unknown."""

    token: AccessToken | None
    revoked: bool = False


def _issue(session: Session, kind: Kind, name: str, **fields: object) -> str:
    token = PREFIXES[kind] + secrets.token_urlsafe(32)
    session.add(
        AccessToken(
            kind=kind.value,
            name=name,
            token_hash=digest(token),
            created_at=dt.datetime.now(dt.UTC),
            **fields,
        )
    )
    session.flush()
    return token


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise TokenError("name: 1 to 64 printable characters")
    return name


def issue_display(session: Session, name: str) -> str:
    """A display token for the screen called *name*; TokenError if a live one has that name."""
    name = _check_name(name)
    if any(t.name.lower() == name.lower() for t in listing(session, Kind.display)):
        raise TokenError(f"name: a screen called {name!r} exists already; revoke it first")
    return _issue(session, Kind.display, name)


def issue_api(session: Session, user: User, name: str = "api") -> str:
    """An API token that acts as *user* (with the user's role at the time of each request)."""
    return _issue(session, Kind.api, _check_name(name), user_id=user.id)


def issue_setup(session: Session, now: dt.datetime | None = None) -> str:
    """A first-admin link token valid for a day; earlier unused ones are revoked."""
    now = now or dt.datetime.now(dt.UTC)
    session.execute(
        update(AccessToken)
        .where(AccessToken.kind == Kind.setup.value, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return _issue(session, Kind.setup, "first admin", expires_at=now + SETUP_VALID_FOR)


def lookup(session: Session, kind: Kind, token: str, now: dt.datetime | None = None) -> Lookup:
    """Find a presented token of *kind*; expired counts as revoked. Reads only."""
    if not token.startswith(PREFIXES[kind]):
        return Lookup(None)
    row = session.scalar(
        select(AccessToken).where(
            AccessToken.token_hash == digest(token), AccessToken.kind == kind.value
        )
    )
    if row is None:
        return Lookup(None)
    now = now or dt.datetime.now(dt.UTC)
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return Lookup(None, revoked=True)
    return Lookup(row)


def touch(session: Session, token_id: int, now: dt.datetime) -> None:
    """Record that a token was used at *now* (callers do it at most every TOUCH_EVERY)."""
    session.execute(update(AccessToken).where(AccessToken.id == token_id).values(last_used_at=now))


def consume_setup(session: Session, token: str) -> bool:
    """Use the first-admin token once: True for exactly one caller while it is valid."""
    found = lookup(session, Kind.setup, token)
    if found.token is None:
        return False
    return revoke_where(session, AccessToken, AccessToken.id == found.token.id) == 1


def listing(session: Session, kind: Kind, *, revoked: bool = False) -> list[AccessToken]:
    """Tokens of *kind*, newest first; live ones only unless *revoked*."""
    query = select(AccessToken).where(AccessToken.kind == kind.value)
    if not revoked:
        query = query.where(AccessToken.revoked_at.is_(None))
    return list(session.scalars(query.order_by(AccessToken.created_at.desc(), AccessToken.id)))


def revoke(session: Session, token_id: int) -> bool:
    """Revoke one token by id; False when there was no live token with that id."""
    return revoke_where(session, AccessToken, AccessToken.id == token_id) > 0


def revoke_named(session: Session, kind: Kind, name: str) -> int:
    """Revoke the live tokens of *kind* called *name*; how many were revoked."""
    return revoke_where(
        session, AccessToken, AccessToken.kind == kind.value, AccessToken.name == name.strip()
    )


def issue_session(session: Session, user: User) -> str:
    """A new server-side session of *user*; the token goes into the browser's session cookie."""
    return _issue(session, Kind.session, user.name[:64], user_id=user.id)


def end_session(session: Session, token: str) -> bool:
    """End the session *token* names, on every worker within a second; False if none was live."""
    done = session.execute(
        delete(AccessToken).where(
            AccessToken.kind == Kind.session.value, AccessToken.token_hash == digest(token)
        )
    )
    # Other workers remember who a cookie stood for until the access version moves.
    versions.bump(session, versions.ACCESS)
    return bool(done.rowcount)  # type: ignore[attr-defined]


def end_sessions_of(session: Session, user_id: int) -> int:
    """End every session of one user (the caller moves the access version); how many."""
    done = session.execute(
        delete(AccessToken).where(
            AccessToken.kind == Kind.session.value, AccessToken.user_id == user_id
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]


def forget_idle_sessions(session: Session, before: dt.datetime) -> int:
    """Delete sessions last used before *before* (their cookies have expired); how many."""
    done = session.execute(
        delete(AccessToken).where(
            AccessToken.kind == Kind.session.value,
            func.coalesce(AccessToken.last_used_at, AccessToken.created_at) < before,
        )
    )
    return int(done.rowcount)  # type: ignore[attr-defined]
