"""Property tests: any junk a sender can put in a record is rejected cleanly, never crashes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashapp.ingest import check
from dashapp.params import BadParameter, parse_as_of, parse_by, parse_filters, parse_window
from dashapp.validation import InvalidRecord, parse_score, parse_timestamp, validate
from data_sources.base import CANONICAL_FIELDS
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
