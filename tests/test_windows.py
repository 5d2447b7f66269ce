"""Window decomposition: every instant of (start, end] in exactly one part, none outside."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dashapp.metrics.queries import window_parts

UTC = dt.UTC
BASE = dt.datetime(2026, 11, 1, tzinfo=UTC)


def _parts_containing(parts, t: dt.datetime) -> int:  # type: ignore[no-untyped-def]
    hits = 0
    if parts.days and parts.days[0] <= t < parts.days[1]:
        hits += 1
    hits += sum(lo <= t < hi for lo, hi in parts.hours)
    for r in parts.raw:
        lo_ok = t >= r.lo if r.lo_closed else t > r.lo
        hi_ok = t <= r.hi if r.hi_closed else t < r.hi
        hits += lo_ok and hi_ok
    return hits


minutes = st.integers(0, 60 * 24 * 70)


@settings(max_examples=300)
@given(
    minutes,
    st.integers(1, 60 * 24 * 40),
    st.lists(st.integers(-60 * 24 * 2, 60 * 24 * 80), max_size=30),
)
def test_win001_partition(start_min: int, length_min: int, probes: list[int]) -> None:
    start = BASE + dt.timedelta(minutes=start_min, seconds=start_min % 7)
    end = start + dt.timedelta(minutes=length_min)
    parts = window_parts(start, end)
    # Boundaries, bucket edges and arbitrary instants.
    instants = [
        start,
        end,
        start + dt.timedelta(microseconds=1),
        end - dt.timedelta(microseconds=1),
    ]
    instants += [BASE + dt.timedelta(minutes=m) for m in probes]
    if parts.days:
        instants += list(parts.days)
    instants += [t for pair in parts.hours for t in pair]
    for t in instants:
        expected = 1 if start < t <= end else 0
        assert _parts_containing(parts, t) == expected, (start, end, t, parts)


def test_win002_midnight_aligned_uses_days() -> None:
    end = dt.datetime(2026, 11, 20, tzinfo=UTC)
    parts = window_parts(end - dt.timedelta(days=30), end)
    assert parts.days == (dt.datetime(2026, 10, 22, tzinfo=UTC), end)
    # The first day is read by the hour: its first instant is outside the window.
    assert parts.hours == (
        (dt.datetime(2026, 10, 21, 1, tzinfo=UTC), dt.datetime(2026, 10, 22, tzinfo=UTC)),
    )
