"""Formats from CLDR (#18 item 3): numbers, decimals, percentages, dates, times ago, the sign."""

from __future__ import annotations

import datetime as dt

import pytest

from dashapp.figures.charts import interval_line
from dashapp.i18n import formats, use_locale
from dashapp.metrics.nps import compute

MINUS = "\u2212"
NBSP = "\xa0"


@pytest.mark.parametrize(
    ("lang", "number", "decimal", "percent", "day", "ago", "separators"),
    [
        ("en", "1,234", "12.5", "12.5%", "1 Dec 2026", "3 minutes ago", ".,"),
        ("de", "1.234", "12,5", f"12,5{NBSP}%", "1. Dez. 2026", "vor 3 Minuten", ",."),
    ],
)
def test_i18n040_cldr_formats(
    lang: str, number: str, decimal: str, percent: str, day: str, ago: str, separators: str
) -> None:
    assert formats.number(1234, lang) == number
    assert formats.decimal(12.5, 1, lang) == decimal
    assert formats.percent(0.125, 1, lang) == percent
    assert formats.date(dt.date(2026, 12, 1), lang) == day
    now = dt.datetime(2026, 12, 1, 12, 3, tzinfo=dt.UTC)
    assert formats.relative(now - dt.timedelta(minutes=3), now, lang) == ago
    assert formats.plotly_separators(lang) == separators


def test_i18n041_nps_sign_is_a_real_minus() -> None:
    assert [formats.signed(v) for v in (-12.4, -0.4, 0, 0.6, 33)] == [
        f"{MINUS}12",
        "0",
        "0",
        "+1",
        "+33",
    ]
    assert formats.signed_decimal(-2.04) == f"{MINUS}2.0"
    assert formats.signed_decimal(0.04) == "0.0"
    with use_locale("de"):
        assert formats.signed_decimal(3.25) == "+3,2"  # CLDR rounds half to even
        line = interval_line(compute(600, 300, 100))
        assert line.startswith("95-%-KI +") and "n\u00a0=\u00a01.000" in line


def test_i18n042_weeks_start_on_monday_and_spans_read_naturally() -> None:
    assert formats.FIRST_WEEKDAY == 0
    assert formats.span(dt.date(2026, 11, 14), dt.date(2026, 11, 20), "en") == "14 – 20 Nov 2026"
    assert formats.span(dt.date(2026, 11, 14), dt.date(2026, 11, 20), "de") == "14.–20. Nov. 2026"
    assert formats.day_named(dt.date(2026, 11, 20), "de") == "Fr., 20. Nov. 2026"


def test_i18n043_day_axes_are_labelled_in_the_readers_language() -> None:
    """Dates on chart axes read as the reader writes them ("6. Sept.", not "Sept 6"), on
    screens and in exported files alike (kaleido knows no locale): the ticks carry text."""

    from dashapp.figures import charts

    first, last = dt.date(2026, 9, 2), dt.date(2026, 11, 30)
    for language, expected in (("de", "7. Sept.<br>2026"), ("en", "7 Sept<br>2026")):
        with use_locale(language):
            ticks, text = charts.day_ticks(first, last)
        assert text[0] == expected  # the first Monday, with its year
        assert len(ticks) <= charts.DAY_TICKS
        assert all(dt.date.fromisoformat(str(t)[:10]).weekday() == 0 for t in ticks)
    with use_locale("de"):
        _ticks, across = charts.day_ticks(dt.date(2026, 12, 20), dt.date(2027, 1, 10))
    assert [t for t in across if "<br>" in t] == [
        "21. Dez.<br>2026",
        "4. Jan.<br>2027",
    ]


def test_i18n044_screens_tick_days_by_zoom_and_files_get_them_written_out() -> None:
    """On a screen the date ticks follow a zoom (plotly picks them; the reader's order
    given as formats); a file (kaleido knows no locale) gets them written out."""
    from dashapp.figures import charts
    from dashapp.figures.nps_engine import RollingPoint
    from dashapp.metrics.nps import compute

    days = [dt.date(2026, 9, 2) + dt.timedelta(days=i) for i in range(90)]
    points = [RollingPoint({"brand": "Velora"}, d, 30, compute(50, 30, 20)) for d in days]
    with use_locale("de"):
        screen = charts.trends(points, points)
        assert screen.layout.xaxis.tickvals is None  # plotly picks them for the view
        stops = {s.dtickrange[0]: s.value for s in screen.layout.xaxis.tickformatstops}
        assert stops[None] == "%-d. %b"
        printed = charts.print_day_ticks(charts.trends(points, points))
    assert printed.layout.xaxis.ticktext[0] == "7. Sept.<br>2026"
    assert len(printed.layout.xaxis.tickvals) <= charts.DAY_TICKS
