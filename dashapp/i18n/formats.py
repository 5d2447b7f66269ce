"""Numbers, percentages, dates and relative times as CLDR writes them (Babel), per language.

Every figure a person reads goes through here, so German screens say 1.234 and
12,5 %, "1. Dez. 2026" and "vor 3 Minuten", and English ones 1,234, 12.5%,
"Dec 1, 2026" and "3 minutes ago". The NPS sign is a real minus (U+2212).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache, lru_cache
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from dashapp.i18n.core import current, gettext

#: The minus sign of published figures (U+2212): a hyphen reads as a dash on a wall.
MINUS = "\u2212"


#: The CLDR locale of each language: British English (day before month, 24-hour
#: clock, weeks from Monday) and German as written in Germany.
CLDR = {"en": "en_GB", "de": "de_DE"}


def _locale(language: str | None) -> str:
    lang = language or current()
    return CLDR.get(lang, lang)


def number(value: int | float, language: str | None = None) -> str:
    """A count with the language's grouping: 1,234 (en), 1.234 (de)."""
    return babel_numbers.format_decimal(value, locale=_locale(language))


def size(count: int, language: str | None = None) -> str:
    """A sample's size as published, "n = 1,234", never broken across lines."""
    return f"n\u00a0=\u00a0{number(count, language)}"


def decimal(value: float, digits: int = 1, language: str | None = None) -> str:
    """A number with *digits* decimals: 12.5 (en), 12,5 (de)."""
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return babel_numbers.format_decimal(value, format=pattern, locale=_locale(language))


def percent(fraction: float, digits: int = 0, language: str | None = None) -> str:
    """A share 0..1 as a percentage: 12% (en), 12 % (de)."""
    lang = _locale(language)
    # The language's own pattern ("#,##0 %" in German, a no-break space before the sign).
    pattern = Locale.parse(lang).percent_formats[None].pattern
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return babel_numbers.format_percent(fraction, format=pattern, locale=lang)


def signed(value: float) -> str:
    """An NPS as published: whole points with a sign (+12, −3, a real minus), never "−0"."""
    whole = round(value)
    if whole > 0:
        return f"+{whole}"
    return f"{MINUS}{-whole}" if whole else "0"


def signed_decimal(value: float, digits: int = 1, language: str | None = None) -> str:
    """A change with *digits* decimals and its sign: +3.5 / −2.0 (en), +3,5 / −2,0 (de)."""
    text = decimal(abs(value), digits, language)
    if round(value, digits) == 0:
        return text
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def date(day: dt.date, language: str | None = None) -> str:
    """A day, short: "Dec 1, 2026" (en), "1. Dez. 2026" (de)."""
    return babel_dates.format_skeleton("yMMMd", day, locale=_locale(language))


def day_named(day: dt.date, language: str | None = None) -> str:
    """A day with its weekday: "Fri 20 Nov 2026" (en), "Fr., 20. Nov. 2026" (de)."""
    return babel_dates.format_skeleton("yMMMEd", day, locale=_locale(language))


def span(first: dt.date, last: dt.date, language: str | None = None) -> str:
    """Days *first* to *last*: "14–20 Nov 2026", "22 Oct – 20 Nov 2026" (en);
    "14.–20. Nov. 2026" (de)."""
    if first == last:
        return date(last, language)
    # CLDR sets the dash between thin spaces; plain ones read the same and survive PDF text.
    text = babel_dates.format_interval(first, last, "yMMMd", locale=_locale(language))
    return text.replace("\u2009", " ")


def day_month(day: dt.date, language: str | None = None) -> str:
    """A day without its year: "Dec 1" (en), "1. Dez." (de)."""
    return _day_month(day, _locale(language))


@lru_cache(maxsize=8192)
def _day_month(day: dt.date, locale: str) -> str:
    # A chart's hover texts name each of its points' days (thousands per chart, the same
    # few hundred days on every chart): Babel's skeleton matching once per day and locale.
    return babel_dates.format_skeleton("MMMd", day, locale=locale)


def weekday(day: dt.date, language: str | None = None) -> str:
    """The day's name: "Tuesday" (en), "Dienstag" (de)."""
    return babel_dates.format_date(day, "EEEE", locale=_locale(language))


def time(moment: dt.datetime, language: str | None = None) -> str:
    """A time of day with seconds, 24-hour in German: "14:05:09"."""
    return babel_dates.format_time(moment, "medium", tzinfo=moment.tzinfo, locale=_locale(language))


def datetime(moment: dt.datetime, language: str | None = None) -> str:
    """A day and time: "Dec 1, 2026, 14:05" (en), "1. Dez. 2026, 14:05" (de)."""
    lang = _locale(language)
    return f"{date(moment.date(), lang)}, {babel_dates.format_time(moment, 'short', locale=lang)}"


def duration(length: dt.timedelta, language: str | None = None) -> str:
    """A length of time in its largest whole unit: "4 hours", "1 week" (en), "4 Stunden" (de)."""
    return babel_dates.format_timedelta(length, threshold=1, locale=_locale(language))


def relative(
    then: dt.datetime, now: dt.datetime, language: str | None = None, *, short: bool = False
) -> str:
    """How long ago: "3 minutes ago" (en), "vor 3 Minuten" (de); *short*: "3 min ago",
    "vor 3 Min." (the wall's cards)."""
    return babel_dates.format_timedelta(
        then - now,
        add_direction=True,
        threshold=1,
        format="short" if short else "long",
        locale=_locale(language),
    )


#: Weeks start on Monday in both languages (ISO 8601; CLDR's "en" is the US, Sunday).
FIRST_WEEKDAY = 0


#: CLDR date fields as d3's time format writes them (plotly.js formats with d3).
_D3_FIELDS = {
    "d": "%-d",
    "dd": "%d",
    "M": "%-m",
    "MM": "%m",
    "L": "%-m",
    "LL": "%m",
    "MMM": "%b",
    "LLL": "%b",
    "MMMM": "%B",
    "LLLL": "%B",
    "y": "%Y",
    "yyyy": "%Y",
    "yy": "%y",
}


def d3_date_format(pattern: str) -> str:
    """A CLDR date pattern ("d. MMM", "dd/MM/y") as a d3 time format ("%-d. %b", "%d/%m/%Y").

    ValueError for a field d3 cannot write (the caller's language then needs a look).
    """
    # Babel's pattern: its fields as %(name)s, its literal text with "%" doubled.
    fields = str(babel_dates.parse_pattern(pattern).format)
    unknown = set(re.findall(r"%\((\w+)\)s", fields)) - _D3_FIELDS.keys()
    if unknown:
        raise ValueError(f"date fields {sorted(unknown)} of {pattern!r} have no d3 equivalent")
    return fields % _D3_FIELDS


#: d3 formats where a language's CLDR pattern has a field d3 cannot write.
_D3_FALLBACK = {"day": "%-d %b", "month": "%b %Y", "date": "%Y-%m-%d"}


def d3_day_formats(language: str | None = None) -> dict[str, str]:
    """d3 formats of a day ("6. Sept"), a month ("Sept 2026") and a short date
    ("06.12.2026"), from the language's CLDR patterns (read once per language: every
    chart asks)."""
    return _d3_day_formats(_locale(language))


@cache
def _d3_day_formats(locale_name: str) -> dict[str, str]:
    cldr = Locale.parse(locale_name)
    patterns = {
        "day": cldr.datetime_skeletons["MMMd"].pattern,
        "month": cldr.datetime_skeletons["yMMM"].pattern,
        # Four-digit years: a two-digit one reads as a day on a chart.
        "date": re.sub("y+", "y", cldr.date_formats["short"].pattern),
    }
    found = {}
    for name, pattern in patterns.items():
        try:
            found[name] = d3_date_format(pattern)
        except ValueError:
            found[name] = _D3_FALLBACK[name]
    return found


def language_name(code: str, language: str | None = None) -> str:
    """The name of the language *code* in the reader's language: "Swedish", "Schwedisch"
    (the code itself when CLDR knows none)."""
    return Locale.parse(_locale(language)).languages.get(code, code)


def translated_from(source: str | None, language: str | None = None) -> str:
    """The note under a translated comment: "Translated from Swedish" (screens, mails)."""
    if not source:
        return gettext("Translated")
    return gettext("Translated from %(language)s", language=language_name(source, language))


def plotly_separators(language: str | None = None) -> str:
    """Plotly's ``layout.separators`` (decimal mark, then grouping) for the language."""
    lang = _locale(language)
    return babel_numbers.get_decimal_symbol(lang) + babel_numbers.get_group_symbol(lang)


def plotly_locale(language: str | None = None) -> dict[str, object]:
    """The language's month and day names and marks as plotly.js wants a locale's ``format``
    (registered in the browser by assets/locale.js: Dash's bundle has English only)."""
    lang = _locale(language)
    cldr = Locale.parse(lang)
    months, days = cldr.months["format"], cldr.days["format"]
    # CLDR counts days from Monday (0); plotly from Sunday.
    sunday_first = [6, 0, 1, 2, 3, 4, 5]
    return {
        "months": [months["wide"][m] for m in range(1, 13)],
        "shortMonths": [months["abbreviated"][m].rstrip(".") for m in range(1, 13)],
        "days": [days["wide"][d] for d in sunday_first],
        "shortDays": [days["abbreviated"][d].rstrip(".") for d in sunday_first],
        "decimal": babel_numbers.get_decimal_symbol(lang),
        "thousands": babel_numbers.get_group_symbol(lang),
        "date": d3_day_formats(language)["date"],
    }


def date_fns_names(language: str | None = None) -> dict[str, object]:
    """The language's CLDR names and patterns, from which assets/locale.js builds the
    date-fns locale Dash's date pickers read (so every language has one, no file each).

    Lists are indexed as date-fns indexes them: months from January, days from Sunday,
    quarters from the first, eras BC then AD; names per context ("formatting", and
    "standalone" for a name on its own, as a calendar's header) and width. Read once
    per language: every page asks.
    """
    return _date_fns_names(_locale(language))


@cache
def _date_fns_names(locale_name: str) -> dict[str, object]:
    cldr = Locale.parse(locale_name)
    sunday_first = [6, 0, 1, 2, 3, 4, 5]

    def named(table: Any, keys: list[int], widths: tuple[str, ...]) -> dict[str, object]:
        return {
            context: {width: [table[cldr_context][width][k] for k in keys] for width in widths}
            for context, cldr_context in (("formatting", "format"), ("standalone", "stand-alone"))
        }

    return {
        "months": named(cldr.months, list(range(1, 13)), ("wide", "abbreviated", "narrow")),
        "days": named(cldr.days, sunday_first, ("wide", "abbreviated", "short", "narrow")),
        "quarters": named(cldr.quarters, [1, 2, 3, 4], ("wide", "abbreviated", "narrow")),
        "eras": {
            width: [cldr.eras[width][k] for k in (0, 1)]
            for width in ("wide", "abbreviated", "narrow")
        },
        "periods": {key: cldr.day_periods["format"]["abbreviated"][key] for key in ("am", "pm")},
        "date": {width: cldr.date_formats[width].pattern for width in _WIDTHS},
        "time": {width: cldr.time_formats[width].pattern for width in _WIDTHS},
        # CLDR's "{1}, {0}" as date-fns writes it.
        "dateTime": {
            width: cldr.datetime_formats[width]
            .replace("{1}", "{{date}}")
            .replace("{0}", "{{time}}")
            for width in _WIDTHS
        },
        # date-fns counts from Sunday (0), CLDR from Monday (0).
        "weekStartsOn": (FIRST_WEEKDAY + 1) % 7,
    }


_WIDTHS = ("full", "long", "medium", "short")
