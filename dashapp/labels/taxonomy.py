"""The label taxonomy: a readable TOML file of nested labels with keywords per language.

A label's id is its path of slugs, parent first: ``delivery``,
``delivery/time``, ``delivery/courier/pickup`` (three levels at most). Each
label has a display name, an optional description, keyword lists per language
(ISO 639-1 codes as keys) and optional ``exclude`` lists: a clause holding an
exclusion phrase does not count as mentioning the label ("feels cheap" is
about quality, not price). The keyword syntax is in :mod:`dashapp.labels.keywords`.
Optional ``[compounds.<language>]`` tables turn on matching keywords as the
heads of compounds in that language (:class:`~dashapp.labels.keywords.Compounding`).

Loading checks everything and names the label, key and list position of each
problem, so a team editing the file learns what to fix without a traceback.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import tomli_w

from dashapp.i18n.core import current as current_language
from dashapp.labels.keywords import Compounding, KeywordSyntaxError, parse
from dashapp.labels.text import SNOWBALL

MAX_DEPTH = 3
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LABEL_KEYS = {"name", "description", "exclude", "yields"}
#: ``name_de = "Lieferung"``: a label's name in another language.
NAME_PREFIX = "name_"
HEADER = """\
# Feedback Wall label taxonomy.
#
# One [labels."<id>"] table per label. The id is a path of slugs, parent first
# ("delivery/time" is a child of "delivery"); three levels at most. Keys:
#   name         what screens and reports show
#   description  what belongs here (also used to match discovered themes)
#   <language>   keyword phrases in that language (ISO 639-1: de, en, fr, ...)
#   exclude      { <language> = [...] }: a clause with one of these phrases does
#                not count for this label
#   yields       [label ids]: a clause naming one of these labels counts for
#                this one only through a child ("shipping costs a fortune" is
#                price, not delivery; "fast shipping, free returns" is both)
# Keywords: "word" matches every form with the same stem (Snowball),
# "liefer*" word beginnings, "*verpackung" word endings, "*paket*" any part of
# a word; several words are a phrase, in a row. Case and accents are ignored.
# "~jacket" is a weak keyword: it counts only in a clause naming no other label.
# A comment that mentions a child label also carries its parent.
#
# [compounds.<language>] (de, nl, sv, da, nb, fi ...): a one-word keyword also
# matches as the end of a compound ("qualität" in "Verarbeitungsqualität"):
#   min_part    letters that must come before the keyword (default 3)
#   min_head    shortest keyword that matches so (default 4)
#   exceptions  longer words that merely contain a keyword ("rücksendung" is
#               not a "sendung"): a keyword starting inside them does not count
"""


class TaxonomyError(ValueError):
    """A taxonomy that cannot be used; ``problems`` lists each issue with its place."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Label:
    """One label of the taxonomy."""

    id: str
    name: str
    description: str = ""
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Labels this one gives way to: a clause naming one of them counts for
    #: this label only through one of its children ("the postage costs a
    #: fortune" is about price, "fast delivery, free postage" about both).
    yields: tuple[str, ...] = ()
    #: The name in other languages (``name_de`` in the file); *name* for any other.
    names: dict[str, str] = field(default_factory=dict)

    def name_in(self, language: str | None = None) -> str:
        """The label's name in *language* (default: the one in force), English (*name*)
        when it has none of its own."""
        return self.names.get(language or current_language(), self.name)

    @property
    def parent(self) -> str | None:
        """The parent label's id, None for a top-level label."""
        return self.id.rpartition("/")[0] or None

    @property
    def top(self) -> str:
        """The id of the top-level label this one belongs to."""
        return self.id.partition("/")[0]

    @property
    def depth(self) -> int:
        """1 for a top-level label, 2 for its children, 3 below."""
        return self.id.count("/") + 1


@dataclass(frozen=True, slots=True, eq=False)
class Taxonomy:
    """Labels by id, in file order, and the digest of the text they came from.

    Two taxonomies are equal when their texts are: the digest is the identity.
    """

    labels: dict[str, Label]
    digest: str
    #: Compound matching per language (none: keywords match whole words only).
    compounds: dict[str, Compounding] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Taxonomy) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def ancestors(self, label_id: str) -> list[str]:
        """*label_id* and its parents, nearest first."""
        chain = [label_id]
        while "/" in chain[-1]:
            chain.append(chain[-1].rpartition("/")[0])
        return chain

    def path_name(self, label_id: str, language: str | None = None) -> str:
        """Display path in *language* (default: the one in force): "Delivery > Delivery time"."""
        return " > ".join(
            self.labels[i].name_in(language) for i in reversed(self.ancestors(label_id))
        )

    def top_level(self) -> list[Label]:
        """The top-level labels, in file order."""
        return [label for label in self.labels.values() if label.depth == 1]

    @property
    def languages(self) -> list[str]:
        """Every language some label has keywords in, sorted."""
        return sorted({lang for label in self.labels.values() for lang in label.keywords})


def parse_taxonomy(text: str) -> Taxonomy:
    """The taxonomy in TOML *text*; raises TaxonomyError naming every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError([f"not valid TOML: {exc}"]) from None
    raw = data.get("labels")
    if not isinstance(raw, dict) or not raw:
        raise TaxonomyError(['no labels: expected [labels."<id>"] tables'])
    problems: list[str] = []
    labels: dict[str, Label] = {}
    for label_id, body in raw.items():
        label = _label(label_id, body, problems)
        if label is not None:
            labels[label_id] = label
    for label in labels.values():
        if label.parent is not None and label.parent not in labels:
            problems.append(f'labels."{label.id}": its parent "{label.parent}" is not defined')
        problems.extend(
            f'labels."{label.id}".yields: "{other}" is not a label'
            for other in label.yields
            if other not in labels
        )
    compounds = _compounds(data.get("compounds", {}), problems)
    if problems:
        raise TaxonomyError(problems)
    return Taxonomy(labels, hashlib.sha256(text.encode()).hexdigest()[:16], compounds)


def _compounds(raw: Any, problems: list[str]) -> dict[str, Compounding]:
    if not isinstance(raw, dict):
        problems.append("compounds: must be tables [compounds.<language>]")
        return {}
    result: dict[str, Compounding] = {}
    for lang, body in raw.items():
        where = f"compounds.{lang}"
        if lang not in SNOWBALL:
            problems.append(
                f"{where}: unknown language; languages are {', '.join(sorted(SNOWBALL))}"
            )
            continue
        if not isinstance(body, dict) or set(body) - {"min_part", "min_head", "exceptions"}:
            problems.append(f"{where}: keys are min_part, min_head and exceptions")
            continue
        sizes = {k: body.get(k, 3 if k == "min_part" else 4) for k in ("min_part", "min_head")}
        bad = [
            k for k, v in sizes.items() if not isinstance(v, int) or isinstance(v, bool) or v < 1
        ]
        exceptions = body.get("exceptions", [])
        if not isinstance(exceptions, list) or not all(
            isinstance(w, str) and w.strip() for w in exceptions
        ):
            bad.append("exceptions")
        if bad:
            problems.append(
                f"{where}.{bad[0]}: min_part and min_head are whole numbers from 1, "
                "exceptions a list of words"
            )
            continue
        result[lang] = Compounding(
            sizes["min_part"], sizes["min_head"], tuple(w.strip() for w in exceptions)
        )
    return result


def _label(label_id: str, body: Any, problems: list[str]) -> Label | None:
    where = f'labels."{label_id}"'
    slugs = label_id.split("/")
    if not all(_SLUG.match(s) for s in slugs):
        problems.append(
            f"{where}: ids are lower-case slugs (a-z, 0-9, - and _) joined by '/', parent first"
        )
        return None
    if len(slugs) > MAX_DEPTH:
        problems.append(f"{where}: labels nest {MAX_DEPTH} levels at most")
        return None
    if not isinstance(body, dict):
        problems.append(f"{where}: must be a table")
        return None
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}.name: a label needs a name")
        name = label_id
    description = body.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{where}.description: must be text")
        description = ""
    names: dict[str, str] = {}
    for key, value in body.items():
        if key.startswith(NAME_PREFIX):
            if isinstance(value, str) and value.strip():
                names[key.removeprefix(NAME_PREFIX)] = value.strip()
            else:
                problems.append(f"{where}.{key}: must be a non-empty name")
    keywords = _keyword_lists(
        where,
        {k: v for k, v in body.items() if k not in _LABEL_KEYS and not k.startswith(NAME_PREFIX)},
    )
    exclude_raw = body.get("exclude", {})
    if not isinstance(exclude_raw, dict):
        problems.append(f"{where}.exclude: must be a table of language = [phrases]")
        exclude_raw = {}
    exclude = _keyword_lists(f"{where}.exclude", exclude_raw)
    problems.extend(keywords.problems + exclude.problems)
    yields = body.get("yields", [])
    if not isinstance(yields, list) or not all(isinstance(y, str) for y in yields):
        problems.append(f"{where}.yields: must be a list of label ids")
        yields = []
    return Label(
        label_id,
        name.strip(),
        description.strip(),
        keywords.lists,
        exclude.lists,
        tuple(yields),
        names,
    )


@dataclass(slots=True)
class _Lists:
    lists: dict[str, tuple[str, ...]]
    problems: list[str]


def _keyword_lists(where: str, raw: dict[str, Any]) -> _Lists:
    result = _Lists({}, [])
    for lang, words in raw.items():
        if lang not in SNOWBALL:
            result.problems.append(
                f"{where}.{lang}: unknown key; languages are {', '.join(sorted(SNOWBALL))}"
            )
            continue
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            result.problems.append(f"{where}.{lang}: must be a list of keyword phrases")
            continue
        for i, word in enumerate(words):
            try:
                parse(word, lang)
            except KeywordSyntaxError as exc:
                result.problems.append(f"{where}.{lang}[{i}] {word!r}: {exc}")
        result.lists[lang] = tuple(words)
    return result


def dump_taxonomy(taxonomy: Taxonomy) -> str:
    """*taxonomy* as TOML text that :func:`parse_taxonomy` reads back unchanged."""
    labels: dict[str, Any] = {}
    for label in taxonomy.labels.values():
        body: dict[str, Any] = {"name": label.name}
        body.update({f"{NAME_PREFIX}{lang}": name for lang, name in sorted(label.names.items())})
        if label.description:
            body["description"] = label.description
        body.update({lang: list(words) for lang, words in label.keywords.items()})
        if label.exclude:
            body["exclude"] = {lang: list(words) for lang, words in label.exclude.items()}
        if label.yields:
            body["yields"] = list(label.yields)
        labels[label.id] = body
    document: dict[str, Any] = {"labels": labels}
    if taxonomy.compounds:
        document["compounds"] = {
            lang: {"min_part": c.min_part, "min_head": c.min_head, "exceptions": list(c.exceptions)}
            for lang, c in taxonomy.compounds.items()
        }
    return HEADER + "\n" + tomli_w.dumps(document, multiline_strings=False)


def default_text() -> str:
    """The shipped e-commerce taxonomy, as TOML text."""
    return resources.files("dashapp").joinpath("data/taxonomy.toml").read_text("utf-8")
