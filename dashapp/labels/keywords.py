"""Keyword phrases compiled for fast matching against the tokens of a clause.

The syntax, shared by the taxonomy and the sentiment lexicon:

- ``delivery``: a word, matching every word with the same Snowball stem
  (delivery, deliveries, delivered -> "deliveri"/"deliv" as the stemmer has it);
- ``liefer*``: words beginning with "liefer" (Lieferung, Lieferzeit);
- ``*verpackung``: words ending with it (Kartonverpackung);
- ``*paket*``: words containing it;
- ``took too long``: a phrase, its words (each of the forms above) in a row;
- ``~jacket``: a weak keyword (any of the forms above): it counts only in a
  clause where no other label's keyword is found, so "the jacket arrived two
  weeks late" is about delivery and "the jacket is warm" about the product.

In languages that glue words together (German, Dutch, the Nordic languages,
Finnish) an index built with a :class:`Compounding` also matches a one-word
keyword as the *head* of a compound, the part at the end that says what the
word is: "qualität" in "Verarbeitungsqualität", "kosten" in "Versandkosten",
"kvalitet*" in "byggkvaliteten". See :meth:`Compounding.heads` for the rule.

Matching is case- and accent-insensitive. What each distinct word matches is
worked out once per index and remembered (words repeat; comments do not, so
nothing is remembered per comment), which makes a clause cost one dictionary
lookup per word plus the phrases that may start there.
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
#: Words whose matches one generation of an index's memory holds (see KeywordIndex.info).
_CACHE_LIMIT = 100_000
#: Heads of compounds this long are also stemmed apart from the compound.
_LONG_HEAD = 6
#: Loose keywords this long or longer also match words one typo away.
TYPO_MIN = 7
#: ... and by a wrong letter only from this length.
TYPO_SUBSTITUTION_MIN = 9
#: A keyword found in a token list: (first token, token after the last, tag).
Match = tuple[int, int, Hashable]
_Phrase = tuple[tuple[Pattern, ...], Hashable]


class KeywordSyntaxError(ValueError):
    """A keyword that cannot be compiled; the message says what is wrong with it."""


@dataclass(frozen=True, slots=True)
class Compounding:
    """How one-word keywords match as the head of a compound in one language.

    A keyword of at least *min_head* letters (its stem, or the text before a
    trailing '*') matches a word that ends in it, or whose last part begins
    with it, when at least *min_part* letters come before: "preis" matches
    "Kaufpreise", not "Reis"; "kvalitet*" matches "byggkvaliteten". Short
    parts are left alone because they are mostly prefixes ("un", "ge", "be")
    rather than words. *exceptions* are longer words, or word endings, that
    merely contain a keyword (matched without case or accents): where one of
    them covers the start of the head, the head does not count ("rücksendung"
    is a return, not a "sendung"; "angebote" are offers, not "bote"; Danish
    "ering" keeps "levering" from ending in "ring").
    """

    min_part: int = 3
    min_head: int = 4
    #: As written (the taxonomy file shows them so); matched folded.
    exceptions: tuple[str, ...] = ()
    _folded: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = tuple(dict.fromkeys(fold(w.casefold()) for w in self.exceptions))
        object.__setattr__(self, "_folded", folded)

    def heads(self, word: str) -> list[int]:
        """Where a compound's head may start in folded *word*, exceptions applied."""
        blocked: set[int] = set()
        for exception in self._folded:
            at = word.find(exception)
            while at >= 0:
                blocked.update(range(at + 1, at + len(exception)))
                at = word.find(exception, at + 1)
        return [i for i in range(self.min_part, len(word) - self.min_head + 1) if i not in blocked]


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


#: What one lower-cased word is: (folded, folded stem, tags of the one-word
#: keywords it matches, phrases that may start with it).
WordInfo = tuple[str, str, tuple[Hashable, ...], tuple[_Phrase, ...]]


class KeywordIndex:
    """Keyword phrases of one language, each carrying tags, ready to match token lists.

    Safe to share between threads: the memory of words only ever gains
    complete entries (or is emptied or replaced whole), and a lost race
    recomputes one word.
    """

    __slots__ = (
        "_cache",
        "_fuzzy",
        "_fuzzy_prefix_lengths",
        "_head_prefix",
        "_head_prefix_lengths",
        "_head_stem",
        "_infix",
        "_numbers_match",
        "_old",
        "_phrases",
        "_prefix",
        "_prefix_lengths",
        "_stem",
        "_suffix",
        "_suffix_lengths",
        "_wild_firsts",
        "compounding",
        "language",
    )

    def __init__(self, language: str, compounding: Compounding | None = None) -> None:
        self.language = language
        self.compounding = compounding
        self._stem: dict[str, set[Hashable]] = defaultdict(set)
        self._prefix: dict[str, set[Hashable]] = defaultdict(set)
        self._suffix: dict[str, set[Hashable]] = defaultdict(set)
        self._infix: list[tuple[str, Hashable]] = []
        self._head_stem: dict[str, set[Hashable]] = defaultdict(set)
        self._head_prefix: dict[str, set[Hashable]] = defaultdict(set)
        self._phrases: dict[Pattern, list[_Phrase]] = defaultdict(list)
        #: First words of phrases that are not plain stems (prefix, suffix, infix).
        self._wild_firsts: list[Pattern] = []
        self._prefix_lengths: tuple[int, ...] = ()
        self._suffix_lengths: tuple[int, ...] = ()
        self._head_prefix_lengths: tuple[int, ...] = ()
        #: one-typo variants -> (kind, keyword text) of the loose keywords they may be.
        self._fuzzy: dict[str, set[Pattern]] = defaultdict(set)
        self._fuzzy_prefix_lengths: tuple[int, ...] = ()
        self._cache: dict[str, WordInfo] = {}
        self._old: dict[str, WordInfo] = {}
        #: Whether a word of digits alone may start a match ("24 horas"); mostly it
        #: cannot, and then :meth:`info` answers for numbers at once.
        self._numbers_match = False

    def add(self, keyword: str, tag: Hashable, *, loose: bool = True) -> None:
        """Index *keyword* with *tag*; raises KeywordSyntaxError.

        With *loose*, a one-word stem or prefix keyword also matches as the
        head of compounds (given a :class:`Compounding`) and, from
        :data:`TYPO_MIN` letters, misspelt by one letter (:func:`one_typo`).
        """
        patterns = parse(keyword, self.language)
        self._cache, self._old = {}, {}
        self._numbers_match |= _may_match_number(patterns[0][1])
        if len(patterns) > 1:
            self._phrases[patterns[0]].append((patterns, tag))
            if patterns[0][0] != "stem" and patterns[0] not in self._wild_firsts:
                self._wild_firsts.append(patterns[0])
            return
        kind, text = patterns[0]
        as_head = loose and self.compounding is not None
        as_head = as_head and len(text) >= self.compounding.min_head  # type: ignore[union-attr]
        if kind == "stem":
            # The keyword's unaccented spelling stems apart at times ("qualità"
            # -> "qualit", "qualita" -> "qual"): customers type both.
            plain = fold(keyword.removeprefix(WEAK).strip().casefold())
            for form in {text, stems([plain], self.language)[0]}:
                self._stem[form].add(tag)
                if as_head and len(form) >= self.compounding.min_head:  # type: ignore[union-attr]
                    self._head_stem[form].add(tag)
                if loose:
                    self._add_fuzzy(("stem", form))
        elif kind == "prefix":
            self._prefix[text].add(tag)
            self._prefix_lengths = tuple(sorted({*self._prefix_lengths, len(text)}))
            if as_head:
                self._head_prefix[text].add(tag)
                self._head_prefix_lengths = tuple(sorted({*self._head_prefix_lengths, len(text)}))
            if loose and self._add_fuzzy(("prefix", text)):
                self._fuzzy_prefix_lengths = tuple(sorted({*self._fuzzy_prefix_lengths, len(text)}))
        elif kind == "suffix":
            self._suffix[text].add(tag)
            self._suffix_lengths = tuple(sorted({*self._suffix_lengths, len(text)}))
        else:
            self._infix.append((text, tag))

    def _add_fuzzy(self, pattern: Pattern) -> bool:
        """Remember *pattern* under its one-deletion variants; whether it is long enough."""
        text = pattern[1]
        if len(text) < TYPO_MIN:
            return False
        for variant in _deletions(text):
            self._fuzzy[variant].add(pattern)
        return True

    def __bool__(self) -> bool:
        return bool(self._stem or self._prefix or self._suffix or self._infix or self._phrases)

    def info(self, word: str) -> WordInfo:
        """What lower-cased *word* is and matches (worked out once, then remembered).

        The memory keeps two generations of _CACHE_LIMIT words: when the newer is
        full it becomes the older and the older is dropped; a word met again moves
        back into the newer. So words in use stay while those met once (order
        numbers, names, one-off typos: real comments bring new ones without end)
        go, instead of everything being forgotten at once.
        """
        known = self._cache.get(word)
        if known is None:
            if not self._numbers_match and word.isdigit():
                # Order numbers, postcodes, amounts: unique without end, never a
                # keyword, and not worth a place in the memory of words.
                return (word, word, (), ())
            known = self._old.get(word) or self._work_out(word)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache, self._old = {}, self._cache
            self._cache[word] = known
        return known

    def _work_out(self, word: str) -> WordInfo:
        """What *word* is and matches, worked out from the index."""
        folded = fold(word)
        stem = stems([word], self.language)[0]
        phrases = tuple(
            entry for first in self._forms(folded, stem) for entry in self._phrases.get(first, ())
        )
        found = list(self._word_tags(folded, stem))
        if folded != word:
            # Customers drop accents ("qualita"); the stemmer may then cut
            # the word differently, so its unaccented form is tried too.
            found += self._word_tags(folded, stems([folded], self.language)[0])
        if not found and self._fuzzy:
            found += self._typo_tags(folded, stem)
        tags = tuple(dict.fromkeys(found))
        return (folded, stem, tags, phrases)

    def find(self, words: Sequence[str]) -> list[Match]:
        """(start, end, tag) of every keyword found in lower-cased *words*, end exclusive."""
        return self.find_in(self.infos(words))

    def infos(self, words: Sequence[str]) -> list[WordInfo]:
        """:meth:`info` of each of *words* (the remembered ones without a call each)."""
        known = self._cache.get
        return [known(w) or self.info(w) for w in words]

    def find_in(self, infos: Sequence[WordInfo]) -> list[Match]:
        """:meth:`find` over words already looked up with :meth:`info`."""
        found: list[Match] = []
        n = len(infos)
        for i, (_, _, tags, phrases) in enumerate(infos):
            for tag in tags:
                found.append((i, i + 1, tag))
            for patterns, tag in phrases:
                end = i + len(patterns)
                if end <= n and all(
                    _matches(p, *infos[k][:2])
                    for k, p in zip(range(i + 1, end), patterns[1:], strict=True)
                ):
                    found.append((i, end, tag))
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
        if self.compounding is not None and (self._head_stem or self._head_prefix):
            yield from self._head_tags(word, stem, self.compounding)

    def _typo_tags(self, word: str, stem: str) -> Iterable[Hashable]:
        """Tags of loose keywords *word* is one typo away from ("delivry", "webiste")."""
        pieces = {("stem", stem)}
        for n in self._fuzzy_prefix_lengths:
            pieces.update(("prefix", word[:m]) for m in (n - 1, n, n + 1) if m <= len(word))
        for kind, piece in pieces:
            if len(piece) < TYPO_MIN - 1:
                continue
            candidates = {p for v in _deletions(piece) for p in self._fuzzy.get(v, ())}
            for pattern in candidates:
                if pattern[0] == kind and one_typo(piece, pattern[1]):
                    source = self._stem if kind == "stem" else self._prefix
                    yield from source.get(pattern[1], ())

    def _head_tags(self, word: str, stem: str, rule: Compounding) -> Iterable[Hashable]:
        starts = rule.heads(word)
        if self._head_stem and starts:
            # Mostly the stem of a compound is its modifier plus the stem of
            # its head, which is then a suffix of it ("versandkost").
            for i in starts:
                if i + rule.min_head <= len(stem):
                    yield from self._head_stem.get(stem[i:], ())
            # But Snowball's regions count from the start of the word, so
            # "warensendung" stems to "warensend" while "sendung" stays whole:
            # long heads are stemmed on their own too. Short ones are not, as
            # the ends of words stem to short words by chance ("jatkuvasti"
            # would hold "vast", "børneskoene" "køen").
            tails = stems([word[i:] for i in starts], self.language, remember=False)
            for head in tails:
                if len(head) >= _LONG_HEAD:
                    yield from self._head_stem.get(head, ())
        for i in starts:
            for n in self._head_prefix_lengths:
                if i + n > len(word):
                    break
                yield from self._head_prefix.get(word[i : i + n], ())

    def _forms(self, word: str, stem: str) -> Iterable[Pattern]:
        """The first-word patterns a phrase starting at this word could be keyed by."""
        yield ("stem", stem)
        for pattern in self._wild_firsts:
            if _matches(pattern, word, stem):
                yield pattern


def _may_match_number(text: str) -> bool:
    """Whether a word of digits alone could match keyword text *text*, exactly or by one typo."""
    others = sum(not c.isdigit() for c in text)
    return others == 0 or (others == 1 and len(text) >= TYPO_MIN)


def _deletions(text: str) -> set[str]:
    """*text* and every string one letter shorter."""
    return {text, *(text[:i] + text[i + 1 :] for i in range(len(text)))}


def one_typo(typed: str, meant: str) -> bool:
    """Whether *typed* is *meant* with one letter missing, extra or swapped with its neighbour.

    A letter typed in place of another counts only in words of
    :data:`TYPO_SUBSTITUTION_MIN` letters or more: shorter ones too often
    make another word ("shopping" is not "shipping").
    """
    if typed == meant:
        return False
    if abs(len(typed) - len(meant)) > 1:
        return False
    if len(typed) != len(meant):
        short, long_ = sorted((typed, meant), key=len)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    diff = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1:
        i = diff[0]
        return typed[i] == meant[i + 1] and typed[i + 1] == meant[i]
    return len(diff) == 1 and len(meant) >= TYPO_SUBSTITUTION_MIN


def _matches(pattern: Pattern, word: str, stem: str) -> bool:
    kind, text = pattern
    if kind == "stem":
        return stem == text
    if kind == "prefix":
        return word.startswith(text)
    if kind == "suffix":
        return word.endswith(text)
    return text in word


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
