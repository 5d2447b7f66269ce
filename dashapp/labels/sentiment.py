"""Clause sentiment from a small lexicon per language, aware of negation.

Each language has positive and negative keyword phrases (same syntax as the
taxonomy), negators, and contrast words that split a comment into clauses.
A clause's polarity is the sum of its sentiment words, each flipped when a
negator stands up to three words before it ("not expensive", "nicht kaputt",
"pas de problème"). The score given by the customer is never used: a 9 can
complain about packaging and a 2 can praise the driver.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import cast

from dashapp.labels.keywords import Match, longest
from dashapp.labels.text import fold

POSITIVE, NEUTRAL, NEGATIVE = 1, 0, -1
NAMES = {POSITIVE: "positive", NEUTRAL: "neutral", NEGATIVE: "negative"}
#: How many words after a negator it still negates.
NEGATION_SCOPE = 3


@dataclass(frozen=True, slots=True)
class LanguageLexicon:
    """Sentiment words, negators and contrast words of one language.

    The labeller indexes the sentiment words together with the taxonomy's
    keywords, so a clause is read once for both.
    """

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    negators: frozenset[str]
    contrast: frozenset[str]


def polarity(hits: Sequence[Match], negator_at: Sequence[int]) -> int:
    """The summed polarity of one clause's sentiment *hits* (tag = +1 or -1).

    *negator_at* are the positions of negators in the clause; a hit inside a
    longer one does not count ("no problem" is not a problem).
    """
    total = 0
    for i, _, tag in longest(hits):
        value = cast(int, tag)
        negated = any(0 < i - j <= NEGATION_SCOPE for j in negator_at)
        total += -value if negated else value
    return total


def sign(value: int) -> int:
    """POSITIVE, NEUTRAL or NEGATIVE for a summed polarity."""
    return (value > 0) - (value < 0)


@cache
def lexicon(language: str) -> LanguageLexicon | None:
    """The shipped lexicon of *language*, None when it has none."""
    data = _data().get(language)
    if data is None:
        return None
    return LanguageLexicon(
        tuple(data.get("positive", [])),
        tuple(data.get("negative", [])),
        frozenset(fold(w) for w in data.get("negators", [])),
        frozenset(w.casefold() for w in data.get("contrast", [])),
    )


@cache
def _data() -> dict[str, dict[str, list[str]]]:
    text = resources.files("dashapp").joinpath("data/sentiment.toml").read_text("utf-8")
    return tomllib.loads(text)
