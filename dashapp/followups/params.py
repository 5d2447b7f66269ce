"""The queue's filter as the URL and the API spell it, parsed into a QueueFilter (pure).

``?brand=Velora&country=DE,AT&touchpoint=delivery&label=delivery/time&status=new,contacted
&owner=me&age=2d`` — ``status`` is a list of statuses, ``open`` (the default) or ``all``;
``owner`` is ``me``, ``none`` or a user's name; ``age`` is a minimum age since opening
(``12h``, ``3d``). Bad values raise BadParameter naming the parameter (a 400 on the web).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping

from dashapp.followups.rules import DONE, OPEN, ChangeError, Status, parse_status
from dashapp.followups.store import QueueFilter
from dashapp.metrics.params import BadParameter, parse_filters, reader

_AGE = re.compile(r"^\s*(\d{1,4})\s*([hd])\s*$")
#: Ages the page offers, in the URL's spelling.
AGES = ("4h", "1d", "2d", "7d")


def parse_age(text: str | None) -> dt.timedelta | None:
    """``12h`` or ``3d`` as a duration; None when empty."""
    if not text:
        return None
    found = _AGE.match(text)
    if found is None:
        raise BadParameter("age", f"{text!r} is not an age such as 12h or 3d")
    amount, unit = int(found[1]), found[2]
    return dt.timedelta(hours=amount) if unit == "h" else dt.timedelta(days=amount)


def parse_statuses(text: str | None) -> tuple[Status, ...]:
    """Statuses from ``new,contacted``; ``open`` or nothing means every open one, ``all`` all."""
    words = [w.strip() for w in (text or "").split(",") if w.strip()]
    if not words or words == ["open"]:
        return OPEN
    if words == ["all"]:
        return (*OPEN, *DONE)
    try:
        return tuple(dict.fromkeys(parse_status(w) for w in words))
    except ChangeError as exc:
        raise BadParameter("status", str(exc).removeprefix("status: ")) from None


def parse_queue(
    get: Callable[[str], str | None] | Mapping[str, str],
    me: int | None,
    owner_id: Callable[[str], int | None],
) -> QueueFilter:
    """The queue filter of a URL's parameters; *me* is the asking user's id, *owner_id*
    finds a user's id by name (None when there is no such user)."""
    lookup = reader(get)
    filters = parse_filters(lookup)
    owner_text = (lookup("owner") or "").strip()
    owner: int | None = None
    if owner_text == "me":
        owner = me if me is not None else -1  # nobody's: a screen or a token owns nothing
    elif owner_text == "none":
        owner = 0
    elif owner_text:
        owner = owner_id(owner_text)
        if owner is None:
            raise BadParameter("owner", f"no user called {owner_text!r}")
    label = (lookup("label") or "").strip() or None
    return QueueFilter(
        brand=filters.brand,
        country=filters.country,
        touchpoint=filters.touchpoint,
        label=label,
        status=parse_statuses(lookup("status")),
        owner=owner,
        older_than=parse_age(lookup("age")),
    )


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICRO = dt.timedelta(microseconds=1)


def format_after(due_at: dt.datetime, followup_id: int) -> str:
    """The queue's keyset cursor for the row after (*due_at*, *followup_id*): digits only,
    so it needs no escaping in a URL."""
    return f"{(due_at - _EPOCH) // _MICRO}-{followup_id}"


def parse_after(text: str | None) -> tuple[dt.datetime, int] | None:
    """A cursor from :func:`format_after`; BadParameter naming ``after`` otherwise."""
    if not text:
        return None
    when, _, ident = text.partition("-")
    if not (re.fullmatch("[0-9]{1,17}", when) and re.fullmatch("[0-9]{1,12}", ident)):
        raise BadParameter("after", "not a cursor this API gave out")
    try:
        return _EPOCH + int(when) * _MICRO, int(ident)
    except OverflowError:
        raise BadParameter("after", "not a cursor this API gave out") from None
