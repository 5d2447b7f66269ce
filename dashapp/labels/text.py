"""Text normalisation for labelling: tokens, Snowball stems, accent folding, clauses.

Keywords and comments go through the same functions, so a keyword matches a
comment exactly when their normalised forms agree. Stems come from the
Snowball stemmers (PyStemmer, C); accents are folded *after* stemming, so the
stemmer sees real words and a customer who types "livre" for "livré" still
matches.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Sequence
from functools import cache

import Stemmer

#: ISO 639-1 -> Snowball algorithm.
SNOWBALL = {
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
    "sv": "swedish",
}
#: Codes a record may carry for a language the taxonomy keys otherwise:
#: Norwegian as "no" (macrolanguage) or "nn" (Nynorsk) is labelled with "nb".
ALIASES = {"no": "nb", "nn": "nb"}
#: Words, and currency signs, which name a price as well as a word would ("£5").
_WORD = re.compile(r"\w+|[$£€¥]")
# Letters NFKD does not decompose but customers often type without.
_FOLD_EXTRA = str.maketrans({"ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "œ": "oe"})
_local = threading.local()
_CACHE_LIMIT = 200_000


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens of *text*: letters and digits, currency signs; no punctuation."""
    return _WORD.findall(text.casefold())


@cache
def fold(word: str) -> str:
    """*word* without accents: "livré" -> "livre", "grøn" -> "gron"."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stems(words: Sequence[str], language: str, *, remember: bool = True) -> list[str]:
    """The folded Snowball stems of lower-cased *words* in *language* (folded words if none).

    Stems are remembered per thread and language; pass ``remember=False`` for
    words unlikely to come again (the tails of compounds tried as heads).
    """
    if not remember:
        stemmer = _stemmer(language)
        return [fold(w) for w in (stemmer.stemWords(words) if stemmer is not None else words)]
    memo = _memo(language)
    missing = [w for w in words if w not in memo]
    if missing:
        stemmer = _stemmer(language)
        found = stemmer.stemWords(missing) if stemmer is not None else missing
        if len(memo) > _CACHE_LIMIT:
            memo.clear()
        for word, stem in zip(missing, found, strict=True):
            memo[word] = fold(stem)
    return [memo[w] for w in words]


def _memo(language: str) -> dict[str, str]:
    memos: dict[str, dict[str, str]] | None = getattr(_local, "memos", None)
    if memos is None:
        memos = _local.memos = {}
    return memos.setdefault(language, {})


def _stemmer(language: str) -> Stemmer.Stemmer | None:
    # Snowball stemmer objects are not thread-safe: one per thread and language.
    stemmers: dict[str, Stemmer.Stemmer | None] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        algorithm = SNOWBALL.get(language)
        stemmers[language] = Stemmer.Stemmer(algorithm) if algorithm else None
    return stemmers[language]


#: Sentence punctuation that ends a clause (commas too: "fast delivery, broken box").
#: One pass over a comment: a word (a number keeps its decimals: "6.95"), a
#: currency sign, or punctuation that ends a clause (commas too: "fast
#: delivery, broken box"; a dash between spaces).
_CLAUSE_TOKEN = re.compile(r"(\d+(?:[.,]\d+)+|\w+|[$£€¥])|[.!?;:,()\[\]\n–—]|\s-\s")


def clauses(text: str, contrast: frozenset[str]) -> list[list[str]]:
    """*text* as clauses of lower-cased tokens, split at punctuation and at *contrast* words.

    The contrast word itself ("but", "aber") is dropped: it belongs to neither side.
    """
    result: list[list[str]] = []
    current: list[str] = []
    for token in _CLAUSE_TOKEN.findall(text.casefold()):
        if token and token not in contrast:
            current.append(token)
        elif current:
            result.append(current)
            current = []
    if current:
        result.append(current)
    return result
