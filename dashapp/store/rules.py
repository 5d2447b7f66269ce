"""Alert rules kept in the store (made on /admin or through the API), validated as TOML rules.

Each function works inside the caller's session; the units of work are
:mod:`dashapp.access.admin`'s. A rule's secret is stored with it and never
given back: an edit without one keeps the stored secret.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from dashapp.config import AlertRule
from dashapp.store.models import StoredAlertRule

#: Fields never shown back (the UI and the API take them, never give them).
SECRET_FIELDS = ("secret",)
#: Fields an edit keeps when not given again: the secret, and the channel's URL
#: (a Slack or Teams webhook URL is a credential too: shown by its host only).
WRITE_ONLY = ("secret",)
URL_FIELDS = ("webhook", "slack", "teams")


class RuleError(ValueError):
    """A rule that cannot be stored; the message names the field."""


def parse(values: dict[str, Any]) -> AlertRule:
    """*values* as a validated :class:`AlertRule`; RuleError naming each bad field."""
    try:
        return AlertRule.model_validate(values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "rule"
            problems.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        raise RuleError("; ".join(problems)) from None


def listing(session: Session) -> list[StoredAlertRule]:
    """Every stored rule, by name."""
    return list(session.scalars(select(StoredAlertRule).order_by(StoredAlertRule.name)))


def active(session: Session) -> list[AlertRule]:
    """The stored rules that are not paused, validated."""
    return [AlertRule.model_validate(row.definition) for row in listing(session) if not row.paused]


def by_name(session: Session, name: str) -> StoredAlertRule | None:
    """The stored rule called *name*, if any."""
    return session.scalar(select(StoredAlertRule).where(StoredAlertRule.name == name))


def put(
    session: Session,
    values: dict[str, Any],
    *,
    original: str | None,
    reserved: set[str],
    who: str | None,
    now: dt.datetime,
    paused: bool | None = None,
) -> AlertRule:
    """Create a rule (*original* None) or replace rule *original*; the rule as stored.

    *reserved* are names the configuration's rules hold. An edit that gives no
    secret keeps the stored one.
    """
    row = by_name(session, original) if original is not None else None
    if original is not None and row is None:
        raise RuleError(f"name: no rule called {original!r}")
    # Blank form fields are "not given"; *channel* says which channel a blank target keeps.
    values = {k: v for k, v in values.items() if v is not None and v != ""}
    channel = values.pop("channel", None)
    if row is not None:
        for key in (*WRITE_ONLY, channel):
            if key and not values.get(key) and row.definition.get(key):
                values[key] = row.definition[key]
    rule = parse(values)
    if rule.name in reserved:
        raise RuleError(f"name: {rule.name!r} is a rule of the configuration file (read-only)")
    clash = by_name(session, rule.name)
    if clash is not None and clash is not row:
        raise RuleError(f"name: a rule called {rule.name!r} exists already")
    definition = rule.model_dump(mode="json", exclude_defaults=True)
    if row is None:
        row = StoredAlertRule(
            name=rule.name,
            definition=definition,
            paused=bool(paused),
            created_at=now,
            updated_at=now,
            updated_by=who,
        )
        session.add(row)
    else:
        row.name, row.definition, row.updated_at, row.updated_by = rule.name, definition, now, who
        if paused is not None:
            row.paused = paused
    session.flush()
    return rule


def set_paused(session: Session, name: str, paused: bool, now: dt.datetime) -> bool:
    """Pause or resume rule *name*; whether it exists."""
    row = by_name(session, name)
    if row is None:
        return False
    row.paused, row.updated_at = paused, now
    return True


def delete(session: Session, name: str) -> bool:
    """Delete rule *name* (its deliveries stay in the log); whether it existed."""
    row = by_name(session, name)
    if row is None:
        return False
    session.delete(row)
    return True


def shown(definition: dict[str, Any]) -> dict[str, Any]:
    """*definition* without its secrets, URLs by their host (for the UI and the API)."""
    out = {k: v for k, v in definition.items() if k not in SECRET_FIELDS}
    for key in SECRET_FIELDS:
        out[f"has_{key}"] = bool(definition.get(key))
    for key in URL_FIELDS:
        if out.get(key):
            out[key] = host_only(out[key])
    return out


def host_only(url: str) -> str:
    """*url* cut to its scheme and host: "https://hooks.slack.com/…"."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{':' + str(parts.port) if parts.port else ''}/…"
