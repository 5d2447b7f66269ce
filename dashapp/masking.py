"""Mask personal data in comment text before it reaches a wall screen.

Pure functions. Wall screens hang where visitors pass: e-mail addresses (also
spelled out, "jo (at) example (dot) com"), phone numbers, IBANs, card numbers
and other long digit runs (order numbers) are replaced by a fixed marker on the
server, so the browser never has them. Phone numbers are found by Google's
libphonenumber (the ``phonenumbers`` package) for the countries the shops sell
in, not by a pattern of our own: it knows each country's trunk prefixes and
number lengths, and the many ways people group and punctuate them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from phonenumbers import Leniency, PhoneNumberMatcher

MARK = "•••"

#: The countries the shops sell in. A number written the national way (no +) is
#: read as one of theirs; a number with + and a country code is found from anywhere.
PHONE_REGIONS = (
    "DE", "AT", "CH", "NL", "BE", "FR", "IT", "ES", "PL", "SE", "DK", "NO", "FI", "GB", "IE",
    "PT", "CZ", "LU",
)  # fmt: skip

# E-mail: a local part (apostrophes included: o'brien), "@" or a bracketed "at"
# ("(at)", "[at]", "{at}"), a domain whose dots may be spelled out too ("(dot)",
# " dot "), ending in a label of letters.
_APOSTROPHES = "'\u2019"
_LOCAL = rf"(?<![\w.+%-])(?<!\w[{_APOSTROPHES}])\w[\w.+%{_APOSTROPHES}-]*"
_DOT = r"(?:\.|\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+)"
_EMAIL = re.compile(
    rf"{_LOCAL}(?:\s*@\s*|\s*[(\[{{<]\s*at\s*[)\]}}>]\s*)"
    rf"[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[^\W\d_]{{2,}}(?![\w-])",
    re.IGNORECASE,
)
# The same with a plain " at ", which ordinary sentences have too: case-sensitive, in
# lower case with a lower-case domain, so "looked at it", "at home.Then" and "at
# Amazon.de" stay; "ordered at shop.example" is masked, the price of catching "jo at
# example.com".
_EMAIL_SPOKEN = re.compile(
    rf"{_LOCAL}\s+at\s+[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*{_DOT}[a-z]{{2,}}(?![\w-])"
)
_AT_WORD = re.compile(r"\bat\b", re.IGNORECASE)
_ANY_DIGIT = re.compile(r"\d")
# IBANs: two letters, two check digits, 11-30 alphanumerics, optionally grouped by spaces.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# Card numbers: 13-19 digits, grouped by single spaces or dashes.
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
# Where a phone number can be: seven digits or more with nothing but phone punctuation
# between them (and a leading + or bracket). Only these windows go to the phone matcher,
# which costs far more than a regex: most comments have none.
_PHONE_WINDOW = re.compile(r"[+(]{0,3}\d(?:[\s()./–—-]*\d){6,}\)?")
# Shorter "numbers" are postcodes, prices and counts; the shortest subscriber numbers
# of the shop countries written with their area code have seven digits.
_MIN_PHONE_DIGITS = 7
# A date, which the phone matcher would take for a number ("20.11.2026" is a possible
# one in several countries): day.month.year (with dots, slashes or dashes), US-style
# month/day/year, or year-month-day, standing alone.
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_DATE = re.compile(
    rf"(?<![\d./-])(?:(?:{_DAY}([./-]){_MONTH}|{_MONTH}(/){_DAY})(?:\1|\2)(?:19|20)?\d\d"
    rf"|(?:19|20)\d\d([./-]){_MONTH}\3{_DAY})(?![./-]?\d)"
)
# Any other run of 6+ digits: order, card and customer numbers.
_DIGITS = re.compile(r"\d{6,}")


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Where phone numbers of the shop countries are in *text*, merged, in order."""
    found: list[tuple[int, int]] = []
    dates: list[tuple[int, int]] | None = None
    for window in _PHONE_WINDOW.finditer(text):
        if dates is None:
            dates = [m.span() for m in _DATE.finditer(text)]
        # A date is never (part of) a phone number: only the stretches between dates
        # are looked at, and only those with digits enough for one.
        cut = window.start()
        for start, end in [*dates, (window.end(), window.end())]:
            if end <= cut or start > window.end():
                continue
            piece = text[cut : min(start, window.end())]
            if sum(ch.isdigit() for ch in piece) >= _MIN_PHONE_DIGITS:
                found += [(cut + s, cut + e) for s, e in _phones_in(piece)]
            cut = max(cut, end)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


@lru_cache(maxsize=4096)
def _phones_in(piece: str) -> tuple[tuple[int, int], ...]:
    """The phone numbers in *piece*, a stretch of digits and phone punctuation, as spans.

    Cached: the wall masks the same comments on every poll.
    """
    # The matcher drops any candidate holding a US-style slash date, which throws out
    # "+49/30/1234567" ("9/30/12"). Dates are cut out before, so it reads slashes as
    # spaces; the same length keeps the positions.
    probe = piece.replace("/", " ")
    digits = [i for i, ch in enumerate(probe) if ch.isdigit()]
    found: list[tuple[int, int]] = []
    for region in PHONE_REGIONS:
        # POSSIBLE (right length for the country), not VALID: a number from a range the
        # library's metadata does not know yet, or mistyped by a digit, is still personal
        # data. Its false alarms (dates, short figures) are kept out around it.
        for match in PhoneNumberMatcher(probe, region, leniency=Leniency.POSSIBLE):
            if sum(ch.isdigit() for ch in match.raw_string) < _MIN_PHONE_DIGITS:
                continue
            found.append((match.start, match.end))
            if match.start <= digits[0] and digits[-1] < match.end:
                return tuple(found)  # the piece is one number: other countries add nothing
    return tuple(found)


def _mask_phones(text: str) -> str:
    spans = _phone_spans(text)
    for start, end in reversed(spans):
        text = text[:start] + MARK + text[end:]
    return text


def mask(text: str) -> str:
    """*text* with e-mail addresses, IBANs, cards, phone numbers and 6+ digit runs as •••."""
    # Masking runs for every comment on every wall poll: most comments have no "@" or
    # "at" and no digit, and skip the costlier patterns on one cheap look each.
    if "@" in text or _AT_WORD.search(text):
        text = _EMAIL_SPOKEN.sub(MARK, _EMAIL.sub(MARK, text))
    if not _ANY_DIGIT.search(text):
        return text
    text = _IBAN.sub(MARK, text)
    text = _CARD.sub(MARK, text)
    text = _mask_phones(text)
    return _DIGITS.sub(MARK, text)


def word_pattern(words: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for whole *words*; a trailing '*' also matches longer words."""
    parts = [
        re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "")
        for w in words
        if w.strip("*").strip()
    ]
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Masker:
    """:func:`mask` plus the deployment's own words (profanity) and patterns.

    Configured by ``mask_words`` and ``mask_patterns`` in the settings; what
    they match on a wall screen becomes ``•••`` like personal data does.
    """

    words: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    _extra: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        extra = [re.compile(p, re.IGNORECASE) for p in self.patterns]
        if (words := word_pattern(self.words)) is not None:
            extra.append(words)
        object.__setattr__(self, "_extra", tuple(extra))

    def __call__(self, text: str) -> str:
        """*text* masked for a wall screen."""
        text = mask(text)
        for pattern in self._extra:
            text = pattern.sub(MARK, text)
        return text
