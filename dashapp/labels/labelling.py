"""Label a comment: which taxonomy labels it mentions, each with the sentiment of its clauses.

Pure computation: a :class:`Labeller` is built once per taxonomy and called
for each comment; it holds no I/O and is safe to share between threads.

Per language, every keyword of the taxonomy (strong, weak, exclusions) and
every sentiment word go into one :class:`~dashapp.labels.keywords.KeywordIndex`,
so each word of a comment is looked up once, in one dictionary, whatever the
number of labels.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import cast

from dashapp.labels.keywords import WEAK, KeywordIndex, Match
from dashapp.labels.sentiment import NEGATIVE, POSITIVE, lexicon, polarity, sign
from dashapp.labels.taxonomy import Taxonomy
from dashapp.labels.text import ALIASES, clauses

#: (label id, sentiment: 1 positive, 0 neutral, -1 negative)
LabelHit = tuple[str, int]
_DEFAULT_CONTRAST = frozenset({"but", "however", "although"})
#: What a keyword in the index stands for (the first item of its tag).
_LABEL, _WEAK, _EXCLUDE, _SENTIMENT = range(4)


@dataclass(frozen=True, slots=True)
class _Language:
    index: KeywordIndex
    negators: frozenset[str]
    contrast: frozenset[str]


class Labeller:
    """Finds the labels of comments with one taxonomy."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self._languages: dict[str, _Language] = {}
        for lang in taxonomy.languages:
            index = KeywordIndex(lang, taxonomy.compounds.get(lang))
            for label in taxonomy.labels.values():
                for word in label.keywords.get(lang, ()):
                    kind = _WEAK if word.startswith(WEAK) else _LABEL
                    index.add(word, (kind, label.id))
                for word in label.exclude.get(lang, ()):
                    index.add(word, (_EXCLUDE, label.id))
            words = lexicon(lang)
            if words is not None:
                # Sentiment words match as written: "unzufrieden" is not "zufrieden".
                for word in words.positive:
                    index.add(word, (_SENTIMENT, POSITIVE), loose=False)
                for word in words.negative:
                    index.add(word, (_SENTIMENT, NEGATIVE), loose=False)
            self._languages[lang] = _Language(
                index,
                words.negators if words else frozenset(),
                words.contrast if words else _DEFAULT_CONTRAST,
            )
        self._ancestors = {i: tuple(taxonomy.ancestors(i)) for i in taxonomy.labels}
        self._yields = {i: label.yields for i, label in taxonomy.labels.items() if label.yields}

    @property
    def languages(self) -> list[str]:
        """The languages this taxonomy has keywords in."""
        return list(self._languages)

    def label(self, comment: str | None, language: str | None) -> tuple[LabelHit, ...]:
        """The labels *comment* mentions, sorted by id, each once, parents included.

        A label's sentiment sums the polarity of every clause that mentions it
        or one of its children. A comment without a known language is matched
        in every language of the taxonomy; one in a language the taxonomy has
        no keywords for gets no labels. "no" and "nn" are read as "nb".
        """
        if not comment:
            return ()
        if language is not None:
            language = ALIASES.get(language, language)
            if language not in self._languages:
                return ()
        languages = self.languages if language is None else [language]
        polarities: dict[str, int] = defaultdict(int)
        for lang in languages:
            self._label_in(comment, self._languages[lang], polarities)
        return tuple(sorted((label, sign(p)) for label, p in polarities.items()))

    def _label_in(self, comment: str, spec: _Language, polarities: dict[str, int]) -> None:
        index = spec.index
        found: list[set[str]] = []
        values: list[int] = []
        for words in clauses(comment, spec.contrast):
            infos = index.infos(words)
            matches = index.find_in(infos)
            if not matches:
                found.append(set())
                values.append(0)
                continue
            strong: list[Match] = []
            weak: list[Match] = []
            excluded: list[Match] = []
            feeling: list[Match] = []
            for start, end, tag in matches:
                kind, value = cast(tuple[int, Hashable], tag)
                match = (start, end, value)
                if kind == _LABEL:
                    strong.append(match)
                elif kind == _SENTIMENT:
                    feeling.append(match)
                elif kind == _WEAK:
                    weak.append(match)
                else:
                    excluded.append(match)
            if weak:
                tops = {str(tag).partition("/")[0] for _, _, tag in strong}
                # A weak keyword speaks only when no other label is named here.
                strong += [h for h in weak if not tops - {str(h[2]).partition("/")[0]}]
            if strong and excluded:
                strong = _without_excluded(strong, excluded)
            labels = {str(tag) for _, _, tag in strong}
            if self._yields and labels:
                labels = self._without_yielding(labels)
            found.append(labels)
            if feeling:
                negators = [i for i, w in enumerate(infos) if w[0] in spec.negators]
                values.append(polarity(feeling, negators))
            else:
                values.append(0)
        for i, labels in enumerate(found):
            if not labels:
                continue
            value = values[i] or _borrowed(i, found, values)
            for label in {a for lbl in labels for a in self._ancestors[lbl]}:
                polarities[label] += value

    def _without_yielding(self, labels: set[str]) -> set[str]:
        """*labels* minus those named only by themselves next to a label they yield to."""
        named = {a for label in labels for a in self._ancestors[label]}
        return {
            label
            for label in labels
            if not (
                any(other in named for other in self._yields.get(label, ()))
                and not any(o.startswith(label + "/") for o in labels)
            )
        }


#: An exclusion cancels a keyword of its label at most this many words away.
EXCLUSION_REACH = 3


def _without_excluded(hits: list[Match], exclusions: list[Match]) -> list[Match]:
    """*hits* minus those near an exclusion of their label or a parent ("friendly driver").

    Only nearby words count, so "the driver left it outside and customer
    service never answered" still mentions customer service.
    """
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
