"""Label a comment: which taxonomy labels it mentions, each with the sentiment of its clauses.

Pure computation: a :class:`Labeller` is built once per taxonomy and called
for each comment; it holds no I/O and is safe to share between threads.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from dashapp.labels.keywords import WEAK, KeywordIndex, Match
from dashapp.labels.sentiment import LanguageLexicon, lexicon, sign
from dashapp.labels.taxonomy import Taxonomy
from dashapp.labels.text import clauses, stems

#: (label id, sentiment: 1 positive, 0 neutral, -1 negative)
LabelHit = tuple[str, int]
_DEFAULT_CONTRAST = frozenset({"but", "however", "although"})


@dataclass(slots=True)
class _Language:
    keywords: KeywordIndex
    #: Weak keywords: they count only in clauses where no other label is found.
    weak: KeywordIndex
    exclude: KeywordIndex
    lexicon: LanguageLexicon | None


class Labeller:
    """Finds the labels of comments with one taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._languages: dict[str, _Language] = {}
        for lang in taxonomy.languages:
            keywords, weak, exclude = KeywordIndex(lang), KeywordIndex(lang), KeywordIndex(lang)
            for label in taxonomy.labels.values():
                for word in label.keywords.get(lang, ()):
                    (weak if word.startswith(WEAK) else keywords).add(word, label.id)
                for word in label.exclude.get(lang, ()):
                    exclude.add(word, label.id)
            self._languages[lang] = _Language(keywords, weak, exclude, lexicon(lang))
        self._ancestors = {i: tuple(taxonomy.ancestors(i)) for i in taxonomy.labels}

    @property
    def languages(self) -> list[str]:
        """The languages this taxonomy has keywords in."""
        return list(self._languages)

    def label(self, comment: str | None, language: str | None) -> tuple[LabelHit, ...]:
        """The labels *comment* mentions, sorted by id, each once, parents included.

        A label's sentiment sums the polarity of every clause that mentions it
        or one of its children. A comment without a known language is matched
        in every language of the taxonomy.
        """
        if not comment:
            return ()
        languages = [language] if language in self._languages else self.languages
        if language is not None and language not in self._languages:
            return ()
        polarity: dict[str, int] = defaultdict(int)
        for lang in languages:
            self._label_in(comment, lang, polarity)
        return tuple(sorted((label, sign(p)) for label, p in polarity.items()))

    def _label_in(self, comment: str, lang: str, polarity: dict[str, int]) -> None:
        spec = self._languages[lang]
        contrast = spec.lexicon.contrast if spec.lexicon else _DEFAULT_CONTRAST
        parts = clauses(comment, contrast)
        found: list[set[str]] = []
        values: list[int] = []
        for words in parts:
            stemmed = stems(words, lang)
            hits = spec.keywords.find(words, stemmed)
            if spec.weak:
                weak = spec.weak.find(words, stemmed)
                strong = {str(tag).partition("/")[0] for _, _, tag in hits}
                # A weak keyword speaks only when no other label is named here.
                hits += [h for h in weak if not strong - {str(h[2]).partition("/")[0]}]
            if hits and spec.exclude:
                hits = _without_excluded(hits, spec.exclude.find(words, stemmed))
            labels = {str(tag) for _, _, tag in hits}
            found.append(labels)
            values.append(spec.lexicon.polarity(words, stemmed) if spec.lexicon else 0)
        for i, labels in enumerate(found):
            if not labels:
                continue
            value = values[i] or _borrowed(i, found, values)
            for label in {a for lbl in labels for a in self._ancestors[lbl]}:
                polarity[label] += value


#: An exclusion cancels a keyword of its label at most this many words away.
EXCLUSION_REACH = 3


def _without_excluded(hits: list[Match], exclusions: list[Match]) -> list[Match]:
    """*hits* minus those near an exclusion of their label or a parent ("friendly driver").

    Only nearby words count, so "the driver left it outside and customer
    service never answered" still mentions customer service.
    """
    if not exclusions:
        return hits
    return [
        (start, end, tag)
        for start, end, tag in hits
        if not any(
            _within(str(tag), str(ex_tag))
            and max(start, ex_start) - min(end, ex_end) < EXCLUSION_REACH
            for ex_start, ex_end, ex_tag in exclusions
        )
    ]


def _within(label: str, excluded: str) -> bool:
    """Whether an exclusion of *excluded* covers *label*: itself or one of its children."""
    return label == excluded or label.startswith(excluded + "/")


def _borrowed(i: int, found: list[set[str]], values: list[int]) -> int:
    """The polarity of a neighbouring clause that names no label ("came in 48h, great!")."""
    for j in (i + 1, i - 1):
        if 0 <= j < len(found) and not found[j] and values[j]:
            return values[j]
    return 0
