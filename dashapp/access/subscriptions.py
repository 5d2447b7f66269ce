"""Report subscriptions: people subscribe themselves, admins see and remove them.

Each function is a unit of work with its own transaction. Every mail carries a
signed one-click unsubscribe link: the token names the subscription and is
signed (itsdangerous, HMAC-SHA256) with the app's session key, so it works
without signing in and cannot be made for another subscription.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dashapp.access.gate import session_key
from dashapp.config import Settings
from dashapp.i18n import core as i18n_core
from dashapp.store.models import Subscription, User

CADENCES = ("daily", "weekly")
#: A subscription's report comes in any language the app has.
LANGUAGES = i18n_core.LANGUAGES
#: Enough of an address to be one (the SMTP server has the last word).
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
MAX_VALUES = 50
_SALT = "feedbackwall-unsubscribe"


class SubscriptionError(ValueError):
    """A subscription that cannot be made; the message names the field."""


def _values(field: str, values: Sequence[str]) -> list[str]:
    cleaned = sorted({v.strip() for v in values if v and v.strip()})
    if len(cleaned) > MAX_VALUES or any(len(v) > 100 for v in cleaned):
        raise SubscriptionError(f"{field}: at most {MAX_VALUES} values of 100 characters")
    return cleaned


def subscribe(
    sessions: sessionmaker[Session],
    user_id: int,
    email: str,
    cadence: str,
    brands: Sequence[str] = (),
    countries: Sequence[str] = (),
    language: str = "en",
) -> Subscription:
    """Subscribe user *user_id*; SubscriptionError naming the field when refused."""
    email = email.strip()
    if not EMAIL.match(email) or len(email) > 254:
        raise SubscriptionError("email: not an e-mail address")
    if cadence not in CADENCES:
        raise SubscriptionError(f"cadence: one of {', '.join(CADENCES)}")
    if language not in LANGUAGES:
        raise SubscriptionError(f"language: one of {', '.join(LANGUAGES)}")
    row = Subscription(
        user_id=user_id,
        email=email,
        cadence=cadence,
        brands=_values("brands", brands),
        countries=[c.upper() for c in _values("countries", countries)],
        language=language,
        created_at=dt.datetime.now(dt.UTC),
    )
    try:
        with sessions.begin() as session:
            if session.get(User, user_id) is None:
                raise SubscriptionError("user: no such user")
            session.add(row)
    except IntegrityError:
        raise SubscriptionError(f"email: {email} gets the {cadence} report already") from None
    return row


def of_user(sessions: sessionmaker[Session], user_id: int) -> list[Subscription]:
    """User *user_id*'s subscriptions."""
    with sessions() as session:
        return list(
            session.scalars(
                select(Subscription)
                .where(Subscription.user_id == user_id)
                .order_by(Subscription.id)
            )
        )


def listing(sessions: sessionmaker[Session]) -> list[tuple[Subscription, str]]:
    """Every subscription with its user's name (for admins)."""
    with sessions() as session:
        rows = session.execute(
            select(Subscription, User.name)
            .join(User, User.id == Subscription.user_id, isouter=True)
            .order_by(Subscription.id)
        ).all()
        return [(sub, name or "?") for sub, name in rows]


def due(sessions: sessionmaker[Session], cadences: Sequence[str]) -> list[Subscription]:
    """The subscriptions of *cadences* (the report job's list)."""
    with sessions() as session:
        return list(session.scalars(select(Subscription).where(Subscription.cadence.in_(cadences))))


def remove(
    sessions: sessionmaker[Session], subscription_id: int, user_id: int | None = None
) -> bool:
    """Remove a subscription (only the user's own when *user_id* is given); whether it was."""
    with sessions.begin() as session:
        row = session.get(Subscription, subscription_id)
        if row is None or (user_id is not None and row.user_id != user_id):
            return False
        session.delete(row)
        return True


def mark_sent(sessions: sessionmaker[Session], subscription_id: int, when: dt.datetime) -> None:
    """Note that the subscription's report went out at *when*."""
    with sessions.begin() as session:
        row = session.get(Subscription, subscription_id)
        if row is not None:
            row.last_sent_at = when


def by_id(sessions: sessionmaker[Session], subscription_id: int) -> Subscription | None:
    """Subscription *subscription_id*, if it still exists."""
    with sessions() as session:
        return session.get(Subscription, subscription_id)


def token(key: str, subscription_id: int) -> str:
    """The signed one-click unsubscribe token of a subscription."""
    return str(URLSafeSerializer(key, salt=_SALT).dumps(subscription_id))


def read_token(key: str, value: str) -> int | None:
    """The subscription a token names, or None when it is not one of ours."""
    try:
        found = URLSafeSerializer(key, salt=_SALT).loads(value)
    except BadSignature:
        return None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def signing_key(settings: Settings, sessions: sessionmaker[Session]) -> str:
    """The key unsubscribe tokens are signed with: the session key (configured or stored)."""
    return settings.secret_key or session_key(sessions)
