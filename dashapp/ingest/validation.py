"""Turn a raw record (a CSV row, a JSON object) into a clean response, or say what is wrong.

Pure functions. Each problem names the field, the value and why, so the person
who sent the record can fix it; the caller adds where the record was.

What text is acceptable is decided here, once (:func:`bad_character`), and
every ingest path (push API, ``feedbackwall import``, polled sources) goes
through :func:`validate`:

* only Unicode scalar values: no lone surrogate (U+D800-U+DFFF, which no
  UTF-8 encoder, database driver or spreadsheet accepts; it is also what
  bytes that are not UTF-8 become when a file is read);
* no control character: C0 (U+0000-U+001F: NUL, which PostgreSQL cannot
  store, ESC, vertical tab ...), DEL (U+007F) and C1 (U+0080-U+009F);
  free text (a comment, a property's value) may hold tab, line feed and
  carriage return;
* no Unicode noncharacter (U+FDD0-U+FDEF, U+xFFFE and U+xFFFF in every plane).

Names (id, brand, touchpoint, a property's key) follow the strict form. What
passes is text XML 1.0 (XLSX, SVG), PostgreSQL, plotly.js and a mail can carry.
Renderers filter text from elsewhere (rows stored before this rule) through
:func:`safe_text`, the same rule replacing what it forbids with U+FFFD.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pycountry

from dashapp.records import (
    CANONICAL_FIELDS,
    DEFAULT_BOUNDS,
    TimeBounds,
)

MAX_ID = 128
MAX_BRAND = 64
MAX_TOUCHPOINT = 32
MAX_COMMENT = 10_000
MAX_PROPERTIES_JSON = 8_000


@cache
def countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes (read from pycountry's data once, when first validating)."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


@cache
def languages() -> frozenset[str]:
    """ISO 639-1 codes (pycountry's ISO 639-3 table is large: read when first needed)."""
    return frozenset(lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2"))


# One rule for acceptable text (see the module docstring), as character classes.
_SURROGATES = "\ud800-\udfff"
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BREAKS = "\t\n\r"
#: What free text (comments, property values) may not hold.
_NOT_TEXT = re.compile(f"[{_CONTROLS}{_SURROGATES}{_NONCHARACTERS}]")
#: What a name (id, brand, touchpoint, property key) may not hold: the above and tab, LF, CR.
_NOT_NAME = re.compile(f"[{_BREAKS}{_CONTROLS}{_SURROGATES}{_NONCHARACTERS}]")


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


def bad_character(text: str, *, breaks: bool) -> str | None:
    """Why *text* is not acceptable (naming the first bad character), or None.

    With *breaks*, tab, line feed and carriage return are allowed (free text).
    """
    # Fast path for the usual case: every forbidden character is a control (Cc),
    # a surrogate (Cs) or unassigned (Cn), none of which str.isprintable() passes.
    if text.isprintable():
        return None
    found = (_NOT_TEXT if breaks else _NOT_NAME).search(text)
    if found is None:
        return None
    char = found.group()
    point = ord(char)
    if 0xD800 <= point <= 0xDFFF:
        kind = "a lone surrogate, not text (in a file: bytes that are not UTF-8)"
    elif point <= 0x9F:
        kind = "a control character"
    else:
        kind = "a Unicode noncharacter"
    return f"contains U+{point:04X} ({kind}) at position {found.start() + 1}"


def safe_text(text: str) -> str:
    """*text* with every character the rule forbids in free text replaced by U+FFFD.

    For renderers (XLSX, CSV, charts, the report) showing text that did not
    come through :func:`validate`, such as rows stored before the rule.
    """
    return _NOT_TEXT.sub("\ufffd", text)


def _escaped(text: str) -> str:
    """*text* with forbidden characters as Python escapes (\\x1b, \\ud800), for messages."""
    return _NOT_TEXT.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def show(value: Any) -> str:
    """A value as printable text (bad characters escaped), cut to 60 characters for messages."""
    text = _escaped(value) if isinstance(value, str) else json.dumps(value, default=str)
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
    elif reason := bad_character(text, breaks=False):
        problems.append(Problem(name, show(text), reason))
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


# Encoders made once: json.dumps with any option builds a new encoder on every call,
# which cost more than the encoding itself on the import path. Output is identical.
_SORTED_JSON = json.JSONEncoder(sort_keys=True, default=str).encode
_JSON = json.JSONEncoder(default=str).encode


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
            _SORTED_JSON(record.properties) if record.properties else "",
        )
    )
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def check_bounds(at: dt.datetime, now: dt.datetime, bounds: TimeBounds) -> None:
    """Raise ValueError when *at* lies before *bounds* or further ahead of *now* than allowed."""
    if at < bounds.earliest:
        raise ValueError(
            f"is before {bounds.earliest.date().isoformat()}"
            " (the earliest accepted: FEEDBACKWALL_EARLIEST_SUBMITTED_AT)"
        )
    if at > now + bounds.future:
        raise ValueError(
            f"is in the future (more than {_duration(bounds.future)} ahead of the server's clock:"
            " FEEDBACKWALL_FUTURE_SKEW_HOURS)"
        )


def _duration(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    if hours == 1:
        return "1 hour"
    return f"{hours:g} hours"


def validate(
    raw: Mapping[str, Any], *, bounds: TimeBounds = DEFAULT_BOUNDS, now: dt.datetime | None = None
) -> CleanRecord:
    """Validate one raw record; raise :class:`InvalidRecord` listing every problem.

    Keys outside the canonical schema, and the keys of a ``properties`` object,
    become the record's properties. ``submitted_at`` must lie within *bounds*
    of *now* (default: the clock).
    """
    problems: list[Problem] = []
    external_id = _text(raw, "id", MAX_ID, problems)
    brand = _text(raw, "brand", MAX_BRAND, problems)
    touchpoint = _text(raw, "touchpoint", MAX_TOUCHPOINT, problems)

    submitted_at = dt.datetime.min.replace(tzinfo=dt.UTC)
    try:
        submitted_at = parse_timestamp(raw.get("submitted_at"))
        check_bounds(submitted_at, now or dt.datetime.now(dt.UTC), bounds)
    except ValueError as exc:
        problems.append(Problem("submitted_at", show(raw.get("submitted_at", "")), str(exc)))

    score = 0
    try:
        score = parse_score(raw.get("score"))
    except ValueError as exc:
        problems.append(Problem("score", show(raw.get("score", "")), str(exc)))

    country_raw = raw.get("country")
    country = country_raw.strip().upper() if isinstance(country_raw, str) else ""
    if country not in countries():
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
    elif comment and (reason := bad_character(comment, breaks=True)):
        problems.append(Problem("comment", show(comment), reason))

    language = raw.get("language")
    if language is not None and not isinstance(language, str):
        problems.append(Problem("language", show(language), "must be an ISO 639-1 code"))
        language = None
    language = language.strip().lower() or None if language else None
    if language is not None and language not in languages():
        problems.append(Problem("language", show(language), "is not an ISO 639-1 code"))

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
    if nested is not None and isinstance(nested, Mapping):
        props.update(nested)
        for key, value in nested.items():
            _check_property(f"properties.{show(str(key))}", key, value, problems)
    elif nested not in (None, ""):
        problems.append(Problem("properties", show(nested), "must be an object"))
    # Bounds the JSON length cheaply for the usual flat text values: each character
    # encodes to at most 12 (an astral one as two \uXXXX), each pair adds at most 6
    # more ("": , and quotes).
    bound = 2
    for key, value in raw.items():
        if key not in CANONICAL_FIELDS and key != "properties" and value not in (None, ""):
            props[str(key)] = value
            _check_property(None, key, value, problems)
            if bound <= MAX_PROPERTIES_JSON and type(value) is str:
                bound += 12 * (len(str(key)) + len(value)) + 6
            else:
                bound = MAX_PROPERTIES_JSON + 1
    if nested and isinstance(nested, Mapping):
        bound = MAX_PROPERTIES_JSON + 1
    if props and bound > MAX_PROPERTIES_JSON and len(_JSON(props)) > MAX_PROPERTIES_JSON:
        problems.append(
            Problem("properties", f"{len(props)} keys", f"exceed {MAX_PROPERTIES_JSON} bytes")
        )
    return props


def _check_property(name: str | None, key: Any, value: Any, problems: list[Problem]) -> None:
    """Add a problem if a property's key, or any text inside its value, breaks the text rule.

    *name* is the field a problem names; None names it by the key (a top-level column),
    worked out only when there is a problem.
    """
    if reason := bad_character(str(key), breaks=False):
        # The key itself is bad: name the properties, show the key.
        problems.append(Problem("properties", show(str(key)), f"a key {reason}"))
        return
    if type(value) is str:  # the usual case, a CSV cell: no walk, no ABC checks
        if reason := bad_character(value, breaks=True):
            problems.append(Problem(name or show(str(key)) or "properties", show(value), reason))
        return
    if not isinstance(value, Mapping | list | tuple):
        if isinstance(value, str) and (reason := bad_character(value, breaks=True)):
            problems.append(Problem(name or show(str(key)) or "properties", show(value), reason))
        return
    for text in _strings(value):
        if reason := bad_character(text, breaks=True):
            problems.append(Problem(name or show(str(key)) or "properties", show(text), reason))
            return


def _strings(value: Any) -> Iterator[str]:
    """Every key and text in a JSON-like *value*, nested lists and objects included."""
    # A walk with its own stack: a deeply nested value cannot exhaust Python's.
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                yield str(key)
                stack.append(inner)
        elif isinstance(item, list | tuple):
            stack.extend(reversed(item))
