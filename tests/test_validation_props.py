"""Property tests: any junk a sender can put in a record is rejected cleanly, never crashes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from dashapp.ingest.pipeline import check
from dashapp.ingest.validation import (
    InvalidRecord,
    TimeBounds,
    bad_character,
    parse_score,
    parse_timestamp,
    safe_text,
    validate,
)
from dashapp.metrics.params import BadParameter, parse_as_of, parse_by, parse_filters, parse_window
from dashapp.records import CANONICAL_FIELDS
from tests.factories import record

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [*CANONICAL_FIELDS, "properties"]


@settings(max_examples=400)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=12))
def test_prop001_junk_records_are_rejected_with_fields(raw: dict[str, Any]) -> None:
    try:
        clean = validate(raw)
    except InvalidRecord as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.field
            assert problem.reason
            assert len(problem.value) <= 60
        return
    # Whatever got through is fully valid.
    assert 0 <= clean.score <= 10
    assert clean.submitted_at.tzinfo is not None
    assert len(clean.country) == 2
    assert clean.external_id.strip()
    assert clean.brand.strip()
    json.dumps(clean.properties, default=str)


@given(st.sampled_from(FIELDS[:-1]), json_values)
def test_prop002_one_bad_field_names_that_field(field: str, value: Any) -> None:
    raw = record(1, **{field: value})
    try:
        validate(raw)
    except InvalidRecord as exc:
        assert [p.field for p in exc.problems] == [field]


@given(st.lists(json_values, max_size=20))
def test_prop003_check_never_raises(items: list[Any]) -> None:
    good, bad = check([(f"index {i}", item) for i, item in enumerate(items)])
    assert len(good) + len(bad) == len(items)


@given(st.integers(-1000, 1000))
def test_prop004_scores(value: int) -> None:
    for form in (value, str(value)):
        if 0 <= value <= 10:
            assert parse_score(form) == value
        else:
            with pytest.raises(ValueError, match="integer 0..10"):
                parse_score(form)


# Fixed offsets, as senders write them; zoneinfo's folds and gaps are not ISO 8601's business.
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@given(st.datetimes(timezones=offsets))
def test_prop005_timestamps_round_trip_to_utc(moment: dt.datetime) -> None:
    parsed = parse_timestamp(moment.isoformat())
    assert parsed == moment
    assert parsed.utcoffset() == dt.timedelta(0)


@given(st.text(max_size=40))
def test_prop006_url_parameters_fail_cleanly(text: str) -> None:
    for parse in (parse_by, parse_window, parse_as_of):
        try:
            parse(text)
        except BadParameter as exc:
            assert exc.name in str(exc)
    try:
        parse_filters({"brand": text, "country": text, "touchpoint": text})
    except BadParameter as exc:  # a NUL character, which no store can compare
        assert exc.name == "brand" and "\x00" in text


def test_prop007_timestamps_at_the_edge_of_the_calendar_are_rejected_not_raised() -> None:
    # Found by the OpenAPI fuzz test: before year 1 once converted to UTC.
    for text in ("0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01"):
        with pytest.raises(ValueError, match="out of the range of dates"):
            parse_timestamp(text)


# --- what text is acceptable (issue 14, items 4 and 5) ----------------------------

#: Any code point at all: lone surrogates, NUL, C0 and C1 controls, noncharacters.
any_char = st.characters(exclude_categories=())
any_text = st.text(any_char, max_size=20)
POISON = ["a\ud800b", "a\udfffb", "a\x00b", "a\x0bb", "a\x1b[31mb", "a\x7fb", "a\x85b", "a\ufffeb"]
#: Bad characters in a free-text field (comment, a property's value) and in a name.
TEXT_FIELDS = ("id", "brand", "touchpoint", "comment")


def _storable(text: str) -> None:
    """What every renderer needs of stored text: UTF-8, no control or non-character."""
    text.encode("utf-8")  # a lone surrogate raises here (and in every database driver)
    assert not ILLEGAL_CHARACTERS_RE.search(text)  # what openpyxl refuses in a cell
    assert not any(0x7F <= ord(c) <= 0x9F or ord(c) in (0xFFFE, 0xFFFF) for c in text)


def _problems_are_printable(exc: InvalidRecord) -> None:
    for problem in exc.problems:
        for text in (problem.field, problem.value, problem.reason, str(problem)):
            _storable(text)  # a rejects file, a JSON answer and a terminal can carry it


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("poison", POISON)
def test_prop008_a_poisoned_text_field_is_rejected_by_name(field: str, poison: str) -> None:
    """A lone surrogate, NUL, control or non-character in any text field names that field."""
    with pytest.raises(InvalidRecord) as caught:
        validate(record(1, **{field: poison}))
    assert [p.field for p in caught.value.problems] == [field]
    _problems_are_printable(caught.value)


@pytest.mark.parametrize("poison", POISON)
def test_prop009_poisoned_properties_are_rejected_by_name(poison: str) -> None:
    """A property's key or value (top-level column or nested object) is checked too."""
    for raw, name in [
        (record(1, note=poison), "note"),
        (record(1, properties={"order": {"lines": [poison]}}), "properties.order"),
        (record(1, properties={poison: 1}), "properties"),
    ]:
        with pytest.raises(InvalidRecord) as caught:
            validate(raw)
        assert [p.field for p in caught.value.problems] == [name], raw
        _problems_are_printable(caught.value)


def test_prop010_tabs_and_line_breaks_are_text_in_comments_only() -> None:
    """Comments keep tab, LF and CR; names (id, brand, touchpoint) take no control at all."""
    assert validate(record(1, comment="one\ttwo\r\nthree")).comment == "one\ttwo\r\nthree"
    assert validate(record(1, note="a\nb")).properties == {"note": "a\nb"}
    for field in ("id", "brand", "touchpoint"):
        with pytest.raises(InvalidRecord, match=field):
            validate(record(1, **{field: "a\tb"}))


@settings(max_examples=300)
@given(st.sampled_from([*TEXT_FIELDS, "note", "country", "language", "score"]), any_text)
def test_prop011_any_text_is_stored_clean_or_rejected_printably(field: str, text: str) -> None:
    """Whatever code points a sender puts in a field: stored text is clean, or a named rejection."""
    try:
        clean = validate(record(1, **{field: text}))
    except InvalidRecord as exc:
        assert [p.field for p in exc.problems] == [field]
        _problems_are_printable(exc)
        return
    for value in (clean.external_id, clean.brand, clean.touchpoint, clean.comment or ""):
        _storable(value)
    for key, value in clean.properties.items():
        _storable(key)
        _storable(str(value))
    clean.content_hash.encode()


@given(any_text)
def test_prop012_safe_text_makes_anything_renderable(text: str) -> None:
    """The renderers' one filter: the same rule, replacing what it forbids, keeping the rest."""
    shown = safe_text(text)
    _storable(shown)
    assert len(shown) == len(text)
    assert all(a == b or b == "\ufffd" for a, b in zip(text, shown, strict=True))
    if bad_character(text, breaks=True) is None:
        assert shown == text


NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("9999-12-31T23:59:59Z", "in the future"),
        ("2100-01-01T00:00:00Z", "in the future"),
        ("2026-12-02T12:00:01Z", "in the future"),  # one second past a day ahead
        ("0001-01-01T00:00:00Z", "before 2000-01-01"),
        ("1999-12-31T23:59:59Z", "before 2000-01-01"),
    ],
)
def test_prop013_timestamps_far_ahead_or_far_back_are_rejected(at: str, reason: str) -> None:
    """A year-9999 or year-1 response would sit on top (or bottom) of every feed: refused."""
    with pytest.raises(InvalidRecord) as caught:
        validate(record(1, submitted_at=at), now=NOW)
    [problem] = caught.value.problems
    assert problem.field == "submitted_at" and reason in problem.reason
    for ok in ("2026-12-02T12:00:00Z", "2000-01-01T00:00:00Z", "2026-12-01T12:00:00+14:00"):
        assert validate(record(1, submitted_at=ok), now=NOW).submitted_at


def test_prop014_the_time_bounds_are_settings() -> None:
    """FEEDBACKWALL_FUTURE_SKEW_HOURS and _EARLIEST_SUBMITTED_AT move the bounds."""
    from dashapp.config import Settings

    bounds = Settings.load(future_skew_hours=0.5, earliest_submitted_at="2020-01-01").time_bounds()
    assert bounds == TimeBounds(
        earliest=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), future=dt.timedelta(minutes=30)
    )
    with pytest.raises(InvalidRecord, match="submitted_at"):
        validate(record(1, submitted_at="2026-12-01T12:31:00Z"), now=NOW, bounds=bounds)
    with pytest.raises(InvalidRecord, match="before 2020-01-01"):
        validate(record(1, submitted_at="2019-06-01T00:00:00Z"), now=NOW, bounds=bounds)
    assert Settings.load().time_bounds() == TimeBounds()


@given(st.datetimes(timezones=offsets))
def test_prop015_any_moment_is_inside_the_bounds_or_rejected_by_name(moment: dt.datetime) -> None:
    try:
        clean = validate(record(1, submitted_at=moment.isoformat()), now=NOW)
    except InvalidRecord as exc:
        assert [p.field for p in exc.problems] == ["submitted_at"]
        return
    assert TimeBounds().earliest <= clean.submitted_at <= NOW + TimeBounds().future
