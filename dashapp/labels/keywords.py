"""Keyword phrases compiled for fast matching against the tokens of a clause.

The syntax, shared by the taxonomy and the sentiment lexicon:

- ``delivery``: a word, matching every word with the same Snowball stem
  (delivery, deliveries, delivered -> "deliveri"/"deliv" as the stemmer has it);
- ``liefer*``: words beginning with "liefer" (Lieferung, Lieferzeit);
- ``*verpackung``: words ending with it, for compound heads (Kartonverpackung);
- ``*paket*``: words containing it;
- ``took too long``: a phrase, its words (each of the forms above) in a row;
- ``~jacket``: a weak keyword (any of the forms above): it counts only in a
  clause where no other label's keyword is found, so "the jacket arrived two
  weeks late" is about delivery and "the jacket is warm" about the product.

Matching is case- and accent-insensitive. One index answers "which tags do
the keywords found in these tokens carry", in time linear in the tokens.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

from dashapp.labels.text import fold, stems, tokens

#: A word pattern: (kind, text) with kind "stem", "prefix", "suffix" or "infix".
Pattern = tuple[str, str]
#: Marks a weak keyword (see the module docstring).
WEAK = "~"
#: Words whose matches are remembered per index, before the memory starts afresh.
_CACHE_LIMIT = 100_000
#: A keyword found in a token list: (first token, token after the last, tag).
Match = tuple[int, int, Hashable]


class KeywordSyntaxError(ValueError):
    """A keyword that cannot be compiled; the message says what is wrong with it."""


def parse(keyword: str, language: str) -> tuple[Pattern, ...]:
    """The word patterns of *keyword*; raises KeywordSyntaxError when it has none or a bare '*'.

    A leading '~' (a weak keyword) is not part of the patterns.
    """
    words = keyword.removeprefix(WEAK).split()
    if not words:
        raise KeywordSyntaxError("is empty")
    patterns: list[Pattern] = []
    for word in words:
        core = word.strip("*")
        parts = tokens(core)
        if len(parts) != 1 or parts[0] != core.casefold():
            which = f"its word {word!r} " if len(words) > 1 else ""
            raise KeywordSyntaxError(
                f"{which}must be letters or digits with an optional '*' at either end"
            )
        starts, ends = word.startswith("*"), word.endswith("*")
        text = fold(parts[0])
        if starts and ends:
            patterns.append(("infix", text))
        elif ends:
            patterns.append(("prefix", text))
        elif starts:
            patterns.append(("suffix", text))
        else:
            patterns.append(("stem", stems([parts[0]], language)[0]))
    return tuple(patterns)


@dataclass(slots=True)
class KeywordIndex:
    """Keyword phrases of one language, each carrying tags, ready to match token lists."""

    language: str
    _stem: dict[str, set[Hashable]] = field(default_factory=lambda: defaultdict(set))
    _prefix: dict[str, set[Hashable]] = field(default_factory=lambda: defaultdict(set))
    _suffix: dict[str, set[Hashable]] = field(default_factory=lambda: defaultdict(set))
    _infix: list[tuple[str, Hashable]] = field(default_factory=list)
    _phrases: dict[Pattern, list[tuple[tuple[Pattern, ...], Hashable]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: First words of phrases that are not plain stems (prefix, suffix, infix).
    _wild_firsts: list[Pattern] = field(default_factory=list)
    _prefix_lengths: tuple[int, ...] = ()
    #: folded word -> (its single-word tags, the phrases that may start with it).
    _cache: dict[
        str, tuple[tuple[Hashable, ...], tuple[tuple[tuple[Pattern, ...], Hashable], ...]]
    ] = field(default_factory=dict)
    _suffix_lengths: tuple[int, ...] = ()

    def add(self, keyword: str, tag: Hashable) -> None:
        """Index *keyword* with *tag*; raises KeywordSyntaxError."""
        patterns = parse(keyword, self.language)
        self._cache.clear()
        if len(patterns) > 1:
            self._phrases[patterns[0]].append((patterns, tag))
            if patterns[0][0] != "stem" and patterns[0] not in self._wild_firsts:
                self._wild_firsts.append(patterns[0])
            return
        kind, text = patterns[0]
        if kind == "stem":
            self._stem[text].add(tag)
        elif kind == "prefix":
            self._prefix[text].add(tag)
            self._prefix_lengths = tuple(sorted({*self._prefix_lengths, len(text)}))
        elif kind == "suffix":
            self._suffix[text].add(tag)
            self._suffix_lengths = tuple(sorted({*self._suffix_lengths, len(text)}))
        else:
            self._infix.append((text, tag))

    def __bool__(self) -> bool:
        return bool(self._stem or self._prefix or self._suffix or self._infix or self._phrases)

    def find(self, words: Sequence[str], stemmed: Sequence[str]) -> list[Match]:
        """(start, end, tag) of every keyword found, end exclusive; *stemmed* = stems(words)."""
        found: list[Match] = []
        folded = [fold(w) for w in words]
        cache = self._cache
        for i, (word, stem) in enumerate(zip(folded, stemmed, strict=True)):
            known = cache.get(word)
            if known is None:
                # Words repeat (Zipf): what one word matches is worked out once.
                phrases = tuple(
                    entry
                    for first in self._forms(word, stem)
                    for entry in self._phrases.get(first, ())
                )
                known = (tuple(self._word_tags(word, stem)), phrases)
                if len(cache) > _CACHE_LIMIT:
                    cache.clear()
                cache[word] = known
            tags, phrases = known
            for tag in tags:
                found.append((i, i + 1, tag))
            for patterns, tag in phrases:
                if _phrase_at(patterns, folded, stemmed, i):
                    found.append((i, i + len(patterns), tag))
        return found

    def _word_tags(self, word: str, stem: str) -> Iterable[Hashable]:
        yield from self._stem.get(stem, ())
        for n in self._prefix_lengths:
            if n > len(word):
                break
            yield from self._prefix.get(word[:n], ())
        for n in self._suffix_lengths:
            if n > len(word):
                break
            yield from self._suffix.get(word[-n:], ())
        for text, tag in self._infix:
            if text in word:
                yield tag

    def _forms(self, word: str, stem: str) -> Iterable[Pattern]:
        """The first-word patterns a phrase starting at this word could be keyed by."""
        yield ("stem", stem)
        for pattern in self._wild_firsts:
            if _matches(pattern, word, stem):
                yield pattern


def _matches(pattern: Pattern, word: str, stem: str) -> bool:
    kind, text = pattern
    if kind == "stem":
        return stem == text
    if kind == "prefix":
        return word.startswith(text)
    if kind == "suffix":
        return word.endswith(text)
    return text in word


def _phrase_at(
    patterns: tuple[Pattern, ...], words: Sequence[str], stemmed: Sequence[str], i: int
) -> bool:
    if i + len(patterns) > len(words):
        return False
    return all(_matches(p, words[i + k], stemmed[i + k]) for k, p in enumerate(patterns) if k > 0)


def longest(matches: Sequence[Match]) -> list[Match]:
    """*matches* without those inside a longer one: "no problem" wins over "problem"."""
    kept: list[Match] = []
    taken: set[int] = set()
    for start, end, tag in sorted(matches, key=lambda m: (m[0] - m[1], m[0])):
        span = range(start, end)
        if not taken.intersection(span):
            kept.append((start, end, tag))
            taken.update(span)
    return sorted(kept, key=lambda m: m[0])
