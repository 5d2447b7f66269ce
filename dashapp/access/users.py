"""People who sign in, their roles and passwords (Argon2id); the store side of access control."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashapp.access import tokens as access_tokens
from dashapp.access.roles import Role
from dashapp.i18n.core import pick
from dashapp.store import counters as versions
from dashapp.store.models import User

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a
# wrong password and sign-in does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class UserError(ValueError):
    """A user operation that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Person:
    """Who a request acts for: a signed-in user, a screen, a token's owner or the local demo."""

    name: str
    role: Role
    #: "session", "display", "api" or "demo".
    via: str
    user_id: int | None = None
    #: The language chosen on /account (None: the browser's, then the app's default).
    language: str | None = None


def check_password(name: str, password: str) -> None:
    """Raise UserError unless *password* is long enough and not the user's name."""
    if len(password) < MIN_PASSWORD:
        raise UserError(f"password: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"password: at most {MAX_PASSWORD} characters")
    if normal_name(password) == normal_name(name):
        raise UserError("password: must not be the user name")


def normal_name(name: str) -> str:
    """The one form of a user name that lookups and sign-in limits compare: compatibility
    forms unified (NFKC: fullwidth letters are the plain ones), case folded, spaces around
    dropped."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    # Case folding can undo the normal form (U+01F0 folds to j and a combining caron).
    return unicodedata.normalize("NFKC", folded).strip()


def _check_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    if not 1 <= len(name) <= 64 or any(c.isspace() or not c.isprintable() for c in name):
        raise UserError("name: 1 to 64 printable characters without spaces")
    return name


def count(session: Session) -> int:
    """How many users exist (disabled ones included)."""
    return session.scalar(select(func.count()).select_from(User)) or 0


def by_name(session: Session, name: str) -> User | None:
    """The user called *name*, compared in :func:`normal_name` form, if any.

    Compared here rather than in SQL: SQLite's lower() folds ASCII only, and
    neither store knows NFKC. People who sign in number tens to hundreds, so
    reading their names costs less than the password check that follows.
    """
    wanted = normal_name(name)
    if not wanted:
        return None
    for user_id, stored in session.execute(select(User.id, User.name).order_by(User.id)):
        if normal_name(stored) == wanted:
            return session.get(User, user_id)
    return None


def create(session: Session, name: str, password: str, role: Role) -> User:
    """Add a user; UserError when the name is taken or the password too weak."""
    name = _check_name(name)
    check_password(name, password)
    if by_name(session, name) is not None:
        raise UserError(f"name: a user called {name!r} exists already")
    user = User(
        name=name,
        role=role.name,
        password_hash=_hasher.hash(password),
        session_epoch=0,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, else None; rehashes outdated hashes."""
    user = by_name(session, name)
    if len(password) > MAX_PASSWORD:
        return None
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = dt.datetime.now(dt.UTC)
    return user


def _existing(session: Session, name: str) -> User:
    user = by_name(session, name)
    if user is None:
        raise UserError(f"name: no user called {name!r}")
    return user


def _end_sessions(session: Session, user: User) -> None:
    # A session cookie names a server-side session; without it the cookie is
    # worthless, and the access counter tells every process to forget what it
    # remembered.
    access_tokens.end_sessions_of(session, user.id)
    versions.bump(session, versions.ACCESS)


def reset_password(session: Session, name: str, password: str) -> User:
    """Set a new password and end the user's sessions everywhere."""
    user = _existing(session, name)
    check_password(user.name, password)
    user.password_hash = _hasher.hash(password)
    _end_sessions(session, user)
    return user


def set_language(session: Session, user_id: int, language: str | None) -> None:
    """Set the language the user reads the app in (None: the browser's); seen on the next
    request, in every worker (the access version moves, so remembered identities go)."""
    user = session.get(User, user_id)
    if user is None:
        raise UserError("no such user")
    user.language = pick(language)
    versions.bump(session, versions.ACCESS)


def set_role(session: Session, name: str, role: Role) -> User:
    """Give the user *role*; open sessions end, so the new role applies at once."""
    user = _existing(session, name)
    user.role = role.name
    _end_sessions(session, user)
    return user


def set_disabled(session: Session, name: str, disabled: bool) -> User:
    """Disable (sessions and API tokens stop working) or enable a user."""
    user = _existing(session, name)
    user.disabled_at = dt.datetime.now(dt.UTC) if disabled else None
    _end_sessions(session, user)
    return user


def listing(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(func.lower(User.name))))
