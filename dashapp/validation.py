"""Turn a raw record (a CSV row, a JSON object) into a clean response, or say what is wrong.

Pure functions. Each problem names the field, the value and why, so the person
who sent the record can fix it; the caller adds where the record was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pycountry

from data_sources.base import CANONICAL_FIELDS

MAX_ID = 128
MAX_BRAND = 64
MAX_TOUCHPOINT = 32
MAX_COMMENT = 10_000
MAX_PROPERTIES_JSON = 8_000

COUNTRIES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
LANGUAGES: frozenset[str] = frozenset(
    lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")
)


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one field of a record."""

    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}={self.value!r}: {self.reason}"


@dataclass(slots=True)
class CleanRecord:
    """A validated response, ready to store; times are aware UTC."""

    external_id: str
    submitted_at: dt.datetime
    brand: str
    country: str
    touchpoint: str
    score: int
    comment: str | None
    language: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""


class InvalidRecord(ValueError):
    """A record that cannot be stored; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def show(value: Any) -> str:
    """A value as text, cut to 60 characters for messages."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(raw: Mapping[str, Any], name: str, limit: int, problems: list[Problem]) -> str:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(Problem(name, show(value if value is not None else ""), "is required"))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(Problem(name, show(value), "must be text"))
        return ""
    text = str(value).strip()
    if len(text) > limit:
        problems.append(Problem(name, show(text), f"is longer than {limit} characters"))
    return text


def parse_score(value: Any) -> int:
    """An NPS score: an integer 0..10 given as a number or as digits."""
    if isinstance(value, bool):
        raise ValueError("must be an integer 0..10")
    if isinstance(value, int):
        score = value
    elif isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        score = int(value.strip())
    else:
        raise ValueError("must be an integer 0..10")
    if not 0 <= score <= 10:
        raise ValueError("must be an integer 0..10")
    return score


def parse_timestamp(value: Any) -> dt.datetime:
    """An ISO 8601 timestamp with a zone ('Z' or an offset), returned in UTC."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 timestamp with a time zone")
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError("has no time zone (add 'Z' or an offset such as +01:00)")
    try:
        return parsed.astimezone(dt.UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+00:01 is before year 1 in UTC
        raise ValueError("is out of the range of dates") from None


def content_hash(record: CleanRecord) -> str:
    """Digest of the record's content as received (before language detection)."""
    # Unit separators cannot occur in the validated fields' meaning; joining
    # is several times cheaper than JSON on the import hot path.
    payload = "\x1f".join(
        (
            record.submitted_at.isoformat(),
            record.brand,
            record.country,
            record.touchpoint,
            str(record.score),
            "\x00" if record.comment is None else record.comment,
            record.language or "",
            json.dumps(record.properties, sort_keys=True, default=str) if record.properties else "",
        )
    )
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def validate(raw: Mapping[str, Any]) -> CleanRecord:
    """Validate one raw record; raise :class:`InvalidRecord` listing every problem.

    Keys outside the canonical schema, and the keys of a ``properties`` object,
    become the record's properties.
    """
    problems: list[Problem] = []
    external_id = _text(raw, "id", MAX_ID, problems)
    brand = _text(raw, "brand", MAX_BRAND, problems)
    touchpoint = _text(raw, "touchpoint", MAX_TOUCHPOINT, problems)

    submitted_at = dt.datetime.min.replace(tzinfo=dt.UTC)
    try:
        submitted_at = parse_timestamp(raw.get("submitted_at"))
    except ValueError as exc:
        problems.append(Problem("submitted_at", show(raw.get("submitted_at", "")), str(exc)))

    score = 0
    try:
        score = parse_score(raw.get("score"))
    except ValueError as exc:
        problems.append(Problem("score", show(raw.get("score", "")), str(exc)))

    country_raw = raw.get("country")
    country = country_raw.strip().upper() if isinstance(country_raw, str) else ""
    if country not in COUNTRIES:
        problems.append(
            Problem("country", show(country_raw or ""), "is not an ISO 3166 alpha-2 code")
        )

    comment = raw.get("comment")
    if comment is not None and not isinstance(comment, str):
        problems.append(Problem("comment", show(comment), "must be text"))
        comment = None
    comment = comment.strip() if comment else None
    if comment and len(comment) > MAX_COMMENT:
        problems.append(
            Problem("comment", show(comment), f"is longer than {MAX_COMMENT} characters")
        )

    language = raw.get("language")
    if language is not None and not isinstance(language, str):
        problems.append(Problem("language", show(language), "must be an ISO 639-1 code"))
        language = None
    language = language.strip().lower() or None if language else None
    if language is not None and language not in LANGUAGES:
        problems.append(Problem("language", language, "is not an ISO 639-1 code"))

    properties = _properties(raw, problems)
    if problems:
        raise InvalidRecord(problems)
    record = CleanRecord(
        external_id=external_id,
        submitted_at=submitted_at,
        brand=brand,
        country=country,
        touchpoint=touchpoint,
        score=score,
        comment=comment,
        language=language,
        properties=properties,
    )
    record.content_hash = content_hash(record)
    return record


def _properties(raw: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    nested = raw.get("properties")
    if isinstance(nested, Mapping):
        props.update(nested)
    elif nested not in (None, ""):
        problems.append(Problem("properties", show(nested), "must be an object"))
    for key, value in raw.items():
        if key not in CANONICAL_FIELDS and key != "properties" and value not in (None, ""):
            props[str(key)] = value
    if props and len(json.dumps(props, default=str)) > MAX_PROPERTIES_JSON:
        problems.append(
            Problem("properties", f"{len(props)} keys", f"exceed {MAX_PROPERTIES_JSON} bytes")
        )
    return props
