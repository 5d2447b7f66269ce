"""Parse the query parameters shared by the CLI, the HTTP API and page URLs."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence

from dashapp.i18n import days as local_days
from dashapp.i18n.core import N_
from dashapp.i18n.core import gettext as _
from dashapp.metrics.queries import (
    GROUP_COLUMNS,
    SCORE_CLASSES,
    SORTS,
    Filters,
    Position,
    Selection,
)
from dashapp.metrics.windows import MAIN_DAYS

_LABEL_ID = re.compile(r"^[a-z0-9][a-z0-9_/-]*$")
#: The days a parameter may name, from..to inclusive: any real question fits, and windows
#: and day ends computed from them stay far from the calendar's ends (year 1 and 9999
#: overflowed there: a 500).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
#: Row ids in a page position are the store's 64-bit keys.
MAX_ID = 2**63 - 1


class BadParameter(ValueError):
    """A parameter a person typed that cannot be used; the message names it."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def parse_by(text: str | None) -> tuple[str, ...]:
    """Group columns from ``brand,country``; empty means one overall row."""
    cols = tuple(c.strip() for c in (text or "").split(",") if c.strip())
    bad = [c for c in cols if c not in GROUP_COLUMNS]
    if bad:
        raise BadParameter(
            "by", f"unknown column {bad[0]!r}; choose from {', '.join(GROUP_COLUMNS)}"
        )
    if len(set(cols)) != len(cols):
        raise BadParameter("by", "a column is repeated")
    return cols


def _instant(text: str) -> dt.datetime | None:
    """*text* as an ISO 8601 instant in UTC between FIRST_DAY and LAST_DAY; None if it is not."""
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        return value
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError:  # an offset moved it past year 1 or 9999
        return None
    return value if FIRST_DAY <= value.date() <= LAST_DAY else None


def parse_as_of(text: str | None) -> dt.datetime | None:
    """An ISO 8601 instant with a zone, between FIRST_DAY and LAST_DAY; None when absent."""
    if not text:
        return None
    value = _instant(text)
    if value is None:
        raise BadParameter(
            "as_of",
            f"{text!r} is not an ISO 8601 timestamp between {FIRST_DAY} and {LAST_DAY}",
        )
    if value.tzinfo is None:
        raise BadParameter("as_of", f"{text!r} has no time zone (add Z or +01:00)")
    return value


def parse_window(text: str | None, default: int = MAIN_DAYS) -> int:
    """Days from ``30d`` or ``30``."""
    if not text:
        return default
    value = text.strip().lower().removesuffix("d")
    # At most 4 digits: int() refuses thousands of them (a ValueError, so a 500).
    if not (value.isascii() and value.isdigit() and len(value) <= 4) or not 1 <= int(value) <= 3660:
        raise BadParameter("window", f"{text!r} must be a number of days such as 30d (1 to 3660)")
    return int(value)


Lookup = Callable[[str], str | None]


def reader(get: Lookup | Mapping[str, str]) -> Lookup:
    """A lookup of parameters in *get* refusing text no store can compare (a NUL character)."""
    lookup = get.get if isinstance(get, Mapping) else get

    def read(name: str) -> str | None:
        value = lookup(name)
        if value is not None and "\x00" in value:
            # PostgreSQL refuses it in any string: a 500 at the first query.
            raise BadParameter(name, "contains a NUL character")
        return value

    return read


def _values(text: str | None) -> tuple[str, ...]:
    return tuple(sorted({v.strip() for v in (text or "").split(",") if v.strip()}))


def parse_filters(get: Callable[[str], str | None] | Mapping[str, str]) -> Filters:
    """Filters from brand/country/touchpoint parameters, each a comma-separated list."""
    lookup = reader(get)
    return Filters(
        brand=_values(lookup("brand")),
        country=tuple(c.upper() for c in _values(lookup("country"))),
        touchpoint=_values(lookup("touchpoint")),
    )


#: How many known values a message about an unknown filter value lists.
KNOWN_SHOWN = 12


def resolve_filters(
    filters: Filters, known: Mapping[str, Sequence[str]]
) -> tuple[Filters, tuple[str, ...]]:
    """*filters* with each value spelled as the store has it, and a message per value that
    names nothing the store has (pure).

    The one resolver of filter values for every page, export and the API: a
    value matches a *known* one whatever its case (``velora`` is ``Velora``). A
    value matching nothing stays as typed, so it selects nothing (never
    everything), and is named: "No brand 'Velorra' — known: Kvist, Nordhem, Velora".
    """
    resolved: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for name in ("brand", "country", "touchpoint"):
        values = known.get(name, ())
        spelled = {v.casefold(): v for v in values}
        chosen = []
        for value in getattr(filters, name):
            match = spelled.get(value.casefold())
            if match is None:
                notes.append(_unknown(name, value, values))
            chosen.append(match or value)
        resolved[name] = tuple(sorted(set(chosen)))
    return Filters(**resolved), tuple(notes)


#: What a page says of a filter value the store does not have, per filter (msgids).
UNKNOWN = {
    "brand": N_("No brand %(value)s — %(known)s"),
    "country": N_("No country %(value)s — %(known)s"),
    "touchpoint": N_("No touchpoint %(value)s — %(known)s"),
}


def _unknown(name: str, value: str, values: Sequence[str]) -> str:
    """The note for *value* of filter *name*, in the reader's language, listing *values*."""
    listed = ", ".join(values[:KNOWN_SHOWN])
    more = len(values) - KNOWN_SHOWN
    if not values:
        known = _("none known yet")
    elif more > 0:
        known = _("known: %(values)s and %(more)s more", values=listed, more=more)
    else:
        known = _("known: %(values)s", values=listed)
    return _(UNKNOWN[name], value=repr(value), known=known)


def parse_day(text: str | None, name: str) -> dt.date | None:
    """A calendar day ``YYYY-MM-DD``; None when absent."""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise BadParameter(name, f"{text!r} is not a date such as 2026-11-20") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(name, f"{text!r} is not between {FIRST_DAY} and {LAST_DAY}")
    return day


#: Days a drill-down selection covers when its URL names none: its date pickers show them too.


def selection_days(
    get: Callable[[str], str | None] | Mapping[str, str],
    today: dt.date | None = None,
    tz: dt.tzinfo = dt.UTC,
) -> tuple[dt.date, dt.date]:
    """The inclusive local days (of *tz*, the display zone) of a drill-down selection:
    ``from``/``to``, else the last 30 days.

    The one place the default window is decided: the explore page's pickers, its
    list, summary and export links, and every link into it take their days from here.
    """
    lookup = reader(get)
    first, last = parse_day(lookup("from"), "from"), parse_day(lookup("to"), "to")
    if last is None:
        last = today or local_days.today(tz)
    if first is None:
        try:
            first = last - dt.timedelta(days=MAIN_DAYS - 1)
        except OverflowError:  # to=0001-01-05: there are no 30 days before it
            raise BadParameter("to", f"{last} is out of range") from None
    if first > last:
        raise BadParameter("from", "is after 'to'")
    return first, last


def parse_selection(
    get: Callable[[str], str | None] | Mapping[str, str], tz: dt.tzinfo = dt.UTC
) -> Selection:
    """A drill-down selection from URL parameters.

    ``from``/``to`` are inclusive local days of *tz*, the display zone (see
    :func:`selection_days`: the last 30 days by default), ``class`` one of
    promoter/passive/detractor, ``q`` words the comment contains, ``label`` a label id,
    ``sort`` new/low/high.
    """
    lookup = get.get if isinstance(get, Mapping) else get
    first, last = selection_days(lookup, tz=tz)
    tick = dt.timedelta(microseconds=1)
    try:
        start = local_days.midnight(first, tz) - tick
    except OverflowError:
        raise BadParameter("from", f"{first} is out of range") from None
    try:
        end = local_days.midnight(last + dt.timedelta(days=1), tz) - tick
    except OverflowError:
        raise BadParameter("to", f"{last} is out of range") from None
    score_class = (lookup("class") or "").strip().lower()
    if score_class and score_class not in SCORE_CLASSES:
        raise BadParameter("class", f"choose from {', '.join(SCORE_CLASSES)}")
    text = (lookup("q") or "").strip()[:200]
    label = (lookup("label") or "").strip()
    if len(label) > 120 or (label and not _LABEL_ID.match(label)):
        raise BadParameter("label", "is not a label id (e.g. delivery/time)")
    sort = (lookup("sort") or "new").strip().lower()
    if sort not in SORTS:
        raise BadParameter("sort", f"choose from {', '.join(SORTS)}")
    return Selection(parse_filters(lookup), start, end, score_class, text, label, sort)


def parse_before(text: str | None, sort: str = "new") -> Position | None:
    """A keyset position: ``<ISO time>~<id>``, or ``<score>~<ISO time>~<id>`` for score orders."""
    if not text:
        return None
    parts = text.split("~")
    try:
        # Positions are made by format_before: an instant with its zone, a score 0-10,
        # and a row id (a key of the store: never beyond 64 bits).
        at = _instant(parts[-2]) if len(parts) >= 2 else None
        row = int(parts[-1])
        if at is not None and at.tzinfo is not None and 0 <= row <= MAX_ID:
            if sort == "new" and len(parts) == 2:
                return at, row
            if sort != "new" and len(parts) == 3 and 0 <= int(parts[0]) <= 10:
                return int(parts[0]), at, row
    except ValueError:
        pass
    raise BadParameter("before", f"{text!r} is not a page position")


def format_before(where: Position) -> str:
    """The URL form of a keyset position (see parse_before)."""
    return "~".join(v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in where)
