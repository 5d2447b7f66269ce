"""Mask personal data in comment text before it reaches a wall screen.

Pure functions. Wall screens hang where visitors pass: e-mail addresses,
phone numbers, IBANs, card numbers and other long digit runs (order numbers)
are replaced by a fixed marker on the server, so the browser never has them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

MARK = "•••"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# IBANs: two letters, two check digits, 11-30 alphanumerics, optionally grouped by spaces.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# Phone numbers: an optional +, digits with spaces, dots, dashes or brackets between.
_PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{6,}\d(?![\w])")
_DATE = re.compile(r"\d{1,4}[.-]\d{1,2}[.-]\d{1,4}")
_MIN_PHONE_DIGITS = 8
# Any other run of 6+ digits: order, card and customer numbers.
_DIGITS = re.compile(r"\d{6,}")


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    # "20.11.2026" has eight digits too: dates are not personal data.
    if digits < _MIN_PHONE_DIGITS or _DATE.fullmatch(text.strip()):
        return text
    return MARK


def mask(text: str) -> str:
    """*text* with e-mail addresses, IBANs, phone numbers and 6+ digit runs replaced by •••."""
    text = _EMAIL.sub(MARK, text)
    text = _IBAN.sub(MARK, text)
    text = _PHONE.sub(_phone, text)
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
